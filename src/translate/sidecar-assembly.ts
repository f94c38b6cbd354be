// The one way a sidecar's resources are made: the outbound part of a proxy's configuration is assembled once per
// (model generation, view) from per-service fragments (built, or reused, by the TranslationCache), and once per
// namespace for routes; a proxy then only adds what is its own (its inbound ports' clusters and the two virtual
// listeners, which also follow its interception mode) by merging name-sorted lists (ties to the first, so the result
// equals a stable sort of their concatenation).
import type { IPFamily, ModelIndex, Proxy } from '../model/index.ts';
import { fixedClusters, inboundClusters } from './clusters.ts';
import type { Cluster, ClusterLoadAssignment, Listener, RouteConfiguration } from './envoy-types.ts';
import { placeTcpListeners, wildcardPortListeners, type WildcardPort } from './listeners-outbound.ts';
import { byName, virtualInboundListener, virtualOutboundListener } from './listeners-virtual.ts';
import { compare, inboundPorts, proxyInboundMtls } from './service-plan.ts';
import { DEFAULT_ROOT_NAMESPACE, type InboundMtls } from '../model/index.ts';
import { portFamilies, placeVirtualHosts } from './routes.ts';
import { proxyView, type Fragment, type Generation, type ProxyView, type ServiceState, type TranslationCache } from './translation-cache.ts';
import type { EnvoyResources, ForwardingStrategy } from './types.ts';

/** What every proxy of one view gets in one generation, each list sorted as `translate` sorts it. */
interface Outbound {
  readonly listeners: readonly Listener[];
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly ClusterLoadAssignment[];
  /** How each HTTP port splits by family for this view. */
  readonly families: ReadonlyMap<number, readonly (IPFamily | undefined)[]>;
}

/** A proxy's own part for one view, interception mode and set of inbound ports. */
interface Inbound {
  readonly listeners: readonly Listener[];
  readonly clusters: readonly Cluster[];
}

/** Every resource of one sidecar, from the cache's per-service fragments. */
export function assembleSidecar(
  cache: TranslationCache,
  index: ModelIndex,
  proxy: Proxy,
  strategy: ForwardingStrategy,
  rootNamespace: string,
): EnvoyResources {
  const generation = cache.generation(index, rootNamespace);
  const { view, ports, mtls, inboundKey } = sidecarReads(generation, proxy, strategy, rootNamespace);
  const outbound = once(generation, `outbound\n${view.key}`, () => assembleOutbound(cache, generation, view));
  const routes = once(generation, `routes\n${view.key}\n${proxy.namespace}`, () => assembleRoutes(cache, generation, view, outbound, proxy.namespace));
  const own = once(generation, `inbound\n${inboundKey}`, () => inbound({ ...view, interception: proxy.interception }, ports, mtls));
  return {
    listeners: mergeByName(outbound.listeners, own.listeners, (l) => l.name),
    clusters: mergeByName(outbound.clusters, own.clusters, (c) => c.name),
    routes,
    endpoints: outbound.endpoints,
  };
}

/** What a sidecar's translation reads beyond the index: its view, inbound ports and inbound mTLS, and their key. */
function sidecarReads(generation: Generation, proxy: Proxy, strategy: ForwardingStrategy, rootNamespace: string) {
  const view = proxyView(proxy, strategy);
  const ports = inboundPorts(generation.view, proxy, generation.selecting);
  const mtls = proxyInboundMtls(generation.view, proxy, rootNamespace);
  const mtlsKey = `${mtls.mode}${mtls.ports.map((p) => ` ${p.port}:${p.mode}`).join('')}`;
  return { view, ports, mtls, inboundKey: `${view.key}\n${proxy.interception}\n${ports.join(',')}\n${mtlsKey}` };
}

/**
 * Everything `translate` reads of a sidecar, as one key: two sidecars with equal keys get equal resources from one
 * index (their view, namespace for routes, interception mode, inbound ports and inbound mTLS; never their id, IPs or
 * metadata). The same pieces `assembleSidecar` keys its assemblies by, so the two cannot drift apart.
 */
export function sidecarReadKey(
  cache: TranslationCache,
  index: ModelIndex,
  proxy: Proxy,
  strategy: ForwardingStrategy,
  rootNamespace: string = DEFAULT_ROOT_NAMESPACE,
): string {
  const generation = cache.generation(index, rootNamespace);
  return JSON.stringify([proxy.namespace, sidecarReads(generation, proxy, strategy, rootNamespace).inboundKey]);
}

/** The value under `key` in the generation's assemblies, built on first use. */
function once<T>(generation: Generation, key: string, build: () => T): T {
  if (generation.assembled.has(key)) return generation.assembled.get(key) as T;
  const value = build();
  generation.assembled.set(key, value);
  return value;
}

function assembleOutbound(cache: TranslationCache, generation: Generation, view: ProxyView): Outbound {
  const fragments = generation.states.map((state) => cache.fragment(state, view, generation.accepts));
  const fragmentOf = new Map(generation.states.map((state, i) => [state, fragments[i] as Fragment]));
  const sni = sniByPort(generation.states, fragments);
  const ports = [...new Set([...generation.httpServices.keys(), ...sni.keys()])].sort((a, b) => a - b);
  const families = new Map<number, readonly (IPFamily | undefined)[]>();
  const http: Listener[] = [];
  for (const port of ports) {
    const httpSplits = (generation.httpServices.get(port) ?? []).map((s) => fragmentOf.get(s)?.split ?? [undefined]);
    const wildcard = { port, http: httpSplits.length > 0, sni: sni.get(port) ?? [] };
    const split = portFamilies([...httpSplits, ...wildcard.sni.map((s) => s.split)], view);
    families.set(port, split);
    http.push(...wildcardPortListeners(wildcard, split, view));
  }
  const tcp = placeTcpListeners(fragments.map((f) => f.tcp));
  return {
    listeners: byName([...tcp, ...http]),
    clusters: byName(fragments.flatMap((f) => f.clusters)),
    endpoints: fragments.flatMap((f) => f.endpoints).sort((a, b) => compare(a.cluster_name, b.cluster_name)),
    families,
  };
}

/** Port → the services matched by SNI on it for one view (with their split), in service order. */
function sniByPort(states: readonly ServiceState[], fragments: readonly Fragment[]): Map<number, WildcardPort['sni'][number][]> {
  const byPort = new Map<number, WildcardPort['sni'][number][]>();
  states.forEach((state, i) => {
    const fragment = fragments[i];
    for (const port of fragment?.sni ?? []) byPort.set(port, [...(byPort.get(port) ?? []), { service: state.service, split: fragment?.split ?? [undefined] }]);
  });
  return byPort;
}

function assembleRoutes(
  cache: TranslationCache,
  generation: Generation,
  view: ProxyView,
  outbound: Outbound,
  namespace: string,
): RouteConfiguration[] {
  const out: RouteConfiguration[] = [];
  for (const [port, states] of generation.httpServices) {
    for (const family of outbound.families.get(port) ?? [undefined]) {
      const hosts = states.map((state) => cache.host(cache.fragment(state, view, generation.accepts), state, view, port, family, namespace));
      out.push(placeVirtualHosts(port, family, hosts));
    }
  }
  return byName(out);
}

function inbound(proxy: ProxyView & Pick<Proxy, 'interception'>, ports: readonly number[], mtls: InboundMtls): Inbound {
  return {
    listeners: byName([virtualOutboundListener(proxy), virtualInboundListener(proxy, ports, mtls)]),
    clusters: byName([...inboundClusters(ports, proxy), ...fixedClusters()]),
  };
}

/** Two name-sorted lists as one, ties taken from `first` (so it equals a stable sort of `first` then `second`). */
function mergeByName<T>(first: readonly T[], second: readonly T[], name: (item: T) => string): T[] {
  const out: T[] = [];
  let i = 0;
  for (const item of second) {
    const key = name(item);
    while (i < first.length && compare(name(first[i] as T), key) <= 0) out.push(first[i++] as T);
    out.push(item);
  }
  while (i < first.length) out.push(first[i++] as T);
  return out;
}
