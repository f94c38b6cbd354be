// TLS ServiceEntry hosts matched by SNI (spec §11): a proxy whose DNS its agent does not answer never dials a
// ServiceEntry's auto-allocated VIPs (nor has VIPs for a host without addresses that resolves by DNS or not at all),
// so such a host's TLS ports are matched by the ClientHello's server name on the port's wildcard listener, to the
// ServiceEntry's cluster. Everything else on that wildcard keeps falling through to PassthroughCluster.
import type { IPFamily, Proxy, Service } from '../model/index.ts';
import type { FilterChain } from './envoy-types.ts';
import { tcpProxyFilter } from './filters.ts';
import { isSplit, outboundClusterName, vipsForProxy, type FamilySplit, type VipFacts } from './service-plan.ts';
import { WILDCARD_PORTS } from './proxy-ports.ts';

/** Whether a service is reached by SNI on this proxy: a ServiceEntry without explicit addresses, resolution DNS or
 * NONE, of which the proxy dials no VIP. */
export function sniMatched(service: Service, proxy: VipFacts): boolean {
  if (service.kind !== 'ServiceEntry' || service.resolution === 'STATIC') return false;
  const explicit = service.vips.length > 0 && service.autoAllocated !== true;
  return !explicit && vipsForProxy(service, proxy).length === 0;
}

/** The ports of a service matched by SNI on this proxy: its TLS ports the sidecar can listen on, ascending. */
export function sniPorts(service: Service, proxy: VipFacts): number[] {
  if (!sniMatched(service, proxy)) return [];
  const ports = service.ports.filter((p) => p.protocol === 'TLS' && !WILDCARD_PORTS.has(p.port)).map((p) => p.port);
  return [...new Set(ports)].sort((a, b) => a - b);
}

/**
 * The chain of one SNI-matched service on a wildcard listener of `port` (of `family`, when the port is split): the
 * host as server name, TCP proxy to its cluster (the family's own cluster when the service is forwarded natively).
 */
export function sniChain(service: Service, port: number, family: IPFamily | undefined, split: FamilySplit): FilterChain {
  const native = family !== undefined && isSplit(split);
  const cluster = outboundClusterName(port, service.hostname, native ? family : undefined);
  return { name: cluster, filter_chain_match: { server_names: [service.hostname] }, filters: [tcpProxyFilter(cluster, cluster)] };
}
