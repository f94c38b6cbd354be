// Proxyless gRPC's stricter reading of the same resources (gRFC A27 client, A36 server, A61 dual-stack
// endpoints): client listeners are api_listeners with an HCM fed by ADS or inline routes; clusters are EDS,
// LOGICAL_DNS or aggregate with round robin or ring hash; server listeners are plain HCM chains with
// non-forwarding routes bound exactly where their name says.
import { parseAddress } from '../model/index.ts';
import { anyTypeName, asArr, asNum, asObj, asStr, dig, fieldPath, isSet, type Obj, resourceName } from '../envoy-api/plain.ts';
import { discoveryType } from '../envoy-api/references.ts';
import { lbPolicy } from './clusters.ts';
import { filterChainsOf, hcmsOf, networkFiltersOf, routesOf, TypeName, virtualHostsOf, type Located } from '../envoy-api/resource-walk.ts';
import type { Report } from './problem.ts';

/** The name prefix of a gRPC server's listener resource (the default `server_listener_resource_name_template`). */
export const GRPC_SERVER_PREFIX = 'grpc/server?xds.resource.listening_address=';

/** Route configurations by name, to follow RDS references across resources. */
export type RouteLookup = ReadonlyMap<string, Obj>;

/**
 * An HCM's route configuration: with `routes` undefined (the resource alone) only an inline `route_config`; with
 * `routes` (the whole set) only one an RDS name refers to, when there is no inline one. Each rule that reads routes
 * thus runs once per HCM, either as a rule of one resource or as a rule across resources.
 */
function routeConfigOf(hcm: Located, routes: RouteLookup | undefined): { value: Obj; path: string } | undefined {
  const inline = asObj(hcm.value['route_config']);
  if (!routes) return inline ? { value: inline, path: fieldPath(hcm.path, 'route_config') } : undefined;
  if (inline) return undefined;
  const name = asStr(dig(hcm.value, 'rds', 'route_config_name'));
  const found = name === undefined ? undefined : routes.get(name);
  return found ? { value: found, path: `(route configuration "${name}")` } : undefined;
}

/** gRPC's virtual-host domain match: exact, `*`, `*suffix` or `prefix*`, case-insensitive. */
export function domainMatches(domain: string, authority: string): boolean {
  const d = domain.toLowerCase();
  const a = authority.toLowerCase();
  if (d === '*' || d === a) return true;
  if (d.startsWith('*')) return a.endsWith(d.slice(1));
  if (d.endsWith('*')) return a.startsWith(d.slice(0, -1));
  return false;
}

function clientHcm(listener: Obj): Located | undefined {
  return hcmsOf(listener).find((h) => h.path === 'api_listener.api_listener');
}

function checkClientListener(listener: Obj, report: Report): void {
  const hcm = clientHcm(listener);
  if (!hcm) {
    report('api_listener', 'grpc.api_listener', 'a gRPC client listener needs api_listener.api_listener holding an HttpConnectionManager');
    return;
  }
  const rds = asObj(hcm.value['rds']);
  if (rds && !isSet(dig(rds, 'config_source', 'ads'))) {
    report(fieldPath(hcm.path, 'rds.config_source'), 'grpc.route_source', 'gRPC fetches routes over the ADS stream: config_source needs ads {}');
  } else if (!rds && !isSet(hcm.value['route_config'])) {
    report(hcm.path, 'grpc.route_source', 'gRPC needs the routes via rds (over ADS) or inline route_config');
  }
  checkAuthority(listener, hcm, undefined, report);
}

/** Some virtual host of the client's route configuration must match the listener name, the target's authority. */
function checkAuthority(listener: Obj, hcm: Located, routes: RouteLookup | undefined, report: Report): void {
  const config = routeConfigOf(hcm, routes);
  if (!config) return;
  const authority = resourceName(listener);
  const domains = virtualHostsOf(config.value, '').flatMap((vh) => asArr(vh.value['domains']).map(asStr));
  if (!domains.some((d) => d !== undefined && domainMatches(d, authority))) {
    report(config.path, 'grpc.authority_domain', `no virtual host domain matches the authority "${authority}", so every RPC fails`);
  }
}

/** `[host]:port` or `host:port` from a server listener name; undefined when it is neither. */
function listeningAddress(name: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]*)\]:(\d+)$/.exec(name) ?? /^([^:[\]]*):(\d+)$/.exec(name);
  return m ? { host: m[1] ?? '', port: Number(m[2]) } : undefined;
}

/** The bound host is written without brackets; IP literals compare by value, names by text. */
function sameHost(bound: string, named: string): boolean {
  if (bound.startsWith('[')) return false;
  const a = bound;
  const b = named;
  const pa = parseAddress(a);
  const pb = parseAddress(b);
  return pa && pb ? pa.ip === pb.ip : a === b;
}

function checkServerAddress(listener: Obj, name: string, report: Report): void {
  const wanted = listeningAddress(name.slice(GRPC_SERVER_PREFIX.length));
  if (!wanted) {
    report('name', 'grpc.server_address', `"${name}" does not end in host:port (IPv6 as [addr]:port)`);
    return;
  }
  const host = asStr(dig(listener, 'address', 'socket_address', 'address'));
  const port = asNum(dig(listener, 'address', 'socket_address', 'port_value')) ?? 0;
  if (host === undefined || !sameHost(host, wanted.host) || port !== wanted.port) {
    const expected = `address "${wanted.host}", port_value ${wanted.port}`;
    report('address.socket_address', 'grpc.server_address', `must be ${expected} as the name says (no brackets), is address "${host ?? ''}", port_value ${port}`);
  }
}

function checkServerListener(listener: Obj, report: Report): void {
  checkServerAddress(listener, resourceName(listener), report);
  if (asArr(listener['listener_filters']).length > 0) {
    report('listener_filters', 'grpc.server_listener_filters', 'a gRPC server listener must have no listener filters');
  }
  if (asObj(listener['use_original_dst'])?.['value'] === true) {
    report('use_original_dst', 'grpc.server_original_dst', 'a gRPC server listener must not use use_original_dst');
  }
  for (const chain of filterChainsOf(listener)) {
    const filters = networkFiltersOf(chain);
    const only = filters[0];
    if (filters.length !== 1 || !only || anyTypeName(only.value['typed_config']) !== TypeName.hcm) {
      report(fieldPath(chain.path, 'filters'), 'grpc.server_filter_chain', `must hold exactly one network filter, the HttpConnectionManager; has ${filters.length}`);
    }
  }
  checkNonForwarding(listener, undefined, report);
}

/** Every route a gRPC server's HCMs use must be non-forwarding. */
function checkNonForwarding(listener: Obj, routes: RouteLookup | undefined, report: Report): void {
  for (const hcm of hcmsOf(listener)) {
    const config = routeConfigOf(hcm, routes);
    for (const route of config ? routesOf(config.value, config.path) : []) {
      if (!isSet(route.value['non_forwarding_action'])) {
        report(route.path, 'grpc.server_non_forwarding', 'a gRPC server route must have non_forwarding_action');
      }
    }
  }
}

function isServerListener(listener: Obj): boolean {
  return resourceName(listener).startsWith(GRPC_SERVER_PREFIX);
}

/** The gRPC rules of one listener on its own (inline routes only): server listeners by their name prefix. */
export function checkGrpcListener(listener: Obj, report: Report): void {
  if (isServerListener(listener)) checkServerListener(listener, report);
  else checkClientListener(listener, report);
}

/** The gRPC rules of one listener that read the route configurations its RDS names (the rest of the set). */
export function checkGrpcListenerRoutes(listener: Obj, routes: RouteLookup, report: Report): void {
  if (isServerListener(listener)) {
    checkNonForwarding(listener, routes, report);
    return;
  }
  const hcm = clientHcm(listener);
  if (hcm) checkAuthority(listener, hcm, routes, report);
}

/** The gRPC rules of one cluster: supported discovery type and load-balancing policy. */
export function checkGrpcCluster(cluster: Obj, report: Report): void {
  const type = discoveryType(cluster);
  const custom = asStr(dig(cluster, 'cluster_type', 'name'));
  if (type === undefined ? custom !== 'envoy.clusters.aggregate' : type !== 'EDS' && type !== 'LOGICAL_DNS') {
    report(type === undefined ? 'cluster_type' : 'type', 'grpc.cluster_type', `gRPC supports EDS, LOGICAL_DNS and aggregate clusters, not ${type ?? custom ?? '?'}`);
  }
  const policy = lbPolicy(cluster);
  if (!isSet(cluster['load_balancing_policy']) && policy !== 'ROUND_ROBIN' && policy !== 'RING_HASH') {
    report('lb_policy', 'grpc.lb_policy', `gRPC supports ROUND_ROBIN and RING_HASH, not ${policy}`);
  }
}

/** The gRPC rules of one assignment: localities named and weighted, priorities contiguous from 0. */
export function checkGrpcAssignment(assignment: Obj, report: Report): void {
  const priorities = new Set<number>();
  asArr(assignment['endpoints']).forEach((l, i) => {
    const locality = asObj(l) ?? {};
    const path = `endpoints[${i}]`;
    if (!isSet(locality['locality'])) report(fieldPath(path, 'locality'), 'grpc.locality_required', 'gRPC needs locality set on every locality entry (it may be empty)');
    const weight = asNum(dig(locality, 'load_balancing_weight', 'value')) ?? 0;
    if (weight < 1) report(fieldPath(path, 'load_balancing_weight'), 'grpc.locality_weight', `must be at least 1 for gRPC, is ${weight}`);
    priorities.add(asNum(locality['priority']) ?? 0);
  });
  const sorted = [...priorities].sort((a, b) => a - b);
  if (sorted.some((p, i) => p !== i)) {
    report('endpoints', 'grpc.priorities_contiguous', `priorities ${sorted.join(', ')} must be contiguous from 0`);
  }
}
