// The subset of Envoy's v3 API that biplane builds, as plain readonly data. Field names are the proto names
// (snake_case), so `encodeMessage(TypeUrl.X, value)` from src/envoy-api/protos.ts takes these objects as they are:
// `Any` fields are `{ '@type': url, ...fields }`, Durations `{ seconds, nanos? }`, wrappers `{ value }`, enums by name.

/** A `google.protobuf.Duration`. */
export interface Duration {
  readonly seconds: number;
  readonly nanos?: number;
}

/** A `google.protobuf.BoolValue` / `UInt32Value` wrapper. */
export interface Wrapped<T> {
  readonly value: T;
}

/** A `google.protobuf.Any`: the type URL plus the message's own fields. */
export interface TypedConfig {
  readonly '@type': string;
  readonly [field: string]: unknown;
}

/** `envoy.config.core.v3.SocketAddress`: an IP literal (IPv6 unbracketed) and a port. */
export interface SocketAddress {
  readonly address: string;
  readonly port_value: number;
  readonly protocol?: 'TCP' | 'UDP';
}

/** `envoy.config.core.v3.Address` (socket addresses only). */
export interface EnvoyAddress {
  readonly socket_address: SocketAddress;
}

/** `envoy.config.core.v3.SocketOption`. */
export interface SocketOption {
  readonly description?: string;
  readonly level: number;
  readonly name: number;
  readonly int_value?: number;
  readonly state?: 'STATE_PREBIND' | 'STATE_BOUND' | 'STATE_LISTENING';
}

/** `envoy.config.core.v3.ConfigSource` as biplane uses it: everything over the ADS stream. */
export interface ConfigSource {
  readonly ads: Record<string, never>;
  readonly resource_api_version: 'V3';
}

/** `envoy.config.core.v3.Locality`. */
export interface EnvoyLocality {
  readonly region?: string;
  readonly zone?: string;
  readonly sub_zone?: string;
}

// ---------------------------------------------------------------------------------------------------- listeners

/** `envoy.config.listener.v3.AdditionalAddress`: one more address sharing a listener's filter chains. */
export interface AdditionalAddress {
  readonly address: EnvoyAddress;
  readonly socket_options?: { readonly socket_options: readonly SocketOption[] };
}

/** `envoy.config.core.v3.CidrRange`. */
export interface CidrRange {
  readonly address_prefix: string;
  readonly prefix_len: Wrapped<number>;
}

/** `envoy.config.listener.v3.FilterChainMatch` (the fields biplane sets). */
export interface FilterChainMatch {
  readonly destination_port?: Wrapped<number>;
  readonly prefix_ranges?: readonly CidrRange[];
  readonly server_names?: readonly string[];
  readonly transport_protocol?: string;
  readonly application_protocols?: readonly string[];
}

/** `envoy.config.listener.v3.Filter` (network filter) and `ListenerFilter`: a name plus typed config. */
export interface NamedFilter {
  readonly name: string;
  readonly typed_config: TypedConfig;
}

/** `envoy.config.core.v3.TransportSocket`: TLS (or raw_buffer) on a connection, by typed config. */
export interface TransportSocket {
  readonly name: string;
  readonly typed_config: TypedConfig;
}

/** `google.protobuf.Struct` of string values, in the encoder's form (not its JSON form). */
export interface Struct {
  readonly fields: Readonly<Record<string, { readonly stringValue: string }>>;
}

/** `envoy.config.core.v3.Metadata` as biplane sets it: filter metadata per filter name. */
export interface Metadata {
  readonly filter_metadata: Readonly<Record<string, Struct>>;
}

/** `envoy.config.listener.v3.FilterChain`. */
export interface FilterChain {
  readonly name?: string;
  readonly filter_chain_match?: FilterChainMatch;
  readonly filters: readonly NamedFilter[];
  readonly transport_socket?: TransportSocket;
}

/** `envoy.config.listener.v3.Listener`. */
export interface Listener {
  readonly name: string;
  readonly address: EnvoyAddress;
  readonly additional_addresses?: readonly AdditionalAddress[];
  readonly filter_chains: readonly FilterChain[];
  readonly default_filter_chain?: FilterChain;
  readonly listener_filters?: readonly NamedFilter[];
  /** How long listener filters may wait for the client's first bytes (Envoy's default 15 s; 0 = forever). */
  readonly listener_filters_timeout?: Duration;
  /** On that timeout, go on to filter chain matching instead of closing the connection. */
  readonly continue_on_listener_filters_timeout?: boolean;
  readonly use_original_dst?: Wrapped<boolean>;
  /** TPROXY: the socket accepts connections to non-local addresses. */
  readonly transparent?: Wrapped<boolean>;
  /** Options of the main address's socket (and of additional addresses without their own). */
  readonly socket_options?: readonly SocketOption[];
  readonly bind_to_port?: Wrapped<boolean>;
  readonly traffic_direction?: 'UNSPECIFIED' | 'INBOUND' | 'OUTBOUND';
}

/** `envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy` inside its Any. */
export interface TcpProxyConfig extends TypedConfig {
  readonly stat_prefix: string;
  readonly cluster: string;
}

/** `envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager` inside its Any. */
export interface HttpConnectionManagerConfig extends TypedConfig {
  readonly stat_prefix: string;
  readonly codec_type?: 'AUTO' | 'HTTP1' | 'HTTP2';
  readonly rds: { readonly config_source: ConfigSource; readonly route_config_name: string };
  readonly http_filters: readonly NamedFilter[];
}

// ----------------------------------------------------------------------------------------------------- clusters

/** `envoy.config.core.v3.ExtraSourceAddress`: a second upstream bind address (the other family). */
export interface ExtraSourceAddress {
  readonly address: SocketAddress;
  readonly socket_options?: { readonly socket_options: readonly SocketOption[] };
}

/** `envoy.config.core.v3.BindConfig`: which source address upstream connections bind. */
export interface BindConfig {
  readonly source_address: SocketAddress;
  readonly extra_source_addresses?: readonly ExtraSourceAddress[];
}

/** `envoy.config.cluster.v3.Cluster.DiscoveryType` names biplane uses. */
export type DiscoveryType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';

/** `envoy.config.cluster.v3.Cluster.DnsLookupFamily`. */
export type DnsLookupFamily = 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';

/** `envoy.config.cluster.v3.Cluster`. */
export interface Cluster {
  readonly name: string;
  readonly alt_stat_name?: string;
  readonly type: DiscoveryType;
  readonly connect_timeout: Duration;
  readonly lb_policy?: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RING_HASH' | 'RANDOM' | 'MAGLEV' | 'CLUSTER_PROVIDED';
  readonly eds_cluster_config?: { readonly eds_config: ConfigSource; readonly service_name?: string };
  readonly dns_lookup_family?: DnsLookupFamily;
  readonly load_assignment?: ClusterLoadAssignment;
  readonly upstream_bind_config?: BindConfig;
  readonly typed_extension_protocol_options?: Readonly<Record<string, TypedConfig>>;
  /** Per-endpoint transport sockets, chosen by the endpoint's `envoy.transport_socket_match` metadata. */
  readonly transport_socket_matches?: readonly TransportSocketMatch[];
}

/** `envoy.config.cluster.v3.Cluster.TransportSocketMatch`: endpoints whose metadata holds `match` use this socket. */
export interface TransportSocketMatch {
  readonly name: string;
  readonly match: Struct;
  readonly transport_socket: TransportSocket;
}

// ------------------------------------------------------------------------------------------------------- routes

/** `envoy.config.route.v3.Route` (prefix match, forward to one cluster). */
export interface Route {
  readonly name?: string;
  readonly match: { readonly prefix: string };
  readonly route: { readonly cluster: string; readonly timeout?: Duration };
}

/** `envoy.config.route.v3.VirtualHost`. */
export interface VirtualHost {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly Route[];
}

/** `envoy.config.route.v3.RouteConfiguration`. */
export interface RouteConfiguration {
  readonly name: string;
  readonly virtual_hosts: readonly VirtualHost[];
  readonly validate_clusters?: Wrapped<boolean>;
}

// ---------------------------------------------------------------------------------------------------- endpoints

/** `envoy.config.endpoint.v3.Endpoint`: one backend, first address plus the others (Envoy ≥ 1.27). */
export interface EnvoyEndpoint {
  readonly address: EnvoyAddress;
  readonly additional_addresses?: readonly { readonly address: EnvoyAddress }[];
  readonly hostname?: string;
}

/** `envoy.config.core.v3.HealthStatus` names biplane uses. */
export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING';

/** `envoy.config.endpoint.v3.LbEndpoint`. */
export interface LbEndpoint {
  readonly endpoint: EnvoyEndpoint;
  /** For sidecar endpoints, `envoy.transport_socket_match` → `tlsMode: istio` (auto-mTLS). */
  readonly metadata?: Metadata;
  readonly health_status?: HealthStatus;
  readonly load_balancing_weight?: Wrapped<number>;
}

/** `envoy.config.endpoint.v3.LocalityLbEndpoints`. */
export interface LocalityLbEndpoints {
  readonly locality?: EnvoyLocality;
  readonly lb_endpoints: readonly LbEndpoint[];
  readonly load_balancing_weight?: Wrapped<number>;
  readonly priority?: number;
}

/** `envoy.config.endpoint.v3.ClusterLoadAssignment`. */
export interface ClusterLoadAssignment {
  readonly cluster_name: string;
  readonly endpoints: readonly LocalityLbEndpoints[];
}
