// RouteConfiguration rules, for RDS resources and HCM inline route configs alike: virtual-host domains are unique,
// IPv6 literals are bracketed, wildcards are a single leading or trailing `*`. Also lists the clusters routes name.
import { parseAddress } from '../model/index.ts';
import { asArr, asObj, asStr, type Obj } from './access.ts';
import { fieldPath, indexPath, type Report } from './problem.ts';

/** A cluster name a route or filter refers to, with where. */
export interface ClusterRef {
  readonly path: string;
  readonly cluster: string;
}

/** Every virtual host with its path. */
export function virtualHostsOf(routeConfig: Obj, base: string): { path: string; value: Obj }[] {
  const out: { path: string; value: Obj }[] = [];
  asArr(routeConfig['virtual_hosts']).forEach((vh, i) => {
    const value = asObj(vh);
    if (value) out.push({ path: indexPath(fieldPath(base, 'virtual_hosts'), i), value });
  });
  return out;
}

/** Every route of every virtual host, with its path. */
export function routesOf(routeConfig: Obj, base: string): { path: string; value: Obj }[] {
  return virtualHostsOf(routeConfig, base).flatMap((vh) =>
    asArr(vh.value['routes']).flatMap((route, j) => {
      const value = asObj(route);
      return value ? [{ path: indexPath(fieldPath(vh.path, 'routes'), j), value }] : [];
    }),
  );
}

/** Why a domain can never match or is rejected, or undefined when it is fine. */
export function domainProblem(domain: string): { rule: string; message: string } | undefined {
  const stars = domain.split('*').length - 1;
  if (stars > 1 || (stars === 1 && domain !== '*' && !domain.startsWith('*') && !domain.endsWith('*'))) {
    return { rule: 'route.wildcard_domain', message: `"${domain}": a wildcard must be one leading or trailing "*"` };
  }
  if (domain.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(domain);
    if (!m || parseAddress(m[1] ?? '')?.family !== 'IPv6') {
      return { rule: 'route.domain_syntax', message: `"${domain}" is not "[ipv6]" or "[ipv6]:port"` };
    }
    return undefined;
  }
  if ((domain.match(/:/g)?.length ?? 0) >= 2) {
    return {
      rule: 'route.ipv6_domain_brackets',
      message: `"${domain}" looks like an unbracketed IPv6 literal, which never matches a Host header; write "[addr]" or "[addr]:port"`,
    };
  }
  return undefined;
}

/** Checks domains; `base` is the route config's path inside its resource ('' for an RDS resource). */
export function checkRouteConfig(routeConfig: Obj, base: string, report: Report): void {
  const seen = new Map<string, string>();
  for (const vh of virtualHostsOf(routeConfig, base)) {
    asArr(vh.value['domains']).forEach((d, k) => {
      const domain = asStr(d);
      if (domain === undefined) return;
      const path = indexPath(fieldPath(vh.path, 'domains'), k);
      const problem = domainProblem(domain);
      if (problem) report(path, problem.rule, problem.message);
      const key = domain.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) report(path, 'route.unique_domain', `"${domain}" is already a domain at ${first}; domains must be unique across virtual hosts`);
      else seen.set(key, path);
    });
  }
}

/** The clusters a route configuration sends traffic to (cluster, weighted clusters, mirrors); cluster_header excluded. */
export function routeClusterRefs(routeConfig: Obj, base: string): ClusterRef[] {
  const refs: ClusterRef[] = [];
  for (const route of routesOf(routeConfig, base)) {
    const action = asObj(route.value['route']);
    if (!action) continue;
    const actionPath = fieldPath(route.path, 'route');
    const cluster = asStr(action['cluster']);
    if (cluster !== undefined) refs.push({ path: fieldPath(actionPath, 'cluster'), cluster });
    const weighted = fieldPath(fieldPath(actionPath, 'weighted_clusters'), 'clusters');
    asArr(asObj(action['weighted_clusters'])?.['clusters']).forEach((w, i) => {
      const name = asStr(asObj(w)?.['name']);
      if (name !== undefined) refs.push({ path: fieldPath(indexPath(weighted, i), 'name'), cluster: name });
    });
    asArr(action['request_mirror_policies']).forEach((m, i) => {
      const name = asStr(asObj(m)?.['cluster']);
      const path = fieldPath(indexPath(fieldPath(actionPath, 'request_mirror_policies'), i), 'cluster');
      if (name !== undefined && name !== '') refs.push({ path, cluster: name });
    });
  }
  return refs;
}
