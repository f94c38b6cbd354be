// ClusterLoadAssignment rules (for EDS resources and a cluster's inline `load_assignment` alike): additional
// addresses are IP literals, and no ip:port appears twice in the whole assignment, additional addresses included
// (gRPC NACKs such an assignment; Envoy rejects it too).
import { asArr, asObj, fieldPath, indexPath, type Obj } from '../envoy-api/plain.ts';
import { socketInfo, isIpLiteral, type SocketInfo } from './net.ts';
import type { Report } from './problem.ts';

/** One address of one endpoint of an assignment. */
export interface EndpointAddress {
  readonly path: string;
  readonly info: SocketInfo;
  readonly additional: boolean;
}

/** One `lb_endpoints[j]` of `endpoints[i]`, with the locality it belongs to. */
export interface LocatedEndpoint {
  readonly path: string;
  readonly locality: Obj;
  readonly localityPath: string;
  readonly endpoint: Obj;
}

/** Every lb_endpoint of an assignment with its path (`endpoints[i].lb_endpoints[j]`). */
export function lbEndpointsOf(assignment: Obj, base: string): LocatedEndpoint[] {
  const out: LocatedEndpoint[] = [];
  asArr(assignment['endpoints']).forEach((locality, i) => {
    const l = asObj(locality);
    if (!l) return;
    const localityPath = indexPath(fieldPath(base, 'endpoints'), i);
    asArr(l['lb_endpoints']).forEach((lbEndpoint, j) => {
      const e = asObj(lbEndpoint);
      if (e) out.push({ path: indexPath(fieldPath(localityPath, 'lb_endpoints'), j), locality: l, localityPath, endpoint: e });
    });
  });
  return out;
}

/** The socket addresses of an assignment: each endpoint's address, then its additional addresses. */
export function endpointAddressesOf(assignment: Obj, base: string): EndpointAddress[] {
  const out: EndpointAddress[] = [];
  for (const lb of lbEndpointsOf(assignment, base)) {
    const endpoint = asObj(lb.endpoint['endpoint']);
    if (!endpoint) continue;
    const endpointPath = fieldPath(lb.path, 'endpoint');
    const primary = socketInfo(endpoint['address']);
    if (primary) out.push({ path: fieldPath(endpointPath, 'address'), info: primary, additional: false });
    asArr(endpoint['additional_addresses']).forEach((extra, k) => {
      const info = socketInfo(asObj(extra)?.['address']);
      const path = fieldPath(indexPath(fieldPath(endpointPath, 'additional_addresses'), k), 'address');
      if (info) out.push({ path, info, additional: true });
    });
  }
  return out;
}

/** Checks one assignment; `base` is its path inside the resource ('' for an EDS resource). */
export function checkAssignment(assignment: Obj, base: string, report: Report): void {
  const seen = new Map<string, string>();
  for (const address of endpointAddressesOf(assignment, base)) {
    if (address.additional && !isIpLiteral(address.info)) {
      report(address.path, 'endpoint.additional_address_ip', `"${address.info.host}" is not an IP literal; additional addresses must be IP addresses`);
    }
    const first = seen.get(address.info.hostPort);
    if (first !== undefined) {
      report(address.path, 'endpoint.unique_address', `${address.info.hostPort} already appears at ${first}; each ip:port may appear once per assignment`);
    } else {
      seen.set(address.info.hostPort, address.path);
    }
  }
}
