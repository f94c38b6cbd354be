// Client resources (gRFC A27 + A61): per target an api_listener whose HCM fetches the service port's RouteConfiguration
// over ADS; per service port one RouteConfiguration (one virtual host whose domains are every authority the proxy
// may dial it by), one cluster (EDS, or LOGICAL_DNS for DNS names) and one ClusterLoadAssignment whose endpoints carry
// the other family as `additional_addresses` (gRPC races them, Happy Eyeballs).
import type { Proxy, Service, ServicePort } from '../../model/types.ts';
import { ADS, dnsCluster, dnsHosts, edsCluster } from '../clusters.ts';
import { backendsFor, loadAssignment } from '../endpoints.ts';
import type { Cluster, ClusterLoadAssignment, RouteConfiguration } from '../envoy-types.ts';
import { ROUTER_FILTER } from '../filters.ts';
import { compareStrings as compare } from '../../compare-strings.ts';
import { outboundClusterName, type MeshLookup } from '../service-plan.ts';
import { serviceDomains } from '../routes.ts';
import { clientRouteName } from './names.ts';
import { proxylessUpstream, type ClientTarget } from './targets.ts';
import type { ApiListener, GrpcHcmConfig } from './types.ts';

/** Type URL of the HttpConnectionManager inside an api_listener or a server filter chain. */
export const HCM_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** The api_listener a client resolves `xds:///<name>` through: RDS over ADS to the service port's routes. */
export function clientListener(name: string, target: ClientTarget): ApiListener {
  const hcm: GrpcHcmConfig = {
    '@type': HCM_TYPE_URL,
    stat_prefix: name,
    rds: { config_source: ADS, route_config_name: clientRouteName(target.service.hostname, target.port.port) },
    http_filters: [ROUTER_FILTER],
  };
  return { name, api_listener: { api_listener: hcm } };
}

/**
 * The RouteConfiguration of one service port: one virtual host (so domains are trivially unique) listing every
 * authority the proxy may dial, each with and without `:port`, IPv6 VIPs bracketed; everything to the one cluster.
 */
export function clientRoute(service: Service, port: ServicePort, proxy: Proxy): RouteConfiguration {
  const name = clientRouteName(service.hostname, port.port);
  return {
    name,
    virtual_hosts: [
      {
        name,
        domains: [...new Set(serviceDomains(service, port.port, proxy))],
        routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster: outboundClusterName(port.port, service.hostname) } }],
      },
    ],
  };
}

/** The cluster of one service port: EDS over ADS with round robin, or LOGICAL_DNS on the first (sorted) DNS name. */
export function clientCluster(mesh: MeshLookup, service: Service, port: ServicePort, proxy: Proxy): Cluster | undefined {
  const name = outboundClusterName(port.port, service.hostname);
  const upstream = proxylessUpstream(service);
  if (upstream === 'EDS') return edsCluster(name);
  if (upstream !== 'LOGICAL_DNS') return undefined;
  const hosts = dnsHosts(service, port, mesh.endpointsOf(service.hostname));
  const first = [...hosts].sort((a, b) => compare(a.host, b.host) || a.port - b.port)[0];
  return first ? dnsCluster(name, [first], proxy.mode) : undefined;
}

/**
 * The load assignment of one EDS service port: ready endpoints HEALTHY (terminating-but-serving DRAINING), first
 * usable address primary and the rest (podIPs order) additional, addresses the proxy's mode cannot reach dropped,
 * (ip, port) unique across the assignment, every locality set with weight ≥ 1, one priority.
 */
export function clientEndpoints(mesh: MeshLookup, service: Service, port: ServicePort, proxy: Proxy): ClusterLoadAssignment | undefined {
  if (proxylessUpstream(service) !== 'EDS') return undefined;
  const name = outboundClusterName(port.port, service.hostname);
  return loadAssignment(name, backendsFor(service, port, mesh.endpointsOf(service.hostname), proxy));
}
