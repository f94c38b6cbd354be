// Where things sit inside Envoy's resources as plain objects: a listener's filter chains, their network filters, the
// typed configs of one type among them, its HTTP connection managers (also as the api_listener), and a route
// configuration's virtual hosts and routes, each with its field path. Validation and the xDS layer walk through here.
import { anyTypeName, asArr, asObj, fieldPath, indexPath, type Obj } from './plain.ts';

/** Fully-qualified names of the typed configs the walks and checks look for. */
export const TypeName = {
  hcm: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  tcpProxy: 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  router: 'envoy.extensions.filters.http.router.v3.Router',
} as const;

/** A value found inside a resource, with its path there. */
export interface Located {
  readonly path: string;
  readonly value: Obj;
}

/** `filter_chains[i]` and `default_filter_chain`, in that order. */
export function filterChainsOf(listener: Obj): Located[] {
  const chains: Located[] = [];
  asArr(listener['filter_chains']).forEach((chain, i) => {
    const value = asObj(chain);
    if (value) chains.push({ path: indexPath('filter_chains', i), value });
  });
  const fallback = asObj(listener['default_filter_chain']);
  if (fallback) chains.push({ path: 'default_filter_chain', value: fallback });
  return chains;
}

/** The network filters of one filter chain. */
export function networkFiltersOf(chain: Located): Located[] {
  const filters: Located[] = [];
  asArr(chain.value['filters']).forEach((filter, i) => {
    const value = asObj(filter);
    if (value) filters.push({ path: indexPath(fieldPath(chain.path, 'filters'), i), value });
  });
  return filters;
}

/** The `typed_config` payloads of every network filter whose type is `typeName`. */
export function typedFiltersOf(listener: Obj, typeName: string): Located[] {
  const found: Located[] = [];
  for (const chain of filterChainsOf(listener)) {
    for (const filter of networkFiltersOf(chain)) {
      const config = asObj(filter.value['typed_config']);
      if (config && anyTypeName(config) === typeName) found.push({ path: fieldPath(filter.path, 'typed_config'), value: config });
    }
  }
  return found;
}

/** Every HttpConnectionManager of a listener: in its filter chains and as the api_listener. */
export function hcmsOf(listener: Obj): Located[] {
  const found = typedFiltersOf(listener, TypeName.hcm);
  const api = asObj(asObj(listener['api_listener'])?.['api_listener']);
  if (api && anyTypeName(api) === TypeName.hcm) found.push({ path: 'api_listener.api_listener', value: api });
  return found;
}

/** Every virtual host of a route configuration, with its path under `base`. */
export function virtualHostsOf(routeConfig: Obj, base: string): Located[] {
  const out: Located[] = [];
  asArr(routeConfig['virtual_hosts']).forEach((vh, i) => {
    const value = asObj(vh);
    if (value) out.push({ path: indexPath(fieldPath(base, 'virtual_hosts'), i), value });
  });
  return out;
}

/** Every route of every virtual host, with its path. */
export function routesOf(routeConfig: Obj, base: string): Located[] {
  return virtualHostsOf(routeConfig, base).flatMap((vh) =>
    asArr(vh.value['routes']).flatMap((route, j) => {
      const value = asObj(route);
      return value ? [{ path: indexPath(fieldPath(vh.path, 'routes'), j), value }] : [];
    }),
  );
}
