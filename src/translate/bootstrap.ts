// The Envoy bootstrap of one sidecar (envoy.config.bootstrap.v3.Bootstrap): node identity, ADS to biplane, admin on
// the primary family's localhost, and the static stats (15090) and readiness (15021) listeners on the wildcards of
// every family the pod has. Built as proto3 JSON, which is what Envoy reads from a file; `fromProto3Json` encodes it.
import { parseAddress } from '../model/address.ts';
import type { Proxy } from '../model/types.ts';
import { dnsLookupFamily } from './clusters.ts';
import { ROUTER_FILTER } from './filters.ts';
import { envoyAddress, localhostOf, wildcardAddresses } from './proxy-addresses.ts';

/** Where the sidecar finds biplane's ADS server. */
export interface XdsAddress {
  readonly host: string;
  readonly port: number;
}

/** Name of the bootstrap cluster that reaches the xDS server. */
export const XDS_CLUSTER = 'xds-grpc';
/** Envoy admin port (localhost only). */
export const ADMIN_PORT = 15000;

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

function staticHttpListener(proxy: Proxy, name: string, port: number, routes: readonly object[]): object {
  const hcm = {
    '@type': HCM,
    stat_prefix: name,
    route_config: { name, virtual_hosts: [{ name, domains: ['*'], routes }] },
    http_filters: [ROUTER_FILTER],
  };
  return { name, ...wildcardAddresses(proxy, port), filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }] }] };
}

/** The bootstrap of `proxy`'s sidecar, with ADS pointed at `xds` (STATIC for an IP literal, else STRICT_DNS). */
export function sidecarBootstrap(proxy: Proxy, xds: XdsAddress): Record<string, unknown> {
  const http2 = {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      explicit_http_config: { http2_protocol_options: {} },
    },
  };
  const literal = parseAddress(xds.host);
  const endpoint = (cluster: string, ip: string, port: number): object => ({
    cluster_name: cluster,
    endpoints: [{ lb_endpoints: [{ endpoint: { address: envoyAddress(ip, port) } }] }],
  });
  const localhost = localhostOf(proxy.primaryFamily);
  const ads = { ads: {}, resource_api_version: 'V3' };
  return {
    node: {
      id: proxy.id,
      cluster: `${proxy.pod ?? 'sidecar'}.${proxy.namespace}`,
      metadata: {
        INSTANCE_IPS: proxy.ips.map((a) => a.ip).join(','),
        NAMESPACE: proxy.namespace,
        ...(proxy.pod ? { NAME: proxy.pod } : {}),
        LABELS: { ...proxy.labels },
      },
      locality: { ...proxy.locality },
    },
    dynamic_resources: {
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER } }] },
      lds_config: ads,
      cds_config: ads,
    },
    static_resources: {
      clusters: [
        {
          name: XDS_CLUSTER,
          type: literal ? 'STATIC' : 'STRICT_DNS',
          ...(literal ? {} : { dns_lookup_family: dnsLookupFamily(proxy.mode) }),
          load_assignment: endpoint(XDS_CLUSTER, literal?.ip ?? xds.host, xds.port),
          typed_extension_protocol_options: http2,
        },
        { name: 'prometheus_stats', type: 'STATIC', load_assignment: endpoint('prometheus_stats', localhost, ADMIN_PORT) },
      ],
      listeners: [
        staticHttpListener(proxy, 'stats', 15090, [
          { match: { prefix: '/stats/prometheus' }, route: { cluster: 'prometheus_stats' } },
        ]),
        staticHttpListener(proxy, 'readiness', 15021, [
          { match: { prefix: '/healthz/ready' }, direct_response: { status: 200, body: { inline_string: 'ready\n' } } },
        ]),
      ],
    },
    admin: { address: envoyAddress(localhost, ADMIN_PORT) },
  };
}
