// Per-service memoisation for `translate` (Istio's per-resource caches, keyed by exactly what a generator reads). A
// service's outbound clusters, load assignments, TCP listener candidates and virtual hosts depend only on the Service,
// its endpoints and the proxy's *profile* (mode, primary family, strategy; for virtual hosts whether the proxy shares the
// service's namespace; whether it dials auto-allocated VIPs), never on the proxy's identity. Each model generation stamps every service with a number that
// changes exactly when its Service or endpoints change (identity first, content when identity differs), and fragments
// are kept per (profile, hostname) with the stamp they were built from. Stamps are never reused, so a stale fragment can
// never be mistaken for a current one. Services that leave the model, or change, drop their fragments.
import { isDeepStrictEqual } from 'node:util';
import type { Endpoint, ModelIndex, PeerAuthentication, Problem, Proxy, Service } from '../model/index.ts';
import { DEFAULT_ROOT_NAMESPACE } from '../model/index.ts';
import { mtlsAcceptance, type MtlsAcceptance } from './mtls.ts';
import { meshLookup, selectorIndex, type MeshLookup, type ProxyProfile, type SelectorCandidates } from './service-plan.ts';
import { serviceFragment, serviceHost, type Fragment } from './service-fragment.ts';
import type { HostCandidate } from './routes.ts';
import { servesHttpPort } from './routes.ts';

/** One service in one generation: what its fragments read, and the stamp naming that content. */
export interface ServiceState {
  readonly service: Service;
  readonly endpoints: readonly Endpoint[];
  readonly stamp: number;
}

/** One model generation as the cache sees it, plus what is assembled from it per profile (released with the index). */
export interface Generation {
  readonly mesh: MeshLookup;
  /** Service states in `mesh.services` order. */
  readonly states: readonly ServiceState[];
  /** HTTP port → states of the services with an HTTP-family port of that number, service order; ports ascending. */
  readonly httpServices: ReadonlyMap<number, readonly ServiceState[]>;
  readonly selecting: SelectorCandidates;
  /** Per-profile (and per-namespace, per-port-set) assemblies, owned by sidecar-assembly.ts. */
  readonly assembled: Map<string, unknown>;
  /** The root namespace the generation was built for, and its endpoints' mTLS acceptance under the model's policies. */
  readonly rootNamespace: string;
  readonly accepts: MtlsAcceptance;
}

/** Counters that show how much a cache saved: fragments reused vs built, and how many are held now. */
export interface TranslationCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly fragments: number;
  readonly services: number;
}

interface Known {
  readonly service: Service;
  readonly endpoints: readonly Endpoint[];
  readonly stamp: number;
  text?: string;
}

/**
 * Memoised per-service translation shared by every proxy of a server (pass it as `translate(…, { cache })`). Holds
 * one fragment per (profile, service) of the newest model; a ModelIndex's assemblies live as long as the index does.
 */
export class TranslationCache {
  readonly #generations = new WeakMap<ModelIndex, Generation>();
  readonly #known = new Map<string, Known>();
  readonly #fragments = new Map<string, Map<string, Fragment>>();
  readonly #json = new WeakMap<object, string>();
  /** The PeerAuthentications and root namespace the held fragments were built under (endpoint metadata reads them). */
  #policies: { readonly list: readonly PeerAuthentication[]; readonly root: string } | undefined;
  #nextStamp = 1;
  #hits = 0;
  #misses = 0;

  /**
   * The generation of an index: built once per index (and root namespace), stamping each service against the previous
   * generation. New PeerAuthentications or another root namespace drop every fragment, as endpoint metadata reads them.
   */
  generation(index: ModelIndex, rootNamespace: string = DEFAULT_ROOT_NAMESPACE): Generation {
    const known = this.#generations.get(index);
    if (known && known.rootNamespace === rootNamespace) return known;
    const policies = index.model.peerAuthentications;
    const before = this.#policies;
    if (before && (before.root !== rootNamespace || (before.list !== policies && !isDeepStrictEqual(before.list, policies)))) {
      this.#known.clear();
      this.#fragments.clear();
    }
    this.#policies = { list: policies, root: rootNamespace };
    const mesh = meshLookup(index);
    const states = mesh.services.map((service) => this.#state(service, mesh.endpointsOf(service.hostname)));
    this.#forgetMissing(new Set(mesh.services.map((s) => s.hostname)));
    const generation: Generation = {
      mesh,
      states,
      httpServices: httpServices(states),
      selecting: selectorIndex(mesh.services),
      assembled: new Map(),
      rootNamespace,
      accepts: mtlsAcceptance(policies, rootNamespace),
    };
    this.#generations.set(index, generation);
    return generation;
  }

  /** The fragment of one service under one profile, reused while the service's stamp is unchanged (`accepts`: its generation's). */
  fragment(state: ServiceState, profile: ProxyProfile, accepts?: MtlsAcceptance): Fragment {
    let byHost = this.#fragments.get(profile.key);
    if (!byHost) this.#fragments.set(profile.key, (byHost = new Map()));
    const hit = byHost.get(state.service.hostname);
    if (hit && hit.stamp === state.stamp) {
      this.#hits += 1;
      return hit;
    }
    this.#misses += 1;
    const fragment = serviceFragment(state.service, state.endpoints, profile, state.stamp, accepts);
    byHost.set(state.service.hostname, fragment);
    return fragment;
  }

  /** The virtual host of a fragment's service on one port (and family) for proxies in `namespace`, or its problem. */
  host(fragment: Fragment, state: ServiceState, profile: ProxyProfile, port: number, family: Proxy['primaryFamily'] | undefined, namespace: string): HostCandidate | Problem {
    return serviceHost(fragment, state.service, profile, port, family, namespace);
  }

  /** Reuse counters and sizes. */
  stats(): TranslationCacheStats {
    let fragments = 0;
    for (const byHost of this.#fragments.values()) fragments += byHost.size;
    return { hits: this.#hits, misses: this.#misses, fragments, services: this.#known.size };
  }

  /** The state of a service: the previous stamp when Service and endpoints are the same (by identity, else content). */
  #state(service: Service, endpoints: readonly Endpoint[]): ServiceState {
    const previous = this.#known.get(service.hostname);
    if (previous && sameInputs(previous, service, endpoints)) return { service, endpoints, stamp: previous.stamp };
    const text = previous ? this.#text(service, endpoints) : undefined;
    if (previous && this.#textOf(previous) === text) {
      this.#known.set(service.hostname, { service, endpoints, stamp: previous.stamp, text });
      return { service, endpoints, stamp: previous.stamp };
    }
    const stamp = this.#nextStamp++;
    for (const byHost of this.#fragments.values()) byHost.delete(service.hostname);
    this.#known.set(service.hostname, { service, endpoints, stamp, ...(text === undefined ? {} : { text }) });
    return { service, endpoints, stamp };
  }

  #textOf(known: Known): string {
    known.text ??= this.#text(known.service, known.endpoints);
    return known.text;
  }

  /** The content of a service and its endpoints as text; each object's JSON is kept while the object lives. */
  #text(service: Service, endpoints: readonly Endpoint[]): string {
    return [service, ...endpoints].map((o) => this.#jsonOf(o)).join('\n');
  }

  #jsonOf(value: object): string {
    let text = this.#json.get(value);
    if (text === undefined) {
      text = JSON.stringify(value);
      this.#json.set(value, text);
    }
    return text;
  }

  #forgetMissing(present: ReadonlySet<string>): void {
    for (const hostname of this.#known.keys()) {
      if (present.has(hostname)) continue;
      this.#known.delete(hostname);
      for (const byHost of this.#fragments.values()) byHost.delete(hostname);
    }
  }
}

function sameInputs(known: Known, service: Service, endpoints: readonly Endpoint[]): boolean {
  if (known.service !== service || known.endpoints.length !== endpoints.length) return false;
  return known.endpoints === endpoints || known.endpoints.every((e, i) => e === endpoints[i]);
}

function httpServices(states: readonly ServiceState[]): Map<number, ServiceState[]> {
  const byPort = new Map<number, ServiceState[]>();
  for (const state of states) {
    const ports = new Set(state.service.ports.filter(servesHttpPort).map((p) => p.port));
    for (const port of ports) {
      const list = byPort.get(port);
      if (list) list.push(state);
      else byPort.set(port, [state]);
    }
  }
  return new Map([...byPort.entries()].sort(([a], [b]) => a - b));
}
