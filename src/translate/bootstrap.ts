// The Envoy bootstrap of one sidecar (envoy.config.bootstrap.v3.Bootstrap): node identity, ADS to biplane, admin on
// the primary family's localhost, and the static stats (15090) and readiness (15021; left out when `biplane agent`
// serves it) listeners on the wildcards of every family the pod has. Built as proto3 JSON, which is what Envoy reads
// from a file; `fromProto3Json` encodes it.
import { parseAddress } from '../model/index.ts';
import type { InterceptionMode, Proxy } from '../model/index.ts';
import { dnsLookupFamily } from './clusters.ts';
import { ROUTER_FILTER } from './filters.ts';
import { envoyAddress, localhostOf, wildcardAddresses } from './proxy-addresses.ts';
import { ADMIN_PORT, READINESS_PORT, STATS_PORT } from './proxy-ports.ts';
import { SDS_CLUSTER } from './mtls.ts';
import { xdsTransportSocket, type XdsTls } from './xds-tls.ts';

/** Where the sidecar finds biplane's ADS server: a host (IP literal or DNS name) and port, or a Unix socket path. */
export type XdsAddress = { readonly host: string; readonly port: number } | { readonly pipe: string };

/** The ADS flavour the sidecar speaks: state of the world (`GRPC`) or incremental (`DELTA_GRPC`). */
export type AdsApiType = 'GRPC' | 'DELTA_GRPC';

/** A ClusterLoadAssignment with a single endpoint. */
function loadAssignment(cluster: string, address: object): object {
  return { cluster_name: cluster, endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] };
}

const HTTP2_OPTIONS = {
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
    '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
    explicit_http_config: { http2_protocol_options: {} },
  },
};

/** The bootstrap cluster that reaches the xDS server: STATIC for an IP literal or a Unix socket, else STRICT_DNS. */
function xdsCluster(proxy: Proxy, xds: XdsAddress, tls: XdsTls | undefined): object {
  const endpoint = (address: object): object => loadAssignment(XDS_CLUSTER, address);
  const rest = { typed_extension_protocol_options: HTTP2_OPTIONS, ...(tls ? { transport_socket: xdsTransportSocket(tls) } : {}) };
  if ('pipe' in xds) return { name: XDS_CLUSTER, type: 'STATIC', load_assignment: endpoint({ pipe: { path: xds.pipe } }), ...rest };
  const literal = parseAddress(xds.host);
  return {
    name: XDS_CLUSTER,
    type: literal ? 'STATIC' : 'STRICT_DNS',
    ...(literal ? {} : { dns_lookup_family: dnsLookupFamily(proxy.mode) }),
    load_assignment: endpoint(envoyAddress(literal?.ip ?? xds.host, xds.port)),
    ...rest,
  };
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

/** How the sidecar talks to biplane and how its pod's traffic is captured. */
export interface BootstrapOptions {
  /** State of the world (`GRPC`, the default) or incremental (`DELTA_GRPC`) ADS. */
  readonly apiType?: AdsApiType;
  /** Sent as node metadata `INTERCEPTION_MODE`; default: TPROXY when the proxy is captured so, else left unsaid. */
  readonly interception?: InterceptionMode;
  /**
   * Who answers readiness on 15021: Envoy's static listener (`envoy`, the default: a fixed 200) or `biplane agent`,
   * which serves 15021 itself from Envoy's real state, so the bootstrap leaves the port free.
   */
  readonly readiness?: 'envoy' | 'agent';
  /** Extra string node metadata (the agent says `DNS_CAPTURE` / `DNS_AUTO_ALLOCATE`, as Istio's agent does). */
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * The Unix socket of the agent's SDS server: adds the static `sds-grpc` cluster and node metadata `SDS`, so the
   * control plane gives this sidecar mesh mTLS. Without it the sidecar has no certificates and speaks plaintext.
   */
  readonly sdsSocket?: string;
  /**
   * xDS over TLS (biplane's 15012): the server checked by this root file and name, the pod's SDS certificate as the
   * client certificate. Needs `sdsSocket`.
   */
  readonly xdsTls?: XdsTls;
}

/** Where Istio's agent serves SDS (relative to the proxy's working directory); biplane's default too. */
export const DEFAULT_SDS_SOCKET = './var/run/secrets/workload-spiffe-uds/socket';

/** The static cluster to the agent's SDS server: HTTP/2 over a Unix socket. */
function sdsCluster(path: string): object {
  return {
    name: SDS_CLUSTER,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: loadAssignment(SDS_CLUSTER, { pipe: { path } }),
    typed_extension_protocol_options: HTTP2_OPTIONS,
  };
}

/**
 * The bootstrap of `proxy`'s sidecar, with ADS pointed at `xds`. Node metadata says `INTERCEPTION_MODE` when the
 * proxy is captured by TPROXY or `options.interception` states a mode, so the control plane builds the matching
 * capture listeners.
 */
export function sidecarBootstrap(proxy: Proxy, xds: XdsAddress, options: BootstrapOptions = {}): Record<string, unknown> {
  if (options.xdsTls && options.sdsSocket === undefined) throw new Error('xDS over TLS needs the SDS socket: the client certificate comes from it');
  const mode = options.interception ?? (proxy.interception === 'TPROXY' ? 'TPROXY' : undefined);
  const apiType = options.apiType ?? 'GRPC';
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
        ...(options.sdsSocket !== undefined ? { SDS: 'true' } : {}),
        ...options.metadata,
        LABELS: { ...proxy.labels },
      },
      locality: { ...proxy.locality },
    },
    dynamic_resources: {
      ads_config: { api_type: apiType, transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER } }] },
      lds_config: ads,
      cds_config: ads,
    },
    static_resources: {
      clusters: [
        xdsCluster(proxy, xds, options.xdsTls),
        ...(options.sdsSocket !== undefined ? [sdsCluster(options.sdsSocket)] : []),
        { name: 'prometheus_stats', type: 'STATIC', load_assignment: loadAssignment('prometheus_stats', envoyAddress(localhost, ADMIN_PORT)) },
      ],
      listeners: [
        staticHttpListener(proxy, 'stats', STATS_PORT, [
          { match: { prefix: '/stats/prometheus' }, route: { cluster: 'prometheus_stats' } },
        ]),
        ...(options.readiness === 'agent' ? [] : [
          staticHttpListener(proxy, 'readiness', READINESS_PORT, [
            { match: { prefix: '/healthz/ready' }, direct_response: { status: 200, body: { inline_string: 'ready\n' } } },
          ]),
        ]),
      ],
    },
    admin: { address: envoyAddress(localhost, ADMIN_PORT) },
  };
}
