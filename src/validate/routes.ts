// RouteConfiguration rules, for RDS resources and HCM inline route configs alike: virtual-host domains are unique,
// IPv6 literals are bracketed, wildcards are a single leading or trailing `*`.
import { parseAddress } from '../model/index.ts';
import { asArr, asStr, fieldPath, indexPath, type Obj } from '../envoy-api/plain.ts';
import { virtualHostsOf } from '../envoy-api/resource-walk.ts';
import type { Report } from './problem.ts';

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
