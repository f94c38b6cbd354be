// The two listeners that actually bind: virtualOutbound (15001) receives every captured outbound connection and hands
// it to the listener matching its original destination; virtualInbound (15006) receives captured inbound connections.
// Both listen on the proxy's primary wildcard with the other family's wildcard as additional address on dual proxies.
// Each has a loop guard, as Istio does: a connection whose original destination is the listener's own port (sent to
// 15001/15006 directly, not redirected) matches a chain on that port (no IP ranges, so both families) that ends in
// BlackHoleCluster instead of being passed through to the same listener again, forever. Under TPROXY interception
// both are transparent and virtualInbound keeps the client's source address (interception.ts).
import type { Proxy } from '../model/types.ts';
import type { FilterChain, Listener } from './envoy-types.ts';
import { BLACKHOLE_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER } from './clusters.ts';
import { ORIGINAL_DST_FILTER, tcpProxyFilter } from './filters.ts';
import { compare, inboundClusterName } from './plan.ts';
export { inboundPorts } from './plan.ts';
import { ORIGINAL_SRC_FILTER, transparentAddresses } from './interception.ts';
import { wildcardAddresses } from './proxy-addresses.ts';
import { VIRTUAL_INBOUND_PORT, VIRTUAL_OUTBOUND_PORT } from './proxy-ports.ts';
export { VIRTUAL_INBOUND_PORT, VIRTUAL_OUTBOUND_PORT } from './proxy-ports.ts';

/** Name of virtualOutbound's loop guard chain (Istio's name). */
export const OUTBOUND_BLACKHOLE_CHAIN = 'virtualOutbound-blackhole';
/** Name of virtualInbound's loop guard chain (Istio's name). */
export const INBOUND_BLACKHOLE_CHAIN = 'virtualInbound-blackhole';

/** The proxy fields the capture listeners read. */
export type CaptureProxy = Pick<Proxy, 'mode' | 'primaryFamily' | 'interception'>;

/** A capture listener's addresses: the proxy's wildcards on `port`, transparent under TPROXY. */
function captureAddresses(proxy: CaptureProxy, port: number): Pick<Listener, 'address' | 'additional_addresses' | 'transparent' | 'socket_options'> {
  const addresses = wildcardAddresses(proxy, port);
  return proxy.interception === 'TPROXY' ? transparentAddresses(addresses) : addresses;
}

/** A chain matching only connections whose destination port is `port`, dropped in BlackHoleCluster. */
export function blackholeChain(name: string, port: number): FilterChain {
  return { name, filter_chain_match: { destination_port: { value: port } }, filters: [tcpProxyFilter(BLACKHOLE_CLUSTER, BLACKHOLE_CLUSTER)] };
}

/** virtualOutbound: `use_original_dst`, the loop guard on 15001, unmatched connections to PassthroughCluster. */
export function virtualOutboundListener(proxy: CaptureProxy): Listener {
  return {
    name: 'virtualOutbound',
    ...captureAddresses(proxy, VIRTUAL_OUTBOUND_PORT),
    filter_chains: [
      blackholeChain(OUTBOUND_BLACKHOLE_CHAIN, VIRTUAL_OUTBOUND_PORT),
      { name: 'virtualOutbound-catchall-tcp', filters: [tcpProxyFilter(PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER)] },
    ],
    use_original_dst: { value: true },
    traffic_direction: 'OUTBOUND',
  };
}

/**
 * virtualInbound: the original_dst listener filter, the loop guard on 15006, one chain per inbound port (matched by
 * destination port only, no IP ranges, so both families match) to `inbound|<port>||`, and a port-less chain to
 * InboundPassthroughCluster. `ports` never holds 15006 (`inboundPorts` leaves it out). Under TPROXY, original_src
 * follows original_dst, as in Istio.
 */
export function virtualInboundListener(proxy: CaptureProxy, ports: readonly number[]): Listener {
  const chains: FilterChain[] = [blackholeChain(INBOUND_BLACKHOLE_CHAIN, VIRTUAL_INBOUND_PORT)];
  for (const port of ports) {
    const cluster = inboundClusterName(port);
    chains.push({ name: cluster, filter_chain_match: { destination_port: { value: port } }, filters: [tcpProxyFilter(cluster, cluster)] });
  }
  chains.push({ name: 'virtualInbound-passthrough', filters: [tcpProxyFilter(INBOUND_PASSTHROUGH_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER)] });
  return {
    name: 'virtualInbound',
    ...captureAddresses(proxy, VIRTUAL_INBOUND_PORT),
    filter_chains: chains,
    listener_filters: proxy.interception === 'TPROXY' ? [ORIGINAL_DST_FILTER, ORIGINAL_SRC_FILTER] : [ORIGINAL_DST_FILTER],
    traffic_direction: 'INBOUND',
  };
}

/** Sorts any named resources by name, code-point order. */
export function byName<T extends { readonly name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compare(a.name, b.name));
}
