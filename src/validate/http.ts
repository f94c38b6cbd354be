// Where the interesting filters sit inside a listener: filter chains, their network filters, the HTTP connection
// managers and TCP proxies (as their Any payloads), and the HCM of an api_listener.
import { anyTypeName, asArr, asObj, asStr, type Obj } from './access.ts';
import { fieldPath, indexPath, type Report } from './problem.ts';

/** Fully-qualified names of the typed configs the semantic checks read. */
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

function isRouter(filter: unknown): boolean {
  const f = asObj(filter);
  return asStr(f?.['name']) === 'envoy.filters.http.router' || anyTypeName(f?.['typed_config']) === TypeName.router;
}

/** Envoy and gRPC require the router, a terminal filter, last in `http_filters` (and nowhere else). */
export function checkRouterLast(hcm: Located, report: Report): void {
  const filters = asArr(hcm.value['http_filters']);
  const path = fieldPath(hcm.path, 'http_filters');
  if (filters.length === 0) {
    report(path, 'hcm.router_last', 'is empty: the router filter (envoy.filters.http.router) must be the last HTTP filter');
    return;
  }
  filters.forEach((filter, i) => {
    const last = i === filters.length - 1;
    if (last && !isRouter(filter)) {
      const name = asStr(asObj(filter)?.['name']) ?? '?';
      report(indexPath(path, i), 'hcm.router_last', `the last HTTP filter is ${name}; it must be the router (envoy.filters.http.router)`);
    }
    if (!last && isRouter(filter)) {
      report(indexPath(path, i), 'hcm.router_last', 'the router filter is terminal: filters after it never run; move it last');
    }
  });
}
