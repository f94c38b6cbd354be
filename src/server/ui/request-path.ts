// `/debug/request-path`: one proxy's configuration as the path one call takes — listener, filter chain, route, cluster,
// upstream addresses — for a service port over one family. Sidecars go through the Envoy simulator; proxyless gRPC
// applications through their api_listener for the authority they dial. Pure functions of the model and the proxy.
import type { IPFamily, ModelIndex, PortProtocol, Proxy, Service, ServicePort } from '../../model/index.ts';
import { translate } from '../../translate/index.ts';
import type { ClusterLoadAssignment } from '../../translate/envoy-types.ts';
import type { EnvoyResources, ForwardingStrategy, TranslationCache } from '../../translate/index.ts';
import { translateProxyless } from '../../translate/proxyless/index.ts';
import type { ApiListener, ProxylessResources } from '../../translate/proxyless/types.ts';
import { matchVirtualHost, simulate } from '../../translate/simulate.ts';
import type { FirstBytes } from '../../translate/simulate.ts';

/** How a call ended: reached upstream addresses, or why not. */
export type PathVerdict = 'reached' | 'proxy-lacks-family' | 'no-address' | 'passthrough' | 'failed';

/** One call's path through a proxy's configuration. */
export interface RequestPath {
  readonly proxy: string;
  readonly service: string;
  readonly port: number;
  readonly family: IPFamily;
  readonly verdict: PathVerdict;
  /** The address dialled (a VIP, or an endpoint address of a headless service). */
  readonly destination?: string;
  /** What the client sends first, or the authority a gRPC client dials. */
  readonly call?: string;
  readonly listener?: string;
  readonly filterChain?: string;
  readonly routeConfig?: string;
  readonly virtualHost?: string;
  readonly cluster?: string;
  /** Upstream address lists (one per endpoint, other family after the first). */
  readonly upstreams?: readonly (readonly string[])[];
  readonly upstreamFamily?: IPFamily;
  readonly sourceAddress?: string;
  readonly error?: string;
}

/** A proxy's translated configuration, tagged by the kind of client that receives it. */
export type ProxyConfig =
  | { readonly type: 'sidecar'; readonly proxy: Proxy; readonly resources: EnvoyResources }
  | { readonly type: 'proxyless'; readonly proxy: Proxy; readonly resources: ProxylessResources };

/** Translates `proxy` as the server does (the server's translation cache makes it cheap). */
export function proxyConfig(index: ModelIndex, proxy: Proxy, strategy: ForwardingStrategy, cache?: TranslationCache): ProxyConfig {
  if (proxy.type === 'proxyless') return { type: 'proxyless', proxy, resources: translateProxyless(index, proxy, { serverListeners: false }) };
  return { type: 'sidecar', proxy, resources: translate(index, proxy, { strategy, ...(cache ? { cache } : {}) }) };
}

/** What a client of this port sends first. */
function firstBytes(protocol: PortProtocol): FirstBytes {
  if (protocol === 'HTTP') return 'http/1.1';
  if (protocol === 'HTTP2' || protocol === 'GRPC') return 'h2c';
  return protocol === 'TLS' ? 'tls' : 'tcp';
}

/** The address a client of `family` dials: the service's VIP of that family, else (headless) an endpoint's address. */
export function destinationOf(index: ModelIndex, service: Service, family: IPFamily): string | undefined {
  const vip = service.vips.find((v) => v.family === family);
  if (vip) return vip.ip;
  if (!service.headless) return undefined;
  const endpoints = index.endpointsByService.get(service.hostname) ?? [];
  return endpoints.flatMap((e) => e.addresses).find((a) => a.family === family)?.ip;
}

/** The path of a call from `config`'s proxy to `service`:`port` over `family`. */
export function requestPath(index: ModelIndex, config: ProxyConfig, service: Service, port: ServicePort, family: IPFamily): RequestPath {
  const base = { proxy: config.proxy.id, service: service.hostname, port: port.port, family };
  if (!config.proxy.ips.some((a) => a.family === family)) {
    return { ...base, verdict: 'proxy-lacks-family', error: `the proxy is ${config.proxy.mode} only: it has no ${family} address to call from` };
  }
  const destination = destinationOf(index, service, family);
  if (destination === undefined) {
    return { ...base, verdict: 'no-address', error: `${service.hostname} has no ${family} address to dial` };
  }
  return config.type === 'sidecar'
    ? sidecarPath(config.resources, { ...base, destination }, service, port)
    : proxylessPath(config.resources, { ...base, destination }, service, port);
}

type Base = Pick<RequestPath, 'proxy' | 'service' | 'port' | 'family'> & { readonly destination: string };

function sidecarPath(resources: EnvoyResources, base: Base, service: Service, port: ServicePort): RequestPath {
  const protocol = firstBytes(port.protocol);
  const result = simulate(resources, {
    direction: 'outbound',
    destination: base.destination,
    port: port.port,
    protocol,
    host: `${service.hostname}:${port.port}`,
    ...(protocol === 'tls' ? { sni: service.hostname } : {}),
  });
  const { family: _family, timedOut: _timedOut, clusterType: _type, ...rest } = result;
  const through = result.cluster === 'PassthroughCluster' || result.cluster === 'BlackHoleCluster';
  const reached = result.error === undefined && !through && (result.upstreams?.length ?? 0) > 0;
  const verdict: PathVerdict = reached ? 'reached' : through && result.error === undefined ? 'passthrough' : 'failed';
  const error = result.error ?? (verdict === 'failed' ? `cluster ${result.cluster ?? '?'} has no upstream address` : undefined);
  return { ...base, ...rest, call: protocol, verdict, ...(error !== undefined ? { error } : {}) };
}

/**
 * A gRPC client dials an authority: the VIP of the call's family when it has an api_listener, else (headless, or
 * VIPs only DNS-capturing proxies dial) the service's name, which then reaches only upstreams of the call's family.
 */
function proxylessPath(resources: ProxylessResources, base: Base, service: Service, port: ServicePort): RequestPath {
  const byAddress = base.family === 'IPv6' ? `[${base.destination}]:${port.port}` : `${base.destination}:${port.port}`;
  const apiListener = (name: string): ApiListener | undefined => resources.listeners.find((l): l is ApiListener => l.name === name && 'api_listener' in l);
  const byName = `${service.hostname}:${port.port}`;
  const listener = apiListener(byAddress) ?? apiListener(byName);
  const authority = listener?.name ?? byAddress;
  const at = { ...base, call: `xds:///${authority}` };
  if (!listener) return { ...at, verdict: 'failed', error: `no api_listener for ${byAddress} or ${byName}` };
  const routeConfig = listener.api_listener.api_listener.rds?.route_config_name ?? '';
  const routes = resources.routes.find((r) => r.name === routeConfig);
  const vhost = routes ? matchVirtualHost(routes.virtual_hosts, authority) : undefined;
  const cluster = vhost?.routes[0]?.route.cluster;
  const found = { ...at, listener: authority, routeConfig };
  if (!vhost || cluster === undefined) return { ...found, verdict: 'failed', error: `no virtual host for ${authority}` };
  const cla = resources.endpoints.find((e) => e.cluster_name === cluster);
  const all = addressesOf(cla);
  // By address, gRPC connects to whatever the endpoints list; by name, the call's family is the upstream's family.
  const upstreams = authority === byAddress ? all : all.filter((u) => u.some((a) => a.includes(':') === (base.family === 'IPv6')));
  const first = upstreams[0]?.[0];
  const upstreamFamily: IPFamily | undefined = first === undefined ? undefined : first.includes(':') ? 'IPv6' : 'IPv4';
  const reached = upstreams.length > 0;
  return {
    ...found,
    virtualHost: vhost.name,
    cluster,
    upstreams,
    ...(upstreamFamily ? { upstreamFamily } : {}),
    verdict: reached ? 'reached' : 'failed',
    ...(reached ? {} : { error: `cluster ${cluster} has no ${authority === byAddress ? '' : `${base.family} `}endpoints` }),
  };
}

function addressesOf(cla: ClusterLoadAssignment | undefined): string[][] {
  return (cla?.endpoints ?? []).flatMap((l) =>
    l.lb_endpoints.map((lb) => [lb.endpoint.address, ...(lb.endpoint.additional_addresses ?? []).map((a) => a.address)].map((a) => a.socket_address.address)),
  );
}
