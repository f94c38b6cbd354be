// Server listeners (gRFC A36): a proxyless server bound to `<host>:<port>` asks for
// `grpc/server?xds.resource.listening_address=<host>:<port>` and refuses to serve unless `socket_address` repeats the
// bound host string exactly (unbracketed) and port. One filter chain with no `filter_chain_match` (a grpc-js server on
// `[::]` sees IPv4 peers as `::ffff:a.b.c.d`, and a match block only matches `raw_buffer`), one network filter (the
// HCM) with inline routes whose action is `non_forwarding_action`, router filter last.
import { isIP } from 'node:net';
import { parseAddress } from '../../model/address.ts';
import type { IPFamily, Proxy } from '../../model/types.ts';
import type { Listener } from '../envoy-types.ts';
import { ROUTER_FILTER } from '../filters.ts';
import { inboundPorts, type MeshLookup } from '../service-plan.ts';
import { localhostOf, wildcardOf } from '../proxy-addresses.ts';
import { HCM_TYPE_URL } from './client.ts';
import { serverListenerName, serverRouteName } from './names.ts';
import { splitHostPort } from '../../model/index.ts';
import type { GrpcHcmConfig } from './types.ts';

const FAMILIES: readonly IPFamily[] = ['IPv4', 'IPv6'];

/**
 * Whether a proxy's server may bind `ip` (canonical): its own pod IPs, the wildcard or the loopback address of either
 * family. Wildcards of both families are allowed whatever the proxy's mode: grpc-js listens on the port alone.
 */
export function mayBind(proxy: Pick<Proxy, 'ips'>, ip: string): boolean {
  const own = FAMILIES.flatMap((f) => [wildcardOf(f), localhostOf(f)]);
  return own.includes(ip) || proxy.ips.some((a) => a.ip === ip);
}

/** The inline-routes HCM of a server filter chain: any authority, every path accepted as it is. */
function serverHcm(port: number): GrpcHcmConfig {
  const name = serverRouteName(port);
  return {
    '@type': HCM_TYPE_URL,
    stat_prefix: name,
    route_config: {
      name,
      virtual_hosts: [{ name, domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, non_forwarding_action: {} }] }],
    },
    http_filters: [ROUTER_FILTER],
  };
}

/**
 * The server listener for a bound address as the application spelled it (`0.0.0.0:50051`, `[::]:50051`,
 * `[::1]:50051`, a pod IP), or undefined when it is not `ip:port` or the proxy may not bind that IP. The host string
 * goes into `socket_address` untouched (brackets removed), since grpc-js compares it as text.
 */
export function serverListener(proxy: Pick<Proxy, 'ips'>, hostPort: string): Listener | undefined {
  const split = splitHostPort(hostPort);
  if (!split || isIP(split.host) === 0) return undefined;
  const address = parseAddress(split.host);
  if (!address || !mayBind(proxy, address.ip)) return undefined;
  const name = serverRouteName(split.port);
  return {
    name: serverListenerName(hostPort),
    address: { socket_address: { address: split.host, port_value: split.port } },
    filter_chains: [{ name, filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: serverHcm(split.port) }] }],
  };
}

/** The `host:port` strings a server of this proxy typically binds on a port: both wildcards, then its pod IPs. */
export function serverBindAddresses(proxy: Pick<Proxy, 'ips'>, port: number): string[] {
  const hosts = ['0.0.0.0', '[::]', ...proxy.ips.map((a) => (a.family === 'IPv6' ? `[${a.ip}]` : a.ip))];
  return [...new Set(hosts)].map((h) => `${h}:${port}`);
}

/** Server listener names for every inbound port of the proxy (ports of services selecting its pod). */
export function serverListenerNames(mesh: MeshLookup, proxy: Proxy): string[] {
  return inboundPorts(mesh, proxy).flatMap((port) => serverBindAddresses(proxy, port).map(serverListenerName));
}
