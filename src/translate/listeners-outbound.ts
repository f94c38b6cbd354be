// Outbound listeners (spec §4): TCP/TLS service ports get a listener per VIP group, named by the primary VIP, with the
// other family's VIP as additional address; a headless service's TCP/TLS ports get one per endpoint address and port
// (`<podIP>_<port>`, one per family); HTTP ports share a wildcard listener per port with RDS. None of them binds a
// socket: virtualOutbound (15001) hands each original-destination connection to them. A wildcard HTTP listener also
// receives every other connection the pod makes to that port (TLS, raw TCP, servers outside the mesh), so it sniffs
// as Istio does: the HTTP chain takes only what http_inspector recognised as plaintext HTTP, and everything else falls
// through to PassthroughCluster on both families. The same wildcard matches TLS ServiceEntry hosts by SNI for proxies
// that do not dial their VIPs (see sni.ts).
import { targetPortOf } from '../model/index.ts';
import type { Address, Endpoint, IPFamily, Proxy, Service, ServicePort } from '../model/index.ts';
import { PASSTHROUGH_CLUSTER } from './clusters.ts';
import type { FilterChain, Listener } from './envoy-types.ts';
import {
  HTTP_INSPECTOR_FILTER,
  httpConnectionManagerFilter,
  PROTOCOL_DETECTION_TIMEOUT,
  tcpProxyFilter,
  TLS_INSPECTOR_FILTER,
} from './filters.ts';
import { sniChain } from './sni.ts';
import { compareStrings as compare } from '../compare-strings.ts';
import {
  forwardedPorts,
  isHttpProtocol,
  isSplit,
  outboundClusterName,
  upstreamKind,
  vipGroups,
  vipsForProxy,
  type FamilySplit,
  type VipFacts,
} from './service-plan.ts';
import {
  envoyAddress,
  listenerAddresses,
  listenerName,
  proxyFamilies,
  usableAddresses,
  wildcardAddresses,
  wildcardOf,
} from './proxy-addresses.ts';
import { routeConfigName } from './routes.ts';

/** One would-be TCP listener: an address group on one port, and its listener when none of its addresses is taken. */
export interface TcpCandidate {
  readonly port: number;
  /** The cluster its TCP proxy forwards to. */
  readonly cluster: string;
  readonly group: readonly Address[];
  /** `ip|port` of every address of the group, the keys `placeTcpListeners` checks for collisions. */
  readonly keys: readonly string[];
  readonly listener: Listener;
}

function candidate(cluster: string, port: number, group: readonly Address[]): TcpCandidate | undefined {
  const listener = tcpListener(cluster, port, group);
  return listener && { port, cluster, group, keys: group.map((a) => `${a.ip}|${port}`), listener };
}

/**
 * Whether a service is reached by its endpoints' own addresses rather than VIPs: headless Services and ServiceEntries
 * with resolution NONE and no addresses. Their TCP ports get a listener per endpoint address (Istio's rule for
 * headless TCP); HTTP ports share the wildcard listener like every HTTP port.
 */
export function addressedDirectly(service: Service): boolean {
  return service.vips.length === 0 && upstreamKind(service) === 'ORIGINAL_DST';
}

/**
 * The TCP (and TLS) listener candidates of one service: one per VIP group per non-HTTP forwarded port; for a service
 * addressed directly, one per endpoint address the proxy can reach, on the endpoint's port (never merged across
 * families: the addresses of a headless service pair with no VIP), ports in service order, addresses sorted.
 */
export function serviceTcpCandidates(
  service: Service,
  endpoints: readonly Endpoint[],
  proxy: VipFacts,
  split: FamilySplit,
): TcpCandidate[] {
  const native = isSplit(split);
  const groups = vipGroups(vipsForProxy(service, proxy), native);
  const direct = addressedDirectly(service);
  const out: TcpCandidate[] = [];
  for (const port of forwardedPorts(service)) {
    if (isHttpProtocol(port.protocol)) continue;
    if (direct) {
      out.push(...endpointCandidates(service, port, endpoints, proxy));
      continue;
    }
    for (const group of groups) {
      const c = candidate(outboundClusterName(port.port, service.hostname, native ? group[0]?.family : undefined), port.port, group);
      if (c) out.push(c);
    }
  }
  return out;
}

/** One candidate per reachable endpoint address of `port` (IP endpoints only), by address. */
function endpointCandidates(service: Service, port: ServicePort, endpoints: readonly Endpoint[], proxy: Pick<Proxy, 'mode'>): TcpCandidate[] {
  const cluster = outboundClusterName(port.port, service.hostname);
  const found = new Map<string, { address: Address; port: number }>();
  for (const e of endpoints) {
    const target = e.hostname === undefined ? targetPortOf(service, port, e) : undefined;
    if (target === undefined) continue;
    for (const address of usableAddresses(proxy, e.addresses)) found.set(`${address.ip}|${target}`, { address, port: target });
  }
  const sorted = [...found.entries()].sort(([a], [b]) => compare(a, b)).map(([, v]) => v);
  return sorted.flatMap(({ address, port: target }) => candidate(cluster, target, [address]) ?? []);
}

function tcpListener(cluster: string, port: number, addresses: readonly Address[]): Listener | undefined {
  const bound = listenerAddresses(addresses.map((a) => a.ip), port);
  const first = addresses[0];
  if (!bound || !first) return undefined;
  return {
    name: listenerName(first.ip, port),
    ...bound,
    filter_chains: [{ name: cluster, filters: [tcpProxyFilter(cluster, cluster)] }],
    bind_to_port: { value: false },
    traffic_direction: 'OUTBOUND',
  };
}

/**
 * Places candidates in order (services sorted by hostname). An address already used by an earlier listener is
 * skipped, since Envoy rejects an address twice; a group whose primary is taken promotes its next address.
 */
export function placeTcpListeners(candidates: Iterable<readonly TcpCandidate[]>): Listener[] {
  const used = new Set<string>();
  const out: Listener[] = [];
  for (const list of candidates) {
    for (const c of list) {
      if (!c.keys.some((k) => used.has(k))) {
        c.keys.forEach((k) => used.add(k));
        out.push(c.listener);
        continue;
      }
      const fresh = c.group.filter((a) => !used.has(`${a.ip}|${c.port}`));
      const listener = tcpListener(c.cluster, c.port, fresh);
      if (!listener) continue;
      fresh.forEach((a) => used.add(`${a.ip}|${c.port}`));
      out.push(listener);
    }
  }
  return out;
}

/** What http_inspector reports for plaintext HTTP that the HTTP chain takes (HTTP/1.0 falls through, as in Istio). */
export const PLAINTEXT_HTTP_PROTOCOLS: readonly string[] = ['http/1.1', 'h2c'];
/** Name of the fall-through chain of a sniffing listener (Istio's name). */
export const PASSTHROUGH_CHAIN = 'PassthroughFilterChain';

/** The fall-through of a sniffing listener: anything not matched goes to its original destination. */
export function passthroughChain(): FilterChain {
  return { name: PASSTHROUGH_CHAIN, filters: [tcpProxyFilter(PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER)] };
}

/** What a wildcard listener of one port carries: an HTTP chain (an HTTP service uses the port), SNI-matched services. */
export interface WildcardPort {
  readonly port: number;
  readonly http: boolean;
  readonly sni: readonly { readonly service: Service; readonly split: FamilySplit }[];
}

/**
 * The wildcard listener(s) of one port: both families in one, or one per family in `families`. The HTTP chain
 * matches `raw_buffer` + `http/1.1`/`h2c` as the inspectors detect them; each SNI-matched service's chain matches its
 * host as TLS server name (spec §11); TLS to other names, other TCP, and clients that stay silent past the detection
 * timeout (server-first protocols) take the default chain to PassthroughCluster.
 */
export function wildcardPortListeners(
  wildcard: WildcardPort,
  families: readonly (IPFamily | undefined)[],
  proxy: Pick<Proxy, 'mode' | 'primaryFamily'>,
): Listener[] {
  const { port } = wildcard;
  return families.map((family) => {
    const addresses = family ? { address: envoyAddress(wildcardOf(family), port) } : wildcardAddresses(proxy, port);
    const primary = family ?? proxyFamilies(proxy)[0] ?? proxy.primaryFamily;
    const name = listenerName(wildcardOf(primary), port);
    const http: FilterChain[] = wildcard.http
      ? [{
          name,
          filter_chain_match: { transport_protocol: 'raw_buffer', application_protocols: PLAINTEXT_HTTP_PROTOCOLS },
          filters: [httpConnectionManagerFilter(`outbound_${name}`, routeConfigName(port, family))],
        }]
      : [];
    return {
      name,
      ...addresses,
      filter_chains: [...http, ...wildcard.sni.map((s) => sniChain(s.service, port, family, s.split))],
      default_filter_chain: passthroughChain(),
      listener_filters: wildcard.http ? [TLS_INSPECTOR_FILTER, HTTP_INSPECTOR_FILTER] : [TLS_INSPECTOR_FILTER],
      listener_filters_timeout: PROTOCOL_DETECTION_TIMEOUT,
      continue_on_listener_filters_timeout: true,
      bind_to_port: { value: false },
      traffic_direction: 'OUTBOUND',
    };
  });
}

