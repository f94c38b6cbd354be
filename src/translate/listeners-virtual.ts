// The two listeners that actually bind: virtualOutbound (15001) receives every captured outbound connection and hands
// it to the listener matching its original destination; virtualInbound (15006) receives captured inbound connections.
// Both listen on the proxy's primary wildcard with the other family's wildcard as additional address on dual proxies.
// Each has a loop guard, as Istio does: a connection whose original destination is the listener's own port (sent to
// 15001/15006 directly, not redirected) matches a chain on that port (no IP ranges, so both families) that ends in
// BlackHoleCluster instead of being passed through to the same listener again, forever. Under TPROXY interception
// both are transparent and virtualInbound keeps the client's source address (interception.ts).
import type { Proxy } from '../model/index.ts';
import type { FilterChain, Listener } from './envoy-types.ts';
import { BLACKHOLE_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER } from './clusters.ts';
import { ORIGINAL_DST_FILTER, PROTOCOL_DETECTION_TIMEOUT, TLS_INSPECTOR_FILTER, tcpProxyFilter } from './filters.ts';
import { portMtls, type InboundMtls } from '../model/index.ts';
import { effectiveMode, inboundChains } from './mtls.ts';
import { compareStrings as compare } from '../compare-strings.ts';
import { inboundClusterName } from './service-plan.ts';
export { inboundPorts } from './service-plan.ts';
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

/** Istio's default when no PeerAuthentication says otherwise: mTLS accepted, plaintext too. */
export const DEFAULT_INBOUND_MTLS: InboundMtls = { mode: 'PERMISSIVE', ports: [] };

/**
 * virtualInbound: the original_dst listener filter, the loop guard on 15006, the chains of each inbound port (matched
 * by destination port, no IP ranges, so both families match) to `inbound|<port>||`, and port-less chains to
 * InboundPassthroughCluster, each by its PeerAuthentication mode (`mtls.ts`; ports with a port-level mode but no
 * service get passthrough chains of their own). `ports` never holds 15006 (`inboundPorts` leaves it out). Under
 * TPROXY, original_src follows original_dst, as in Istio; tls_inspector comes last when a chain matches on TLS.
 */
export function virtualInboundListener(proxy: CaptureProxy & Pick<Proxy, 'sds'>, ports: readonly number[], mtls: InboundMtls = DEFAULT_INBOUND_MTLS): Listener {
  const sds = proxy.sds === true;
  const refuse = [tcpProxyFilter(BLACKHOLE_CLUSTER, BLACKHOLE_CLUSTER)];
  const chains: FilterChain[] = [blackholeChain(INBOUND_BLACKHOLE_CHAIN, VIRTUAL_INBOUND_PORT)];
  const passthrough = [tcpProxyFilter(INBOUND_PASSTHROUGH_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER)];
  const own = new Set(ports);
  for (const port of [...ports, ...mtls.ports.map((p) => p.port).filter((p) => !own.has(p) && p !== VIRTUAL_INBOUND_PORT)].sort((a, b) => a - b)) {
    const cluster = own.has(port) ? inboundClusterName(port) : `virtualInbound-passthrough-${port}`;
    const filters = own.has(port) ? [tcpProxyFilter(cluster, cluster)] : passthrough;
    chains.push(...inboundChains(cluster, port, effectiveMode(portMtls(mtls, port), sds), filters, refuse));
  }
  chains.push(...inboundChains('virtualInbound-passthrough', undefined, effectiveMode(mtls.mode, sds), passthrough, refuse));
  const tls = chains.some((c) => c.filter_chain_match?.transport_protocol !== undefined);
  const filters = proxy.interception === 'TPROXY' ? [ORIGINAL_DST_FILTER, ORIGINAL_SRC_FILTER] : [ORIGINAL_DST_FILTER];
  return {
    name: 'virtualInbound',
    ...captureAddresses(proxy, VIRTUAL_INBOUND_PORT),
    filter_chains: chains,
    listener_filters: tls ? [...filters, TLS_INSPECTOR_FILTER] : filters,
    ...(tls ? { listener_filters_timeout: PROTOCOL_DETECTION_TIMEOUT, continue_on_listener_filters_timeout: true } : {}),
    traffic_direction: 'INBOUND',
  };
}

/** Sorts any named resources by name, code-point order. */
export function byName<T extends { readonly name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compare(a.name, b.name));
}
