// Hand-built Envoy resources for the validator tests: a correct dual-stack snapshot (IPv4-primary service with an
// IPv6 VIP, inbound passthrough with both source families, EDS endpoints with IPv6 additional addresses, bracketed
// IPv6 route domains) and a correct proxyless gRPC snapshot. Tests copy them and break one thing each.
import { TypeUrl } from '../../src/envoy-api/protos.ts';

/** A mutable JSON object, so a test can break exactly one field. */
export type Json = Record<string, unknown>;

/** Four mutable lists shaped like the translator's output. */
export interface Fixture {
  listeners: Json[];
  clusters: Json[];
  routes: Json[];
  endpoints: Json[];
}

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP_PROXY = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const ORIGINAL_DST_FILTER = 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst';

/** Cluster names used across the fixtures. */
export const Names = {
  http: 'outbound|80||a.default.svc.cluster.local',
  db: 'outbound|5432||db.default.svc.cluster.local',
  passthrough: 'InboundPassthroughCluster',
  blackhole: 'BlackHoleCluster',
  external: 'outbound|443||api.example.com',
  route: '80',
  grpc: 'outbound|50051||greeter.default.svc.cluster.local',
  grpcRoute: 'greeter.default.svc.cluster.local:50051',
} as const;

/** `{ socket_address: { address, port_value } }`. */
export function sock(address: string, port: number, protocol?: 'TCP' | 'UDP'): Json {
  return { socket_address: { address, port_value: port, ...(protocol ? { protocol } : {}) } };
}

/** An HTTP filter list ending in the router. */
export function routerOnly(): Json[] {
  return [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }];
}

/** A network filter holding an HCM that takes routes named `route` over ADS. */
export function hcmFilter(route: string): Json {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': HCM,
      stat_prefix: 'outbound_80',
      rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: route },
      http_filters: routerOnly(),
    },
  };
}

/** A network filter holding a TCP proxy to `cluster`. */
export function tcpProxyFilter(cluster: string): Json {
  return { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_PROXY, stat_prefix: cluster, cluster } };
}

function listeners(): Json[] {
  return [
    {
      name: '10.96.0.10_80',
      address: sock('10.96.0.10', 80),
      additional_addresses: [{ address: sock('fd00:10:96::a', 80) }],
      traffic_direction: 'OUTBOUND',
      filter_chains: [{ filters: [hcmFilter(Names.route)] }],
    },
    {
      name: '10.96.0.20_5432',
      address: sock('10.96.0.20', 5432),
      additional_addresses: [{ address: sock('fd00:10:96::14', 5432) }],
      filter_chains: [{ filters: [tcpProxyFilter(Names.db)] }],
    },
    {
      name: 'virtualInbound',
      address: sock('0.0.0.0', 15006),
      additional_addresses: [{ address: sock('::', 15006) }],
      traffic_direction: 'INBOUND',
      listener_filters: [{ name: 'envoy.filters.listener.original_dst', typed_config: { '@type': ORIGINAL_DST_FILTER } }],
      filter_chains: [
        {
          name: 'inbound-pod',
          filter_chain_match: {
            prefix_ranges: [
              { address_prefix: '10.244.1.5', prefix_len: { value: 32 } },
              { address_prefix: 'fd00:10:244:1::5', prefix_len: { value: 128 } },
            ],
          },
          filters: [tcpProxyFilter(Names.passthrough)],
        },
        {
          name: 'virtualInbound-blackhole',
          filter_chain_match: { destination_port: { value: 15006 } },
          filters: [tcpProxyFilter(Names.blackhole)],
        },
      ],
      default_filter_chain: { filters: [tcpProxyFilter(Names.passthrough)] },
    },
  ];
}

function edsCluster(name: string): Json {
  return { name, type: 'EDS', eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } }, connect_timeout: { seconds: 10 } };
}

function clusters(): Json[] {
  return [
    edsCluster(Names.http),
    edsCluster(Names.db),
    {
      name: Names.passthrough,
      type: 'ORIGINAL_DST',
      lb_policy: 'CLUSTER_PROVIDED',
      connect_timeout: { seconds: 10 },
      upstream_bind_config: {
        source_address: { address: '127.0.0.6', port_value: 0 },
        extra_source_addresses: [{ address: { address: '::6', port_value: 0 } }],
      },
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
        },
      },
    },
    {
      name: Names.external,
      type: 'LOGICAL_DNS',
      dns_lookup_family: 'ALL',
      load_assignment: {
        cluster_name: Names.external,
        endpoints: [{ lb_endpoints: [{ endpoint: { address: sock('api.example.com', 443) } }] }],
      },
    },
    { name: Names.blackhole, type: 'STATIC', connect_timeout: { seconds: 10 }, load_assignment: { cluster_name: Names.blackhole, endpoints: [] } },
  ];
}

/** An lb_endpoint at `ip:port` with more IPs as additional addresses. */
export function lbEndpoint(port: number, ip: string, ...more: string[]): Json {
  const endpoint: Json = { address: sock(ip, port) };
  if (more.length > 0) endpoint['additional_addresses'] = more.map((m) => ({ address: sock(m, port) }));
  return { endpoint };
}

function endpoints(): Json[] {
  return [
    {
      cluster_name: Names.http,
      endpoints: [{ lb_endpoints: [lbEndpoint(8080, '10.244.1.5', 'fd00:10:244:1::5'), lbEndpoint(8080, '10.244.2.7', 'fd00:10:244:2::7')] }],
    },
    { cluster_name: Names.db, endpoints: [{ lb_endpoints: [lbEndpoint(5432, 'fd00:10:244:3::9', '10.244.3.9')] }] },
  ];
}

function routes(): Json[] {
  return [
    {
      name: Names.route,
      virtual_hosts: [
        {
          name: 'a.default.svc.cluster.local:80',
          domains: ['a.default.svc.cluster.local', 'a.default.svc.cluster.local:80', '10.96.0.10', '10.96.0.10:80', '[fd00:10:96::a]', '[fd00:10:96::a]:80'],
          routes: [{ match: { prefix: '/' }, route: { cluster: Names.http, timeout: { seconds: 0 } } }],
        },
        { name: 'allow_any', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: Names.passthrough } }] },
      ],
    },
  ];
}

/** A correct dual-stack snapshot for Envoy; every call returns fresh objects. */
export function dualStack(): Fixture {
  return { listeners: listeners(), clusters: clusters(), routes: routes(), endpoints: endpoints() };
}

function grpcServerListener(host: string, port: number, bracketed: boolean): Json {
  return {
    name: `grpc/server?xds.resource.listening_address=${bracketed ? `[${host}]` : host}:${port}`,
    address: sock(host, port),
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM,
              stat_prefix: 'inbound',
              route_config: {
                name: 'inbound',
                virtual_hosts: [{ name: 'inbound', domains: ['*'], routes: [{ match: { prefix: '' }, non_forwarding_action: {} }] }],
              },
              http_filters: routerOnly(),
            },
          },
        ],
      },
    ],
  };
}

/** A correct proxyless gRPC snapshot: a client listener, two server listeners (IPv6 and IPv4), EDS with both families. */
export function grpcSet(): Fixture {
  const client = {
    name: Names.grpcRoute,
    api_listener: {
      api_listener: {
        '@type': HCM,
        stat_prefix: 'client',
        rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: Names.grpcRoute },
        http_filters: routerOnly(),
      },
    },
  };
  return {
    listeners: [client, grpcServerListener('::', 50051, true), grpcServerListener('0.0.0.0', 50052, false)],
    routes: [
      {
        name: Names.grpcRoute,
        virtual_hosts: [{ name: 'greeter', domains: [Names.grpcRoute], routes: [{ match: { prefix: '' }, route: { cluster: Names.grpc } }] }],
      },
    ],
    clusters: [edsCluster(Names.grpc)],
    endpoints: [
      {
        cluster_name: Names.grpc,
        endpoints: [
          { locality: {}, load_balancing_weight: { value: 1 }, lb_endpoints: [lbEndpoint(50051, '10.244.1.5', 'fd00:10:244:1::5')] },
          { locality: { zone: 'b' }, load_balancing_weight: { value: 1 }, priority: 1, lb_endpoints: [lbEndpoint(50051, 'fd00:10:244:2::7')] },
        ],
      },
    ],
  };
}

/** Sets the value at a dotted path (`a.b[0].c`, as problems report paths), creating objects on the way. */
export function put(target: Json, path: string, value: unknown): void {
  const parts = path.match(/[^.[\]]+/g) ?? [];
  let current: Record<string, unknown> | unknown[] = target;
  parts.forEach((part, i) => {
    const key: string | number = Array.isArray(current) ? Number(part) : part;
    const container = current as Record<string | number, unknown>;
    if (i === parts.length - 1) {
      if (value === undefined) delete container[key];
      else container[key] = value;
      return;
    }
    container[key] ??= /^\d+$/.test(parts[i + 1] ?? '') ? [] : {};
    current = container[key] as Record<string, unknown>;
  });
}

/** The type URLs, re-exported so tests read `Type.Listener`. */
export const Type = TypeUrl;

/** Problems as `rule resource path` lines, so a test can assert the exact set it expects. */
export function summary(problems: readonly { rule: string; resource: string; path: string }[]): string[] {
  return problems.map((p) => `${p.rule} ${p.resource} ${p.path}`.trimEnd());
}
