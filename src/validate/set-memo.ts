// `validateResources` for many snapshots that share resource arrays and objects (a server's proxies of one view get
// the very same `endpoints` and `routes` arrays and the same cluster objects). Every check is split by what it reads:
// a part that reads one array is remembered per array identity, a per-resource result per object identity, and only
// checks that join a proxy's own arrays (listener addresses, references into its clusters) run per snapshot. The
// output equals `validateResources` for the same input and options: the same problems, in the same order.
// Arrays and objects are trusted not to change after they were first seen (translator output is never mutated).
import { TypeUrl } from '../envoy-api/protos.ts';
import { asObj, asStr, resourceName, type Obj } from './access.ts';
import { discoveryType } from './clusters.ts';
import { checkGrpcListenerRoutes } from './grpc.ts';
import { hcmsOf } from './http.ts';
import { checkListenersDisjoint, listenerAddressesOf } from './listeners.ts';
import { fieldPath, type Report, type ResourceSet, type ValidateOptions, type ValidationProblem } from './problem.ts';
import { checkNames, listenerClusterRefs } from './references.ts';
import { checkPassthroughProtocols, downgradesHttp, httpRoutedClusters } from './protocols.ts';
import { routeClusterRefs, type ClusterRef } from './routes.ts';
import { sortProblems, validateResource } from './validate.ts';

type Problems = readonly ValidationProblem[];

/** What one array shows on its own: its plain records, their names, and the name rule's problems. */
interface ArrayFacts {
  readonly plain: readonly Obj[];
  readonly names: ReadonlySet<string>;
  readonly nameProblems: Problems;
}

/** What a listener refers to: clusters (TCP proxy, inline routes) and RDS names, with where. */
interface ListenerRefs {
  readonly clusters: readonly ClusterRef[];
  readonly rds: readonly ClusterRef[];
}

/** The cluster refs of a routes array, per route, plus every name referred to (to skip the walk when all exist). */
interface RouteRefs {
  readonly perRoute: readonly { readonly route: Obj; readonly refs: readonly ClusterRef[] }[];
  readonly names: ReadonlySet<string>;
}

/** The EDS service a cluster needs an assignment for, with the field that names it; null when it needs none. */
type EdsNeed = { readonly service: string; readonly path: string } | null;

function reporter(typeUrl: string, resource: unknown, into: ValidationProblem[]): Report {
  const name = resourceName(resource);
  return (path, rule, message) => into.push({ typeUrl, resource: name, path, rule, message });
}

function memo<K extends object, V>(map: WeakMap<K, V>, key: K, make: () => V): V {
  const hit = map.get(key);
  if (hit !== undefined) return hit;
  const value = make();
  map.set(key, value);
  return value;
}

/**
 * Validates snapshots like `validateResources(resources, options)`, remembering per array and per object what does
 * not depend on the rest of the snapshot. One per (model generation, options): the options are fixed at creation.
 */
export class SetValidator {
  readonly #options: ValidateOptions;
  readonly #own = new Map<string, WeakMap<object, Problems>>();
  readonly #ownOfArray = new Map<string, WeakMap<readonly object[], Problems>>();
  readonly #facts = new Map<string, WeakMap<readonly object[], ArrayFacts>>();
  readonly #disjoint = new WeakMap<readonly object[], Problems>();
  readonly #addresses = new WeakMap<Obj, readonly string[]>();
  readonly #listenerRefs = new WeakMap<Obj, ListenerRefs>();
  readonly #routeRefs = new WeakMap<readonly object[], RouteRefs>();
  readonly #eds = new WeakMap<Obj, EdsNeed>();
  readonly #routed = new WeakMap<readonly object[], ReadonlySet<string>>();
  readonly #downgrading = new WeakMap<readonly object[], readonly Obj[]>();

  constructor(options: ValidateOptions = {}) {
    this.#options = options;
  }

  /** Every problem of the snapshot, equal to `validateResources(resources, options)`. */
  validate(resources: ResourceSet): ValidationProblem[] {
    const problems: ValidationProblem[] = [];
    for (const [typeUrl, list] of typesOf(resources)) for (const p of this.#ownProblems(typeUrl, list)) problems.push(p);
    for (const p of this.validateSet(resources)) problems.push(p);
    return sortProblems(problems);
  }

  /** The cross-resource problems, equal to `validateSet(resources, options)`. */
  validateSet(resources: ResourceSet): ValidationProblem[] {
    const listeners = this.#factsOf(TypeUrl.Listener, resources.listeners);
    const routes = this.#factsOf(TypeUrl.RouteConfiguration, resources.routes);
    const clusters = this.#factsOf(TypeUrl.Cluster, resources.clusters);
    const endpoints = this.#factsOf(TypeUrl.ClusterLoadAssignment, resources.endpoints);
    // Same order as validateSet pushes them; the final stable sort then gives the same list.
    const problems: ValidationProblem[] = [...listeners.nameProblems, ...routes.nameProblems, ...clusters.nameProblems, ...endpoints.nameProblems];
    if (this.#options.client === 'grpc') {
      const byName = new Map(routes.plain.map((r) => [resourceName(r), r] as const));
      for (const l of listeners.plain) checkGrpcListenerRoutes(l, byName, reporter(TypeUrl.Listener, l, problems));
    }
    problems.push(...memo(this.#disjoint, resources.listeners, () => this.#disjointProblems(listeners.plain)));
    this.#listenerReferences(listeners.plain, clusters.names, routes.names, problems);
    this.#routeReferences(resources.routes, routes.plain, clusters.names, problems);
    this.#edsReferences(clusters.plain, endpoints.names, problems);
    const downgrading = memo(this.#downgrading, resources.clusters, () => clusters.plain.filter(downgradesHttp));
    if (downgrading.length > 0) {
      const routed = memo(this.#routed, resources.routes, () => httpRoutedClusters(routes.plain));
      checkPassthroughProtocols(downgrading, routed, (c) => reporter(TypeUrl.Cluster, c, problems));
    }
    return sortProblems(problems);
  }

  /** checkListenersDisjoint's problems; it only runs when some socket address is bound by two listeners. */
  #disjointProblems(listeners: readonly Obj[]): Problems {
    const bound = new Set<string>();
    let clash = false;
    for (const listener of listeners) {
      let keys = this.#addresses.get(listener);
      if (!keys) this.#addresses.set(listener, (keys = boundKeys(listener)));
      for (const key of keys) {
        if (bound.has(key)) clash = true;
        bound.add(key);
      }
    }
    return clash ? disjointProblems(listeners) : [];
  }

  #ownProblems(typeUrl: string, list: readonly object[]): Problems {
    const byArray = perType(this.#ownOfArray, typeUrl);
    const known = byArray.get(list);
    if (known) return known;
    const own = perType(this.#own, typeUrl);
    const out: ValidationProblem[] = [];
    for (const resource of list) {
      const memoable = typeof resource === 'object' && resource !== null;
      let found = memoable ? own.get(resource) : undefined;
      if (found === undefined) {
        found = validateResource(typeUrl, resource, this.#options);
        if (memoable) own.set(resource, found);
      }
      for (const p of found) out.push(p);
    }
    byArray.set(list, out);
    return out;
  }

  #factsOf(typeUrl: string, list: readonly object[]): ArrayFacts {
    return memo(perType(this.#facts, typeUrl), list, () => {
      const plain = plainOf(list);
      const names = new Set<string>();
      let clean = true;
      for (const r of plain) {
        const name = resourceName(r);
        if (name === '' || names.has(name)) clean = false;
        names.add(name);
      }
      const nameProblems: ValidationProblem[] = [];
      // Only a set with a missing or repeated name has anything to report: then checkNames says what, exactly.
      if (!clean) checkNames(typeUrl, plain, (url, resource) => reporter(url, resource, nameProblems));
      return { plain, names, nameProblems };
    });
  }

  #listenerReferences(listeners: readonly Obj[], clusters: ReadonlySet<string>, routes: ReadonlySet<string>, into: ValidationProblem[]): void {
    for (const listener of listeners) {
      let refs = this.#listenerRefs.get(listener);
      if (!refs) this.#listenerRefs.set(listener, (refs = listenerRefsOf(listener)));
      const report = reporter(TypeUrl.Listener, listener, into);
      for (const ref of refs.clusters) if (!clusters.has(ref.cluster)) report(ref.path, 'reference.cluster', missingCluster(ref.cluster));
      for (const ref of refs.rds) {
        if (!routes.has(ref.cluster)) report(ref.path, 'reference.route_config', `names route configuration "${ref.cluster}", which is not in the snapshot`);
      }
    }
  }

  #routeReferences(list: readonly object[], routes: readonly Obj[], clusters: ReadonlySet<string>, into: ValidationProblem[]): void {
    const refs = memo(this.#routeRefs, list, () => {
      const perRoute = routes.map((route) => ({ route, refs: routeClusterRefs(route, '') }));
      return { perRoute, names: new Set(perRoute.flatMap((r) => r.refs.map((ref) => ref.cluster))) };
    });
    let complete = true;
    for (const name of refs.names) if (!clusters.has(name)) complete = false;
    if (complete) return;
    for (const { route, refs: mine } of refs.perRoute) {
      const report = reporter(TypeUrl.RouteConfiguration, route, into);
      for (const ref of mine) if (!clusters.has(ref.cluster)) report(ref.path, 'reference.cluster', missingCluster(ref.cluster));
    }
  }

  #edsReferences(clusters: readonly Obj[], assignments: ReadonlySet<string>, into: ValidationProblem[]): void {
    for (const cluster of clusters) {
      let need = this.#eds.get(cluster);
      if (need === undefined) this.#eds.set(cluster, (need = edsNeed(cluster)));
      if (need === null || assignments.has(need.service)) continue;
      reporter(TypeUrl.Cluster, cluster, into)(need.path, 'reference.eds_assignment', `EDS service "${need.service}" has no ClusterLoadAssignment in the snapshot`);
    }
  }
}

/** The array as plain records (itself when every element is one, as translator output always is). */
function plainOf(list: readonly object[]): readonly Obj[] {
  for (const r of list) if (asObj(r) === undefined) return list.map((x) => asObj(x) ?? {});
  return list as readonly Obj[];
}

function perType<K extends object, V>(maps: Map<string, WeakMap<K, V>>, typeUrl: string): WeakMap<K, V> {
  let map = maps.get(typeUrl);
  if (!map) maps.set(typeUrl, (map = new WeakMap()));
  return map;
}

function typesOf(resources: ResourceSet): readonly (readonly [string, readonly object[]])[] {
  return [
    [TypeUrl.Listener, resources.listeners],
    [TypeUrl.RouteConfiguration, resources.routes],
    [TypeUrl.Cluster, resources.clusters],
    [TypeUrl.ClusterLoadAssignment, resources.endpoints],
  ];
}

function missingCluster(name: string): string {
  return `names cluster "${name}", which is not in the snapshot`;
}

function disjointProblems(listeners: readonly Obj[]): Problems {
  const out: ValidationProblem[] = [];
  checkListenersDisjoint(listeners, (l) => reporter(TypeUrl.Listener, l, out));
  return out;
}

/** The distinct socket addresses (port 0 excepted) a listener binds, as checkListenersDisjoint keys them. */
function boundKeys(listener: Obj): string[] {
  const keys = new Set<string>();
  for (const a of listenerAddressesOf(listener)) if (a.info.port !== 0) keys.add(a.info.key);
  return [...keys];
}

function listenerRefsOf(listener: Obj): ListenerRefs {
  const rds: ClusterRef[] = [];
  for (const hcm of hcmsOf(listener)) {
    const name = asStr(asObj(hcm.value['rds'])?.['route_config_name']);
    if (name !== undefined) rds.push({ path: fieldPath(fieldPath(hcm.path, 'rds'), 'route_config_name'), cluster: name });
  }
  return { clusters: listenerClusterRefs(listener), rds };
}

function edsNeed(cluster: Obj): EdsNeed {
  if (discoveryType(cluster) !== 'EDS') return null;
  const named = asStr(asObj(cluster['eds_cluster_config'])?.['service_name']);
  return { service: named || resourceName(cluster), path: named ? 'eds_cluster_config.service_name' : 'name' };
}
