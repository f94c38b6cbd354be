// The HTTP connection manager's filter rule: the router filter last. Where HCMs sit is src/envoy-api/resource-walk.ts.
import { anyTypeName, asArr, asObj, asStr, fieldPath, indexPath } from '../envoy-api/plain.ts';
import { TypeName, type Located } from '../envoy-api/resource-walk.ts';
import type { Report } from './problem.ts';

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
