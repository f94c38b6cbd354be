// The Envoy bootstrap of one sidecar (envoy.config.bootstrap.v3.Bootstrap): node identity, ADS to biplane, admin on
// the primary family's localhost, and the static stats (15090) and readiness (15021) listeners on the wildcards of
// every family the pod has. Built without Duration or wrapper fields so the object is also valid proto3 JSON, which
// is what Envoy reads from a file; only `node.metadata` (a Struct) needs `toStruct` before encoding.
import { parseAddress } from '../model/address.ts';
import type { InterceptionMode, Proxy } from '../model/types.ts';
import { dnsLookupFamily } from './clusters.ts';
import { ROUTER_FILTER } from './filters.ts';
import { envoyAddress, localhostOf, wildcardAddresses } from './proxy-addresses.ts';
import { ADMIN_PORT, READINESS_PORT, STATS_PORT } from './proxy-ports.ts';

/** Where the sidecar finds biplane's ADS server. */
export interface XdsAddress {
  readonly host: string;
  readonly port: number;
}

/** Name of the bootstrap cluster that reaches the xDS server. */
export const XDS_CLUSTER = 'xds-grpc';
export { ADMIN_PORT } from './proxy-ports.ts';

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

/**
 * The bootstrap of `proxy`'s sidecar, with ADS pointed at `xds` (STATIC for an IP literal, else STRICT_DNS). Node
 * metadata says `INTERCEPTION_MODE` when the proxy is captured by TPROXY or `interception` states a mode, so the
 * control plane builds the matching capture listeners.
 */
export function sidecarBootstrap(proxy: Proxy, xds: XdsAddress, interception?: InterceptionMode): Record<string, unknown> {
  const mode = interception ?? (proxy.interception === 'TPROXY' ? 'TPROXY' : undefined);
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
        ...(mode ? { INTERCEPTION_MODE: mode } : {}),
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
        staticHttpListener(proxy, 'stats', STATS_PORT, [
          { match: { prefix: '/stats/prometheus' }, route: { cluster: 'prometheus_stats' } },
        ]),
        staticHttpListener(proxy, 'readiness', READINESS_PORT, [
          { match: { prefix: '/healthz/ready' }, direct_response: { status: 200, body: { inline_string: 'ready\n' } } },
        ]),
      ],
    },
    admin: { address: envoyAddress(localhost, ADMIN_PORT) },
  };
}

/** A plain JSON value as a google.protobuf.Value in the encoder's shape. */
function toValue(v: unknown): object {
  if (typeof v === 'string') return { string_value: v };
  if (typeof v === 'number') return { number_value: v };
  if (typeof v === 'boolean') return { bool_value: v };
  if (Array.isArray(v)) return { list_value: { values: v.map(toValue) } };
  if (v !== null && typeof v === 'object') return { struct_value: toStruct(v as Record<string, unknown>) };
  return { null_value: 'NULL_VALUE' };
}

/** A plain JSON object as a google.protobuf.Struct in the encoder's shape (`{ fields: { k: Value } }`). */
export function toStruct(o: Readonly<Record<string, unknown>>): object {
  return { fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toValue(v)])) };
}

/** The bootstrap in the encoder's shape (metadata as Struct), for `encodeMessage`. */
export function encodableBootstrap(bootstrap: Record<string, unknown>): Record<string, unknown> {
  const node = bootstrap['node'] as Record<string, unknown>;
  return { ...bootstrap, node: { ...node, metadata: toStruct(node['metadata'] as Record<string, unknown>) } };
}
