// The shapes proxyless gRPC needs beyond the sidecar's subset of Envoy's API: api_listeners (gRFC A27) and server
// listeners whose HTTP connection manager carries its routes inline (gRFC A36).
import type {
  Cluster,
  ClusterLoadAssignment,
  ConfigSource,
  Listener,
  NamedFilter,
  RouteConfiguration,
  TypedConfig,
} from '../envoy-types.ts';

/** A route that lets a server accept the call as it is (A36): match a prefix, `non_forwarding_action`. */
export interface NonForwardingRoute {
  readonly name?: string;
  readonly match: { readonly prefix: string };
  readonly non_forwarding_action: Record<string, never>;
}

/** A RouteConfiguration of a server listener (inline in its HCM). */
export interface ServerRouteConfiguration {
  readonly name: string;
  readonly virtual_hosts: readonly {
    readonly name: string;
    readonly domains: readonly string[];
    readonly routes: readonly NonForwardingRoute[];
  }[];
}

/** An HttpConnectionManager typed config: routes over RDS (clients) or inline (servers); router filter last. */
export interface GrpcHcmConfig extends TypedConfig {
  readonly stat_prefix: string;
  readonly rds?: { readonly config_source: ConfigSource; readonly route_config_name: string };
  readonly route_config?: ServerRouteConfiguration;
  readonly http_filters: readonly NamedFilter[];
}

/** The LDS resource a gRPC client resolves `xds:///host:port` through: no address, just an HCM (gRFC A27). */
export interface ApiListener {
  readonly name: string;
  readonly api_listener: { readonly api_listener: GrpcHcmConfig };
}

/** Any listener a proxyless application gets: a client api_listener or a server listener (a plain Listener). */
export type ProxylessListener = ApiListener | Listener;

/** Every resource one proxyless application gets, by xDS type, each list sorted by name. */
export interface ProxylessResources {
  readonly listeners: readonly ProxylessListener[];
  readonly clusters: readonly Cluster[];
  readonly routes: readonly RouteConfiguration[];
  readonly endpoints: readonly ClusterLoadAssignment[];
}

/** Options of `translateProxyless`. */
export interface ProxylessOptions {
  /** Include server listeners (A36) for the proxy's inbound ports; default true. */
  readonly serverListeners?: boolean;
}
