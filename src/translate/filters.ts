// The network and listener filters biplane uses, as typed configs. Shared by sidecar listeners, the bootstrap and
// (later) proxyless gRPC api_listeners.
import type { Duration, HttpConnectionManagerConfig, NamedFilter, TcpProxyConfig } from './envoy-types.ts';
import { ADS } from './clusters.ts';

/** The router, always the last HTTP filter. */
export const ROUTER_FILTER: NamedFilter = {
  name: 'envoy.filters.http.router',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
};

/** A tcp_proxy network filter to one cluster. */
export function tcpProxyFilter(statPrefix: string, cluster: string): NamedFilter {
  const typed_config: TcpProxyConfig = {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
    stat_prefix: statPrefix,
    cluster,
  };
  return { name: 'envoy.filters.network.tcp_proxy', typed_config };
}

/** An HTTP connection manager network filter fetching `routeConfigName` over ADS, router last. */
export function httpConnectionManagerFilter(statPrefix: string, routeConfigName: string): NamedFilter {
  const typed_config: HttpConnectionManagerConfig = {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: statPrefix,
    rds: { config_source: ADS, route_config_name: routeConfigName },
    http_filters: [ROUTER_FILTER],
  };
  return { name: 'envoy.filters.network.http_connection_manager', typed_config };
}

/** The original_dst listener filter: restores the pre-redirect destination so filter chains can match on it. */
export const ORIGINAL_DST_FILTER: NamedFilter = {
  name: 'envoy.filters.listener.original_dst',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst' },
};

/** The tls_inspector listener filter: marks TLS connections (`transport_protocol: tls`, SNI, ALPN) before matching. */
export const TLS_INSPECTOR_FILTER: NamedFilter = {
  name: 'envoy.filters.listener.tls_inspector',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' },
};

/** The http_inspector listener filter: sets `http/1.0`, `http/1.1` or `h2c` on plaintext HTTP; after tls_inspector. */
export const HTTP_INSPECTOR_FILTER: NamedFilter = {
  name: 'envoy.filters.listener.http_inspector',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector' },
};

/**
 * How long sniffing listener filters wait for a client's first bytes before the connection goes on undetected (with
 * `continue_on_listener_filters_timeout`). Istio's default today is 0 (wait forever), which hangs server-first
 * protocols such as MySQL on a sniffed port; it used to be 100 ms, which sends slow HTTP clients down the TCP path.
 * One second keeps a server-first client's wait short and a detection miss rare (and a miss still reaches its
 * destination, through PassthroughCluster).
 */
export const PROTOCOL_DETECTION_TIMEOUT: Duration = { seconds: 1 };
