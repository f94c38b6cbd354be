// A small Envoy simulator over EnvoyResources: "which listener, chain, route, cluster and endpoints would this call
// hit, and which source address would the upstream connection bind?" Used by behaviour tests and debugging tools.
import { parseAddress } from '../model/index.ts';
import type { Address, IPFamily } from '../model/index.ts';
import type {
  AdditionalAddress, BindConfig, Cluster, EnvoyAddress, HttpConnectionManagerConfig, Listener, TcpProxyConfig,
  VirtualHost,
} from './envoy-types.ts';
import type { EnvoyResources } from './types.ts';
import { VIRTUAL_INBOUND_PORT, VIRTUAL_OUTBOUND_PORT } from './listeners-virtual.ts';
import { wildcardOf } from './proxy-addresses.ts';
import { detect, matchFilterChain, type FirstBytes } from './simulate-match.ts';
export { detect, matchFilterChain, type Detected, type FirstBytes } from './simulate-match.ts';

/**
 * A connection the simulated sidecar captured: its original destination, what the client sends first (plaintext
 * HTTP/1.1 unless told otherwise) and, for HTTP, the Host header; for TLS the SNI and ALPN it offers.
 */
export interface SimulatedCall {
  readonly direction: 'outbound' | 'inbound';
  readonly destination: string;
  readonly port: number;
  readonly host?: string;
  readonly protocol?: FirstBytes;
  readonly sni?: string;
  readonly alpn?: readonly string[];
  /** The client's address, which an upstream connection keeps under original_src (TPROXY inbound). */
  readonly source?: string;
}

/** What the simulated Envoy did with a call; `error` says where it stopped. */
export interface SimulationResult {
  readonly family: IPFamily;
  readonly listener?: string;
  readonly filterChain?: string;
  /** The listener filters gave up waiting for the client to send first (server-first protocols) and went on. */
  readonly timedOut?: boolean;
  readonly routeConfig?: string;
  readonly virtualHost?: string;
  readonly cluster?: string;
  readonly clusterType?: Cluster['type'];
  /** Upstream address lists: per endpoint for EDS, the destination itself for ORIGINAL_DST, names for DNS. */
  readonly upstreams?: readonly (readonly string[])[];
  /** The family of the upstream connection: the first address's family (spec §6). */
  readonly upstreamFamily?: IPFamily;
  /** The source address bound for the upstream connection (upstream_bind_config by family). */
  readonly sourceAddress?: string;
  readonly error?: string;
}

function addressesOf(l: Listener): EnvoyAddress[] {
  return [l.address, ...(l.additional_addresses ?? []).map((a: AdditionalAddress) => a.address)];
}

function listens(l: Listener, ip: string, port: number): boolean {
  return addressesOf(l).some((a) => a.socket_address.address === ip && a.socket_address.port_value === port);
}

/** The listener a captured connection lands on: exact address match, else the same family's wildcard (spec §4). */
export function matchListener(listeners: readonly Listener[], dst: Address, port: number, bound: boolean): Listener | undefined {
  const pool = listeners.filter((l) => (l.bind_to_port?.value ?? true) === bound);
  return pool.find((l) => listens(l, dst.ip, port)) ?? pool.find((l) => listens(l, wildcardOf(dst.family), port));
}

/** Envoy's virtual host choice: exact domain, then `*.suffix`, then `prefix*`, then `*` (case-insensitive). */
export function matchVirtualHost(hosts: readonly VirtualHost[], authority: string): VirtualHost | undefined {
  const host = authority.toLowerCase();
  return (
    hosts.find((v) => v.domains.some((d) => d.toLowerCase() === host)) ??
    hosts.find((v) => v.domains.some((d) => d.startsWith('*') && d.length > 1 && host.endsWith(d.slice(1).toLowerCase()))) ??
    hosts.find((v) => v.domains.some((d) => d.endsWith('*') && d.length > 1 && host.startsWith(d.slice(0, -1).toLowerCase()))) ??
    hosts.find((v) => v.domains.includes('*'))
  );
}

/** Envoy's default local-address selector: the bind address whose family matches the upstream's. */
export function selectSource(bind: BindConfig | undefined, upstream: IPFamily): string | undefined {
  if (!bind) return undefined;
  const all = [bind.source_address, ...(bind.extra_source_addresses ?? []).map((e) => e.address)];
  return all.find((a) => parseAddress(a.address)?.family === upstream)?.address;
}

function upstreamsOf(r: EnvoyResources, cluster: Cluster, dst: Address): string[][] {
  if (cluster.type === 'ORIGINAL_DST') return [[dst.ip]];
  const cla = cluster.type === 'EDS' ? r.endpoints.find((e) => e.cluster_name === cluster.name) : cluster.load_assignment;
  return (cla?.endpoints ?? []).flatMap((l) =>
    l.lb_endpoints.map((lb) => [lb.endpoint.address, ...(lb.endpoint.additional_addresses ?? []).map((a) => a.address)].map((a) => a.socket_address.address)),
  ).filter((list) => list.length > 0);
}

/**
 * The upstream's source address: the cluster's bind address of the upstream family (it wins), else the client's own
 * address when the listener runs original_src, else whatever the kernel picks (undefined).
 */
function sourceFor(cluster: Cluster, family: IPFamily | undefined, keptSource: string | undefined): string | undefined {
  const bound = family ? selectSource(cluster.upstream_bind_config, family) : undefined;
  return bound ?? keptSource;
}

function finish(r: EnvoyResources, partial: SimulationResult, clusterName: string, dst: Address, keptSource?: string): SimulationResult {
  const cluster = r.clusters.find((c) => c.name === clusterName);
  if (!cluster) return { ...partial, cluster: clusterName, error: `cluster ${clusterName} not found` };
  const upstreams = upstreamsOf(r, cluster, dst);
  const first = upstreams[0]?.[0];
  const upstreamFamily = first === undefined ? undefined : parseAddress(first)?.family;
  const sourceAddress = sourceFor(cluster, upstreamFamily, keptSource);
  return {
    ...partial,
    cluster: clusterName,
    clusterType: cluster.type,
    upstreams,
    ...(upstreamFamily ? { upstreamFamily } : {}),
    ...(sourceAddress ? { sourceAddress } : {}),
  };
}

/** Runs one call through the resources: capture listener, original-destination hand-off, chain, route, cluster. */
export function simulate(r: EnvoyResources, call: SimulatedCall): SimulationResult {
  const dst = parseAddress(call.destination);
  if (!dst) return { family: 'IPv4', error: `destination ${call.destination} is not an IP literal` };
  const family = dst.family;
  const capturePort = call.direction === 'outbound' ? VIRTUAL_OUTBOUND_PORT : VIRTUAL_INBOUND_PORT;
  const capture = matchListener(r.listeners, { ip: wildcardOf(family), family }, capturePort, true);
  if (!capture) return { family, error: `no ${family} capture listener on port ${capturePort}` };
  const handed = capture.use_original_dst?.value ? matchListener(r.listeners, dst, call.port, false) : undefined;
  const listener = handed ?? capture;
  const detected = detect(listener, call.protocol ?? 'http/1.1', call.sni, call.alpn);
  if (detected.error) return { family, listener: listener.name, ...(detected.timedOut ? { timedOut: true } : {}), error: detected.error };
  const chain = matchFilterChain(listener, dst, call.port, detected);
  const base: SimulationResult = {
    family,
    listener: listener.name,
    ...(chain?.name ? { filterChain: chain.name } : {}),
    ...(detected.timedOut ? { timedOut: true } : {}),
  };
  const filter = chain?.filters[chain.filters.length - 1];
  if (!filter) return { ...base, error: 'no filter chain matched' };
  const keptSource = (listener.listener_filters ?? []).some((f) => f.name === 'envoy.filters.listener.original_src') ? call.source : undefined;
  if (filter.name === 'envoy.filters.network.tcp_proxy') {
    return finish(r, base, (filter.typed_config as TcpProxyConfig).cluster, dst, keptSource);
  }
  const routeName = (filter.typed_config as HttpConnectionManagerConfig).rds.route_config_name;
  const routes = r.routes.find((rc) => rc.name === routeName);
  if (!routes) return { ...base, routeConfig: routeName, error: `route configuration ${routeName} not found` };
  const authority = call.host ?? (family === 'IPv6' ? `[${dst.ip}]:${call.port}` : `${dst.ip}:${call.port}`);
  const vhost = matchVirtualHost(routes.virtual_hosts, authority);
  const route = vhost?.routes.find((x) => x.match.prefix === '/');
  if (!vhost || !route) return { ...base, routeConfig: routeName, error: `no virtual host for ${authority}` };
  return finish(r, { ...base, routeConfig: routeName, virtualHost: vhost.name }, route.route.cluster, dst, keptSource);
}
