// Cluster builders (spec §5): EDS clusters for services with endpoints, DNS clusters for ExternalName and DNS
// ServiceEntries, ORIGINAL_DST clusters for passthrough, and the fixed Passthrough/BlackHole/inbound clusters.
// Each builder takes only what it reads, so the proxyless gRPC generator can reuse `edsCluster` and `dnsCluster`.
import type { Endpoint, IPFamily, IPMode, Proxy, Service, ServicePort } from '../model/index.ts';
import type { Cluster, ConfigSource, DnsLookupFamily, Duration, LbEndpoint, TypedConfig } from './envoy-types.ts';
import { targetPortOf } from '../model/index.ts';
import { compareStrings as compare } from '../compare-strings.ts';
import {
  type FamilySplit,
  forwardedPorts,
  inboundClusterName,
  outboundClusterName,
  upstreamKind,
} from './service-plan.ts';
import { envoyAddress, passthroughBind } from './proxy-addresses.ts';
import { autoMtlsMatches } from './mtls.ts';

/** Name of the cluster that forwards to the original destination of outbound connections nothing else claims. */
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';
/** Name of the cluster that drops traffic. */
export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
/** Name of the inbound cluster for ports no service declares. */
export const INBOUND_PASSTHROUGH_CLUSTER = 'InboundPassthroughCluster';

/** Connect timeout of every cluster biplane builds. */
export const CONNECT_TIMEOUT: Duration = { seconds: 10 };

/** Everything over the one ADS stream, v3. */
export const ADS: ConfigSource = { ads: {}, resource_api_version: 'V3' };

/** An EDS cluster whose endpoints arrive over ADS under the cluster's own name. */
export function edsCluster(name: string, protocol?: ServicePort['protocol']): Cluster {
  return {
    name,
    type: 'EDS',
    connect_timeout: CONNECT_TIMEOUT,
    lb_policy: 'ROUND_ROBIN',
    eds_cluster_config: { eds_config: ADS },
    ...http2Options(protocol),
  };
}

/** DNS lookup family for a proxy mode or one family: V4_ONLY, V6_ONLY, or ALL (both, for Happy Eyeballs) on dual. */
export function dnsLookupFamily(mode: IPMode): DnsLookupFamily {
  return mode === 'IPv4' ? 'V4_ONLY' : mode === 'IPv6' ? 'V6_ONLY' : 'ALL';
}

/**
 * A DNS cluster: LOGICAL_DNS for one host (a single endpoint; with `ALL` Envoy races the resolved families by Happy
 * Eyeballs), STRICT_DNS for several (every resolved address becomes a host). Hosts are sorted and deduped.
 */
export function dnsCluster(
  name: string,
  hosts: readonly { readonly host: string; readonly port: number }[],
  mode: IPMode,
  protocol?: ServicePort['protocol'],
): Cluster {
  const unique = [...new Map(hosts.map((h) => [`${h.host}:${h.port}`, h])).values()].sort(
    (a, b) => compare(a.host, b.host) || a.port - b.port,
  );
  const lb_endpoints: LbEndpoint[] = unique.map((h) => ({ endpoint: { address: envoyAddress(h.host, h.port) } }));
  return {
    name,
    type: unique.length === 1 ? 'LOGICAL_DNS' : 'STRICT_DNS',
    connect_timeout: CONNECT_TIMEOUT,
    lb_policy: 'ROUND_ROBIN',
    dns_lookup_family: dnsLookupFamily(mode),
    load_assignment: { cluster_name: name, endpoints: lb_endpoints.length > 0 ? [{ lb_endpoints }] : [] },
    ...http2Options(protocol),
  };
}

/** An ORIGINAL_DST cluster: upstream = the connection's original destination, optionally binding a source. */
export function originalDstCluster(name: string, bind?: Cluster['upstream_bind_config']): Cluster {
  return {
    name,
    type: 'ORIGINAL_DST',
    connect_timeout: CONNECT_TIMEOUT,
    lb_policy: 'CLUSTER_PROVIDED',
    ...(bind ? { upstream_bind_config: bind } : {}),
  };
}

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function protocolOptions(fields: Record<string, unknown>): Pick<Cluster, 'typed_extension_protocol_options'> {
  const options: TypedConfig = { '@type': `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS}`, ...fields };
  return { typed_extension_protocol_options: { [HTTP_PROTOCOL_OPTIONS]: options } };
}

/** HTTP/2 upstream options for HTTP2 and GRPC ports. */
function http2Options(protocol?: ServicePort['protocol']): Pick<Cluster, 'typed_extension_protocol_options'> {
  if (protocol !== 'HTTP2' && protocol !== 'GRPC') return {};
  return protocolOptions({ explicit_http_config: { http2_protocol_options: {} } });
}

/**
 * The upstream protocol of an ORIGINAL_DST service cluster, stated: HTTP/2 for HTTP2 and GRPC ports, HTTP/1.1 for HTTP
 * ports (HTTP routes reach these clusters, and one without options would quietly turn h2c into HTTP/1.1), none for TCP.
 */
function declaredProtocolOptions(protocol: ServicePort['protocol']): Pick<Cluster, 'typed_extension_protocol_options'> {
  if (protocol === 'HTTP') return protocolOptions({ explicit_http_config: { http_protocol_options: {} } });
  return http2Options(protocol);
}

/**
 * Upstream HTTP speaks what the client spoke (HTTP/1.1 or HTTP/2), as Istio sets on PassthroughCluster: the
 * `allow_any` route sends requests for hosts outside the mesh there, and h2c or gRPC must not become HTTP/1.1.
 */
export function downstreamProtocolOptions(): Pick<Cluster, 'typed_extension_protocol_options'> {
  return protocolOptions({ use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} } });
}

/** The names a DNS cluster resolves: DNS ServiceEntry endpoints, else the ExternalName, else the host itself. */
export function dnsHosts(
  service: Service,
  port: ServicePort,
  endpoints: readonly Endpoint[],
): { host: string; port: number }[] {
  const fallbackPort = typeof port.targetPort === 'number' ? port.targetPort : port.port;
  const named = endpoints.flatMap((e) => {
    const host = e.hostname ?? e.addresses[0]?.ip;
    if (host === undefined) return [];
    return [{ host, port: targetPortOf(service, port, e) ?? fallbackPort }];
  });
  if (named.length > 0) return named;
  return [{ host: service.externalName ?? service.hostname, port: service.externalName ? port.port : fallbackPort }];
}

/** The proxy fields cluster and endpoint builders read: its mode and primary family, whether it has SDS (never its identity). */
export type ProxyFamilies = Pick<Proxy, 'mode' | 'primaryFamily' | 'sds'>;

/** The outbound clusters of one service: one per forwarded port, one per family of `split` (native forwarding). */
export function serviceClusters(service: Service, endpoints: readonly Endpoint[], proxy: ProxyFamilies, split: FamilySplit): Cluster[] {
  const out: Cluster[] = [];
  const kind = upstreamKind(service);
  for (const port of forwardedPorts(service)) {
    for (const family of split) {
      const name = outboundClusterName(port.port, service.hostname, family);
      if (kind === 'EDS') out.push(withAutoMtls(edsCluster(name, port.protocol), service, port, proxy));
      else if (kind === 'ORIGINAL_DST') out.push({ ...originalDstCluster(name), ...declaredProtocolOptions(port.protocol) });
      else out.push(dnsCluster(name, dnsHosts(service, port, endpoints), modeFor(proxy, family), port.protocol));
    }
  }
  return out;
}

/** Auto-mTLS on a mesh-internal EDS cluster of a proxy that has certificates (SDS); other clusters stay as they are. */
function withAutoMtls(cluster: Cluster, service: Service, port: ServicePort, proxy: ProxyFamilies): Cluster {
  if (proxy.sds !== true || service.location !== 'MESH_INTERNAL') return cluster;
  return { ...cluster, transport_socket_matches: autoMtlsMatches(port.port, service.hostname) };
}

function modeFor(proxy: ProxyFamilies, family: IPFamily | undefined): IPMode {
  return family ?? proxy.mode;
}

/**
 * Inbound clusters (`inbound|<port>||`, ORIGINAL_DST) plus InboundPassthroughCluster, bound to the passthrough source
 * under REDIRECT; under TPROXY unbound, since original_src gives each upstream connection the client's own address
 * (a cluster's source address would win over it).
 */
export function inboundClusters(ports: readonly number[], proxy: Pick<Proxy, 'mode' | 'primaryFamily' | 'interception'>): Cluster[] {
  const bind = proxy.interception === 'TPROXY' ? undefined : passthroughBind(proxy);
  return [
    ...ports.map((p) => originalDstCluster(inboundClusterName(p), bind)),
    originalDstCluster(INBOUND_PASSTHROUGH_CLUSTER, bind),
  ];
}

/**
 * PassthroughCluster (ORIGINAL_DST, keeping the downstream HTTP protocol for the `allow_any` route) and
 * BlackHoleCluster (STATIC, no endpoints). The inbound passthrough clusters need no HTTP options: every inbound
 * chain is a TCP proxy, which never reads them.
 */
export function fixedClusters(): Cluster[] {
  return [
    { ...originalDstCluster(PASSTHROUGH_CLUSTER), ...downstreamProtocolOptions() },
    {
      name: BLACKHOLE_CLUSTER,
      type: 'STATIC',
      connect_timeout: CONNECT_TIMEOUT,
      load_assignment: { cluster_name: BLACKHOLE_CLUSTER, endpoints: [] },
    },
  ];
}
