// The set validator, written once: every resource's own problems and the problems only the whole set shows, each check
// reading through a Memo by what it reads (one array, one resource). `validateResources` and `validateSet` pass the
// Memo that remembers nothing; the server's SetValidator passes one that remembers per array and object identity.
import { TypeUrl } from '../envoy-api/protos.ts';
import { asObj, resourceName, type Obj } from '../envoy-api/plain.ts';
import { checkGrpcListenerRoutes } from './grpc.ts';
import { checkListenersDisjoint, listenerAddressesOf } from './listeners.ts';
import type { ResourceProblem } from '../envoy-api/problem.ts';
import { computeAlways, reporter, type Memo, type ResourceSet, type ValidateOptions } from './problem.ts';
import { checkPassthroughProtocols, downgradesHttp, httpRoutedClusters } from './protocols.ts';
import { checkReferences, type SetFacts, type TypeFacts } from './references.ts';
import { sortProblems, validateResource } from './validate.ts';

type Problems = readonly ResourceProblem[];

/** A type's facts and the name rule's problems for its array. */
interface NamedFacts extends TypeFacts {
  readonly nameProblems: Problems;
}

/** A resource type with the names of its memo slots, spelled once (slot names are looked up per call). */
interface TypeSlots {
  readonly typeUrl: string;
  readonly field: keyof ResourceSet;
  readonly own: string;
  readonly ownOfArray: string;
  readonly facts: string;
}

function typeSlots(typeUrl: string, field: keyof ResourceSet): TypeSlots {
  return { typeUrl, field, own: `own ${typeUrl}`, ownOfArray: `own ${typeUrl}[]`, facts: `facts ${typeUrl}` };
}

/** The four types in the order problems are sorted by: LDS, RDS, CDS, EDS. */
const TYPES: readonly TypeSlots[] = [
  typeSlots(TypeUrl.Listener, 'listeners'),
  typeSlots(TypeUrl.RouteConfiguration, 'routes'),
  typeSlots(TypeUrl.Cluster, 'clusters'),
  typeSlots(TypeUrl.ClusterLoadAssignment, 'endpoints'),
];

/** Reports a missing name and the second of two resources of one type with the same name. */
export function checkNames(typeUrl: string, resources: readonly Obj[], into: ResourceProblem[]): void {
  const field = typeUrl === TypeUrl.ClusterLoadAssignment ? 'cluster_name' : 'name';
  const seen = new Set<string>();
  for (const resource of resources) {
    const name = resourceName(resource);
    const report = reporter(typeUrl, resource, into);
    if (name === '') report(field, 'resource.name_required', 'every resource needs a name');
    else if (seen.has(name)) report(field, 'resource.unique_name', `another resource of this type is already named "${name}"`);
    seen.add(name);
  }
}

/** The array as plain records (itself when every element is one, as translator output always is). */
function plainOf(list: readonly object[]): readonly Obj[] {
  for (const r of list) if (asObj(r) === undefined) return list.map((x) => asObj(x) ?? {});
  return list as readonly Obj[];
}

function factsOf(typeUrl: string, list: readonly object[]): NamedFacts {
  const plain = plainOf(list);
  const names = new Set<string>();
  let clean = true;
  for (const r of plain) {
    const name = resourceName(r);
    if (name === '' || names.has(name)) clean = false;
    names.add(name);
  }
  const nameProblems: ResourceProblem[] = [];
  // Only a set with a missing or repeated name has anything to report: then checkNames says what, exactly.
  if (!clean) checkNames(typeUrl, plain, nameProblems);
  return { plain, names, nameProblems };
}

/** The distinct socket addresses (port 0 excepted) a listener binds, as checkListenersDisjoint keys them. */
function boundKeys(listener: Obj): string[] {
  const keys = new Set<string>();
  for (const a of listenerAddressesOf(listener)) if (a.info.port !== 0) keys.add(a.info.key);
  return [...keys];
}

/** checkListenersDisjoint's problems; it only runs when some socket address is bound by two listeners. */
function disjointProblems(listeners: readonly Obj[], memo: Memo): Problems {
  const keysOf = memo.slot<Obj, readonly string[]>('bound addresses');
  const bound = new Set<string>();
  let clash = false;
  for (const listener of listeners) {
    for (const key of keysOf(listener, boundKeys)) {
      if (bound.has(key)) clash = true;
      bound.add(key);
    }
  }
  const out: ResourceProblem[] = [];
  if (clash) checkListenersDisjoint(listeners, (l) => reporter(TypeUrl.Listener, l, out));
  return out;
}

/** A passthrough cluster HTTP routes use that would downgrade every request to HTTP/1.1. */
function passthroughProblems(set: SetFacts, memo: Memo, into: ResourceProblem[]): void {
  const downgrading = memo.slot<readonly Obj[], readonly Obj[]>('downgrading clusters')(set.clusters.plain, (all) => all.filter(downgradesHttp));
  if (downgrading.length === 0) return;
  const routed = memo.slot<readonly Obj[], ReadonlySet<string>>('HTTP-routed clusters')(set.routes.plain, httpRoutedClusters);
  checkPassthroughProtocols(downgrading, routed, (c) => reporter(TypeUrl.Cluster, c, into));
}

/**
 * The problems only the whole set shows, through `memo`: a missing or repeated name, a socket address bound by two
 * listeners, a dangling reference, a downgrading passthrough cluster, and for gRPC the rules that read the route
 * configuration a listener's RDS names.
 */
export function setProblems(resources: ResourceSet, options: ValidateOptions, memo: Memo): ResourceProblem[] {
  const [listeners, routes, clusters, endpoints] = TYPES.map((t) =>
    memo.slot<readonly object[], NamedFacts>(t.facts)(resources[t.field], (list) => factsOf(t.typeUrl, list)),
  ) as [NamedFacts, NamedFacts, NamedFacts, NamedFacts];
  const set = { listeners, routes, clusters, endpoints };
  const problems: ResourceProblem[] = [...set.listeners.nameProblems, ...set.routes.nameProblems, ...set.clusters.nameProblems, ...set.endpoints.nameProblems];
  if (options.client === 'grpc') {
    const byName = new Map(set.routes.plain.map((r) => [resourceName(r), r] as const));
    for (const l of set.listeners.plain) checkGrpcListenerRoutes(l, byName, reporter(TypeUrl.Listener, l, problems));
  }
  problems.push(...memo.slot<readonly Obj[], Problems>('disjoint listeners')(set.listeners.plain, (l) => disjointProblems(l, memo)));
  checkReferences(set, memo, problems);
  passthroughProblems(set, memo, problems);
  return sortProblems(problems);
}

/** Every resource's own problems (`validateResource`), remembered through `memo` per array and per resource. */
function ownProblems(type: TypeSlots, list: readonly object[], options: ValidateOptions, memo: Memo): Problems {
  return memo.slot<readonly object[], Problems>(type.ownOfArray)(list, () => {
    const own = memo.slot<object, Problems>(type.own);
    const one = (resource: object): Problems => validateResource(type.typeUrl, resource, options);
    const out: ResourceProblem[] = [];
    for (const resource of list) {
      for (const p of typeof resource === 'object' && resource !== null ? own(resource, one) : one(resource)) out.push(p);
    }
    return out;
  });
}

/** Every problem of a set through `memo`: each resource's own, then the set's, sorted as `sortProblems` sorts. */
export function allProblems(resources: ResourceSet, options: ValidateOptions, memo: Memo): ResourceProblem[] {
  const problems: ResourceProblem[] = [];
  for (const type of TYPES) for (const p of ownProblems(type, resources[type.field], options, memo)) problems.push(p);
  for (const p of setProblems(resources, options, memo)) problems.push(p);
  return sortProblems(problems);
}

/**
 * The problems only the whole set shows, sorted like `validateResources`: a missing or repeated name, a socket address
 * bound by two listeners, a reference to a cluster, route configuration or assignment the set lacks, a passthrough
 * cluster HTTP routes use that would downgrade every request to HTTP/1.1, and for gRPC the rules that read the route
 * configuration a listener's RDS names.
 */
export function validateSet(resources: ResourceSet, options: ValidateOptions = {}): ResourceProblem[] {
  return setProblems(resources, options, computeAlways);
}

/**
 * Every problem of a snapshot: each resource's own (`validateResource`, through `options.cache` when given) and the
 * set's (`validateSet`), sorted by type (LDS, RDS, CDS, EDS) and resource name, a resource's own problems before its
 * cross-resource ones. Empty means publishable.
 */
export function validateResources(resources: ResourceSet, options: ValidateOptions = {}): ResourceProblem[] {
  return allProblems(resources, options, computeAlways);
}
