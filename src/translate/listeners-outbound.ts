// Outbound listeners (spec §4): TCP/TLS service ports get a listener per VIP group, named by the primary VIP, with the
// other family's VIP as additional address; HTTP ports share a wildcard listener per port with RDS. Neither binds a
// socket: virtualOutbound (15001) hands each original-destination connection to them.
import type { Address, Proxy } from '../model/types.ts';
import type { Listener } from './envoy-types.ts';
import { httpConnectionManagerFilter, tcpProxyFilter } from './filters.ts';
import { forwardedPorts, isHttpProtocol, isNative, outboundClusterName, vipGroups, vipsForProxy, type MeshView } from './plan.ts';
import { envoyAddress, listenerAddresses, listenerName, proxyFamilies, wildcardAddresses, wildcardOf } from './proxy-addresses.ts';
import { httpPortFamilies, httpPorts, routeConfigName } from './routes.ts';
import type { ForwardingStrategy } from './types.ts';

/**
 * TCP (and TLS) listeners per VIP group. An address already used by an earlier listener (services sorted by hostname)
 * is skipped, since Envoy rejects an address twice; a group whose primary is taken promotes its next address.
 */
export function tcpVipListeners(view: MeshView, proxy: Proxy, strategy: ForwardingStrategy): Listener[] {
  const used = new Set<string>();
  const out: Listener[] = [];
  for (const service of view.services) {
    const native = isNative(service, proxy, strategy);
    const groups = vipGroups(vipsForProxy(service, proxy), native);
    for (const port of forwardedPorts(service)) {
      if (isHttpProtocol(port.protocol)) continue;
      for (const group of groups) {
        const fresh = group.filter((a: Address) => !used.has(`${a.ip}|${port.port}`));
        const addresses = listenerAddresses(fresh.map((a) => a.ip), port.port);
        const first = fresh[0];
        if (!addresses || !first) continue;
        fresh.forEach((a) => used.add(`${a.ip}|${port.port}`));
        const cluster = outboundClusterName(port.port, service.hostname, native ? first.family : undefined);
        out.push({
          name: listenerName(first.ip, port.port),
          ...addresses,
          filter_chains: [{ name: cluster, filters: [tcpProxyFilter(cluster, cluster)] }],
          bind_to_port: { value: false },
          traffic_direction: 'OUTBOUND',
        });
      }
    }
  }
  return out;
}

/** One HTTP listener per port on the wildcard(s): both families in one, or one per family when the port is split. */
export function httpWildcardListeners(view: MeshView, proxy: Proxy, strategy: ForwardingStrategy): Listener[] {
  const out: Listener[] = [];
  for (const port of httpPorts(view)) {
    for (const family of httpPortFamilies(view, port, proxy, strategy)) {
      const addresses = family ? { address: envoyAddress(wildcardOf(family), port) } : wildcardAddresses(proxy, port);
      const primary = family ?? proxyFamilies(proxy)[0] ?? proxy.primaryFamily;
      const name = listenerName(wildcardOf(primary), port);
      out.push({
        name,
        ...addresses,
        filter_chains: [{ name, filters: [httpConnectionManagerFilter(`outbound_${name}`, routeConfigName(port, family))] }],
        bind_to_port: { value: false },
        traffic_direction: 'OUTBOUND',
      });
    }
  }
  return out;
}
