// The two listeners that actually bind: virtualOutbound (15001) receives every captured outbound connection and hands
// it to the listener matching its original destination; virtualInbound (15006) receives captured inbound connections.
// Both listen on the proxy's primary wildcard with the other family's wildcard as additional address on dual proxies.
import type { Proxy } from '../model/types.ts';
import type { FilterChain, Listener } from './envoy-types.ts';
import { INBOUND_PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER } from './clusters.ts';
import { ORIGINAL_DST_FILTER, tcpProxyFilter } from './filters.ts';
import { compare, inboundClusterName } from './plan.ts';
export { inboundPorts } from './plan.ts';
import { wildcardAddresses } from './proxy-addresses.ts';

/** Port of the outbound capture listener. */
export const VIRTUAL_OUTBOUND_PORT = 15001;
/** Port of the inbound capture listener. */
export const VIRTUAL_INBOUND_PORT = 15006;

/** virtualOutbound: `use_original_dst`, unmatched connections to PassthroughCluster. */
export function virtualOutboundListener(proxy: Pick<Proxy, 'mode' | 'primaryFamily'>): Listener {
  return {
    name: 'virtualOutbound',
    ...wildcardAddresses(proxy, VIRTUAL_OUTBOUND_PORT),
    filter_chains: [{ name: 'virtualOutbound-catchall-tcp', filters: [tcpProxyFilter(PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER)] }],
    use_original_dst: { value: true },
    traffic_direction: 'OUTBOUND',
  };
}

/**
 * virtualInbound: the original_dst listener filter, one chain per inbound port (matched by destination port only, no
 * IP ranges, so both families match) to `inbound|<port>||`, and a port-less chain to InboundPassthroughCluster.
 */
export function virtualInboundListener(proxy: Pick<Proxy, 'mode' | 'primaryFamily'>, ports: readonly number[]): Listener {
  const chains: FilterChain[] = ports.map((port) => {
    const cluster = inboundClusterName(port);
    return { name: cluster, filter_chain_match: { destination_port: { value: port } }, filters: [tcpProxyFilter(cluster, cluster)] };
  });
  chains.push({ name: 'virtualInbound-passthrough', filters: [tcpProxyFilter(INBOUND_PASSTHROUGH_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER)] });
  return {
    name: 'virtualInbound',
    ...wildcardAddresses(proxy, VIRTUAL_INBOUND_PORT),
    filter_chains: chains,
    listener_filters: [ORIGINAL_DST_FILTER],
    traffic_direction: 'INBOUND',
  };
}

/** Sorts any named resources by name, code-point order. */
export function byName<T extends { readonly name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compare(a.name, b.name));
}
