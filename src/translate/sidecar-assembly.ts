// The one way a sidecar's resources are made: the outbound part of a proxy's configuration is assembled once per
// (model generation, profile) from per-service fragments (built, or reused, by the TranslationCache), and once per
// namespace for routes; a proxy then only adds what is its own (its inbound ports' clusters and the two virtual
// listeners, which also follow its interception mode) by merging name-sorted lists (ties to the first, so the result
// equals a stable sort of their concatenation). Best effort: a service whose builders fail is left out whole (its
// fragment is empty and it joins no wildcard listener or route), a failing proxy-own part leaves out the inbound side,
// and each failure is a Problem beside the resources.
import type { IPFamily, ModelIndex, Problem, Proxy } from '../model/index.ts';
import { fixedClusters, inboundClusters } from './clusters.ts';
import type { Cluster, ClusterLoadAssignment, Listener, RouteConfiguration } from './envoy-types.ts';
import { placeTcpListeners, wildcardPortListeners, type WildcardPort } from './listeners-outbound.ts';
import { byName, virtualInboundListener, virtualOutboundListener } from './listeners-virtual.ts';
import { inboundPorts, proxyInboundMtls, proxyProfile, type ProxyProfile } from './service-plan.ts';
import { compareStrings as compare } from '../compare-strings.ts';
import { DEFAULT_ROOT_NAMESPACE, type InboundMtls } from '../model/index.ts';
import { portFamilies, placeVirtualHosts, type HostCandidate } from './routes.ts';
import { isProblem, type Fragment } from './service-fragment.ts';
import type { Generation, ServiceState, TranslationCache } from './translation-cache.ts';
import type { ForwardingStrategy, Translation } from './types.ts';

/** What every proxy of one profile gets in one generation, each list sorted as `translate` sorts it. */
interface Outbound {
  readonly listeners: readonly Listener[];
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly ClusterLoadAssignment[];
  /** HTTP port → the services served on it (those whose translation did not fail), service order; ports ascending. */
  readonly http: ReadonlyMap<number, readonly ServiceState[]>;
  /** How each HTTP port splits by family for this profile. */
  readonly families: ReadonlyMap<number, readonly (IPFamily | undefined)[]>;
  /** The services left out, service order. */
  readonly problems: readonly Problem[];
}

/** A proxy's own part for one profile, interception mode and set of inbound ports (or what is left when it failed). */
interface Inbound {
  readonly listeners: readonly Listener[];
  readonly clusters: readonly Cluster[];
  readonly problems: readonly Problem[];
}

/** Every resource of one sidecar, from the cache's per-service fragments, and the problems of what was left out. */
export function assembleSidecar(
  cache: TranslationCache,
  index: ModelIndex,
  proxy: Proxy,
  strategy: ForwardingStrategy,
  rootNamespace: string,
): Translation {
  const generation = cache.generation(index, rootNamespace);
  const profile = proxyProfile(proxy, strategy);
  const outbound = once(generation, `outbound\n${profile.key}`, () => assembleOutbound(cache, generation, profile));
  const routes = once(generation, `routes\n${profile.key}\n${proxy.namespace}`, () => assembleRoutes(cache, generation, profile, outbound, proxy.namespace));
  const own = ownPart(generation, proxy, profile, rootNamespace);
  return {
    listeners: mergeByName(outbound.listeners, own.listeners, (l) => l.name),
    clusters: mergeByName(outbound.clusters, own.clusters, (c) => c.name),
    routes: routes.routes,
    endpoints: outbound.endpoints,
    problems: [...outbound.problems, ...routes.problems, ...own.problems],
  };
}

/** What a sidecar's inbound side reads beyond the index: its inbound ports and inbound mTLS, and their key. */
function inboundReads(generation: Generation, proxy: Proxy, profile: ProxyProfile, rootNamespace: string) {
  const ports = inboundPorts(generation.mesh, proxy, generation.selecting);
  const mtls = proxyInboundMtls(generation.mesh, proxy, rootNamespace);
  const mtlsKey = `${mtls.mode}${mtls.ports.map((p) => ` ${p.port}:${p.mode}`).join('')}`;
  return { ports, mtls, key: `${profile.key}\n${proxy.interception}\n${ports.join(',')}\n${mtlsKey}` };
}

/**
 * Everything `translate` reads of a sidecar, as one key: two sidecars with equal keys get equal resources from one
 * index (their profile, namespace for routes, interception mode, inbound ports and inbound mTLS; never their id, IPs or
 * metadata). The same pieces `assembleSidecar` keys its assemblies by, so the two cannot drift apart. A sidecar whose
 * inbound side cannot be read shares with no other (its id joins the key).
 */
export function sidecarReadKey(
  cache: TranslationCache,
  index: ModelIndex,
  proxy: Proxy,
  strategy: ForwardingStrategy,
  rootNamespace: string = DEFAULT_ROOT_NAMESPACE,
): string {
  const generation = cache.generation(index, rootNamespace);
  const profile = proxyProfile(proxy, strategy);
  try {
    return JSON.stringify([proxy.namespace, inboundReads(generation, proxy, profile, rootNamespace).key]);
  } catch {
    return JSON.stringify([proxy.namespace, profile.key, proxy.interception, proxy.id]);
  }
}

/** The value under `key` in the generation's assemblies, built on first use. */
function once<T>(generation: Generation, key: string, build: () => T): T {
  if (generation.assembled.has(key)) return generation.assembled.get(key) as T;
  const value = build();
  generation.assembled.set(key, value);
  return value;
}

function assembleOutbound(cache: TranslationCache, generation: Generation, profile: ProxyProfile): Outbound {
  const fragments = generation.states.map((state) => cache.fragment(state, profile, generation.accepts));
  const fragmentOf = new Map(generation.states.map((state, i) => [state, fragments[i] as Fragment]));
  const http = servedHttp(generation.httpServices, fragmentOf);
  const sni = sniByPort(generation.states, fragments);
  const ports = [...new Set([...http.keys(), ...sni.keys()])].sort((a, b) => a - b);
  const families = new Map<number, readonly (IPFamily | undefined)[]>();
  const wildcards: Listener[] = [];
  for (const port of ports) {
    const httpSplits = (http.get(port) ?? []).map((s) => fragmentOf.get(s)?.split ?? [undefined]);
    const wildcard = { port, http: httpSplits.length > 0, sni: sni.get(port) ?? [] };
    const split = portFamilies([...httpSplits, ...wildcard.sni.map((s) => s.split)], profile);
    families.set(port, split);
    wildcards.push(...wildcardPortListeners(wildcard, split, profile));
  }
  const tcp = placeTcpListeners(fragments.map((f) => f.tcp));
  return {
    listeners: byName([...tcp, ...wildcards]),
    clusters: byName(fragments.flatMap((f) => f.clusters)),
    endpoints: fragments.flatMap((f) => f.endpoints).sort((a, b) => compare(a.cluster_name, b.cluster_name)),
    http,
    families,
    problems: fragments.flatMap((f) => (f.problem ? [f.problem] : [])),
  };
}

/** The HTTP services of each port without those whose translation failed; ports left with none are dropped. */
function servedHttp(
  byPort: ReadonlyMap<number, readonly ServiceState[]>,
  fragmentOf: ReadonlyMap<ServiceState, Fragment>,
): Map<number, readonly ServiceState[]> {
  const out = new Map<number, readonly ServiceState[]>();
  for (const [port, states] of byPort) {
    const served = states.filter((s) => fragmentOf.get(s)?.problem === undefined);
    if (served.length > 0) out.set(port, served.length === states.length ? states : served);
  }
  return out;
}

/** Port → the services matched by SNI on it for one profile (with their split), in service order. */
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
  profile: ProxyProfile,
  outbound: Outbound,
  namespace: string,
): { routes: RouteConfiguration[]; problems: Problem[] } {
  const routes: RouteConfiguration[] = [];
  const problems = new Set<Problem>();
  for (const [port, states] of outbound.http) {
    for (const family of outbound.families.get(port) ?? [undefined]) {
      const hosts: HostCandidate[] = [];
      for (const state of states) {
        const host = cache.host(cache.fragment(state, profile, generation.accepts), state, profile, port, family, namespace);
        if (isProblem(host)) problems.add(host);
        else hosts.push(host);
      }
      routes.push(placeVirtualHosts(port, family, hosts));
    }
  }
  return { routes: byName(routes), problems: [...problems] };
}

/**
 * The proxy's own part: its inbound clusters and virtual listeners, memoised by what they read. When reading or
 * building them fails, the inbound side is left out (no virtualInbound: inbound connections are refused, never let
 * through under a weaker policy) and virtualOutbound with the fixed clusters stays, with the problem at the proxy.
 */
function ownPart(generation: Generation, proxy: Proxy, profile: ProxyProfile, rootNamespace: string): Inbound {
  try {
    const reads = inboundReads(generation, proxy, profile, rootNamespace);
    return once(generation, `inbound\n${reads.key}`, () => inbound({ ...profile, interception: proxy.interception }, reads.ports, reads.mtls));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const problem: Problem = {
      severity: 'error',
      message: `proxy ${proxy.id}: translation of its inbound side failed (${reason}); virtualInbound and its inbound clusters are left out`,
      origin: { source: 'proxy', object: `Proxy/${proxy.id}` },
    };
    const capture = { ...profile, interception: proxy.interception };
    return { listeners: [virtualOutboundListener(capture)], clusters: byName(fixedClusters()), problems: [problem] };
  }
}

function inbound(proxy: ProxyProfile & Pick<Proxy, 'interception'>, ports: readonly number[], mtls: InboundMtls): Inbound {
  return {
    listeners: byName([virtualOutboundListener(proxy), virtualInboundListener(proxy, ports, mtls)]),
    clusters: byName([...inboundClusters(ports, proxy), ...fixedClusters()]),
    problems: [],
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
