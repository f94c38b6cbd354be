// Which resources a service gets on one proxy: the per-service decisions every builder shares (cluster names, native
// per-family forwarding, the VIPs a proxy sees and how they group into listeners).
import { inboundMtls, type InboundMtls, type ModelIndex, nameKey } from '../model/index.ts';
import type { Address, Endpoint, IPFamily, PeerAuthentication, Pod, PortProtocol, Proxy, Service, ServicePort } from '../model/index.ts';
import { proxyFamilies } from './proxy-addresses.ts';
import { VIRTUAL_INBOUND_PORT } from './proxy-ports.ts';
import type { ForwardingStrategy } from './types.ts';
import { compareStrings as compare } from '../compare-strings.ts';

/** What a builder reads of the mesh: services (sorted by hostname), endpoints by service hostname, pods. */
export interface MeshLookup {
  readonly services: readonly Service[];
  endpointsOf(hostname: string): readonly Endpoint[];
  pod(namespace: string, name: string): Pod | undefined;
  /** PeerAuthentication policies, namespace then name order. */
  readonly peerAuthentications: readonly PeerAuthentication[];
}

/**
 * The builders' lookups into a model index: one service per hostname (the index's choice when two objects claim a host,
 * which the model's `validate` reports), sorted by hostname; lookups through the index's maps.
 */
export function meshLookup(index: ModelIndex): MeshLookup {
  const services = [...index.servicesByHostname.values()].sort((a, b) => compare(a.hostname, b.hostname));
  return {
    services,
    endpointsOf: (hostname) => index.endpointsByService.get(hostname) ?? [],
    pod: (namespace, name) => index.podsByName.get(nameKey(namespace, name)),
    peerAuthentications: index.model.peerAuthentications,
  };
}


/** Ports whose traffic an HTTP connection manager handles (shared wildcard listener + RDS). */
export function isHttpProtocol(protocol: PortProtocol): boolean {
  return protocol === 'HTTP' || protocol === 'HTTP2' || protocol === 'GRPC';
}

/** Ports biplane forwards: everything but UDP, which an Envoy sidecar does not proxy. */
export function forwardedPorts(service: Service): ServicePort[] {
  return service.ports.filter((p) => p.protocol !== 'UDP');
}

/** How a service's upstreams are found: endpoints over EDS, DNS names, or the connection's original destination. */
export type UpstreamKind = 'EDS' | 'DNS' | 'ORIGINAL_DST';

/** ExternalName and DNS ServiceEntries resolve names; headless services and resolution NONE pass through; else EDS. */
export function upstreamKind(service: Service): UpstreamKind {
  if (service.externalName !== undefined || service.resolution === 'DNS') return 'DNS';
  if (service.headless || service.resolution === 'NONE') return 'ORIGINAL_DST';
  return 'EDS';
}

/**
 * How one service's resources split by family on one proxy: `[undefined]` (shared: one cluster, listener and route
 * for both families) or the dual proxy's families (native: one of each per family, the family in the subset slot).
 */
export type FamilySplit = readonly (IPFamily | undefined)[];

/**
 * The one decision of whether traffic to `service` keeps its family end to end on this proxy (native forwarding):
 * only on dual proxies, for every service under the `per-family` strategy or for services annotated
 * `biplane.io/ip-family-forwarding: native`, never for passthrough services. Made once per service and proxy profile;
 * builders read the split it returns, never the strategy.
 */
export function perFamilySplit(service: Service, proxy: Pick<Proxy, 'mode' | 'primaryFamily'>, strategy: ForwardingStrategy): FamilySplit {
  if (proxy.mode !== 'Dual' || upstreamKind(service) === 'ORIGINAL_DST') return [undefined];
  return strategy === 'per-family' || service.forwarding === 'native' ? proxyFamilies(proxy) : [undefined];
}

/** Whether a split is per family (native forwarding) rather than shared. */
export function isSplit(split: FamilySplit): boolean {
  return split[0] !== undefined;
}

/** `outbound|<port>|<subset>|<host>`; per-family clusters use the family as subset (`outbound|80|IPv6|a.ns.svc...`). */
export function outboundClusterName(port: number, hostname: string, family?: IPFamily): string {
  return `outbound|${port}|${family ?? ''}|${hostname}`;
}

/** `inbound|<port>||`: the inbound cluster of a container port. */
export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

/** The proxy facts that decide which VIPs it dials: its IP mode and whether its agent answers its DNS. */
export type VipFacts = Pick<Proxy, 'mode' | 'dnsCapture' | 'dnsAutoAllocate'>;

/** Whether a proxy dials auto-allocated ServiceEntry VIPs: only when its DNS is captured with auto-allocation (§11). */
export function dialsAutoVips(proxy: Pick<Proxy, 'dnsCapture' | 'dnsAutoAllocate'>): boolean {
  return proxy.dnsCapture === true && proxy.dnsAutoAllocate === true;
}

/**
 * The VIPs of a service this proxy sees (spec §3): all of them (service order) on dual proxies, else its family's;
 * none of a ServiceEntry's auto-allocated VIPs unless the proxy's DNS answers them (spec §11).
 */
export function vipsForProxy(service: Service, proxy: VipFacts): Address[] {
  if (service.headless || (service.autoAllocated === true && !dialsAutoVips(proxy))) return [];
  return service.vips.filter((v) => proxy.mode === 'Dual' || v.family === proxy.mode);
}

/**
 * VIPs grouped into listeners (spec §3/§4): the first VIP is primary and the other family's VIPs are its additional
 * addresses; further VIPs of the primary family get a listener each, so no family is ever both primary and additional.
 * Native forwarding gives every VIP its own listener.
 */
export function vipGroups(vips: readonly Address[], native: boolean): Address[][] {
  const [first, ...rest] = vips;
  if (!first) return [];
  if (native) return vips.map((v) => [v]);
  const others = rest.filter((v) => v.family !== first.family);
  const same = rest.filter((v) => v.family === first.family);
  return [[first, ...others], ...same.map((v) => [v])];
}

/** The selector of `service` matches these pod labels (same namespace, non-empty selector). */
function selects(service: Service, namespace: string, labels: Readonly<Record<string, string>>): boolean {
  const selector = service.selector;
  if (service.kind !== 'Service' || service.namespace !== namespace || !selector) return false;
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** A superset of the services whose selector can match these labels in this namespace (an index, to skip a scan). */
export type SelectorCandidates = (namespace: string, labels: Readonly<Record<string, string>>) => readonly Service[];

/**
 * The container ports this proxy's pod serves for the services selecting it: numeric targetPorts as they are, named
 * ones resolved through the pod's own endpoint (else any endpoint of the service), no targetPort → the service port.
 * Named targetPorts nothing resolves are left out, and so is 15006: virtualInbound's own port, whose chain is the
 * loop guard. Ascending, unique. `candidates` narrows the services scanned.
 */
/** The labels of the proxy's workload: its pod's when the model knows the pod, else those the node sent. */
export function workloadLabels(mesh: MeshLookup, proxy: Proxy): Readonly<Record<string, string>> {
  const pod = proxy.pod ? mesh.pod(proxy.namespace, proxy.pod) : undefined;
  return pod?.labels ?? proxy.labels;
}

/** The mutual TLS the proxy's inbound side demands, from the PeerAuthentications (root namespace = mesh-wide). */
export function proxyInboundMtls(mesh: MeshLookup, proxy: Proxy, rootNamespace: string): InboundMtls {
  return inboundMtls(mesh.peerAuthentications, rootNamespace, proxy.namespace, workloadLabels(mesh, proxy));
}

export function inboundPorts(mesh: MeshLookup, proxy: Proxy, candidates?: SelectorCandidates): number[] {
  const labels = workloadLabels(mesh, proxy);
  const ports = new Set<number>();
  for (const service of candidates ? candidates(proxy.namespace, labels) : mesh.services) {
    if (!selects(service, proxy.namespace, labels)) continue;
    const endpoints = mesh.endpointsOf(service.hostname);
    const own = endpoints.filter((e) => e.pod?.namespace === proxy.namespace && e.pod.name === proxy.pod);
    for (const port of forwardedPorts(service)) {
      const target = port.targetPort ?? port.port;
      if (typeof target === 'number') ports.add(target);
      else {
        const found = [...own, ...endpoints].flatMap((e) => e.ports).find((p) => p.name === port.name);
        if (found) ports.add(found.port);
      }
    }
  }
  ports.delete(VIRTUAL_INBOUND_PORT);
  return [...ports].sort((a, b) => a - b);
}


/**
 * Services that select pods (Kubernetes Services with a non-empty selector) indexed by namespace and their selector's
 * first label, so finding the services of one pod looks up its labels instead of scanning every service.
 */
export function selectorIndex(services: readonly Service[]): SelectorCandidates {
  const byLabel = new Map<string, Service[]>();
  for (const service of services) {
    const first = service.kind === 'Service' && service.selector ? Object.entries(service.selector)[0] : undefined;
    if (!first) continue;
    const key = `${service.namespace}\u0000${first[0]}\u0000${first[1]}`;
    const list = byLabel.get(key);
    if (list) list.push(service);
    else byLabel.set(key, [service]);
  }
  return (namespace, labels) => {
    const out: Service[] = [];
    for (const [k, v] of Object.entries(labels)) out.push(...(byLabel.get(`${namespace}\u0000${k}\u0000${v}`) ?? []));
    return out;
  };
}

/** What the outbound builders read of a proxy: the cache key part that replaces the proxy's identity. */
export interface ProxyProfile {
  readonly mode: Proxy['mode'];
  readonly primaryFamily: Proxy['primaryFamily'];
  readonly strategy: ForwardingStrategy;
  /** Both set exactly when the proxy dials auto-allocated VIPs (DNS capture + auto-allocation), else both false. */
  readonly dnsCapture: boolean;
  readonly dnsAutoAllocate: boolean;
  /** The proxy has certificates over SDS: auto-mTLS on its outbound clusters. */
  readonly sds: boolean;
  /** `mode|primaryFamily|strategy|auto-vips` or `…|sni`, then `|sds` or `|plain`. */
  readonly key: string;
}

/** The profile of a proxy under a strategy: what every proxy sharing it gets alike. */
export function proxyProfile(proxy: Pick<Proxy, 'mode' | 'primaryFamily' | 'dnsCapture' | 'dnsAutoAllocate' | 'sds'>, strategy: ForwardingStrategy): ProxyProfile {
  const auto = dialsAutoVips(proxy);
  const sds = proxy.sds === true;
  const key = `${proxy.mode}|${proxy.primaryFamily}|${strategy}|${auto ? 'auto-vips' : 'sni'}|${sds ? 'sds' : 'plain'}`;
  return { mode: proxy.mode, primaryFamily: proxy.primaryFamily, strategy, dnsCapture: auto, dnsAutoAllocate: auto, sds, key };
}
