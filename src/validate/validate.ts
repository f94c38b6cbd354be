// The validator's entry points. Rules of one resource (proto shape and round trip, PGV, its own semantic rules) are
// `validateResource`, memoisable by content; rules across resources (unique names, listener address clashes,
// references, gRPC rules that follow an RDS name) are `validateSet`; `validateResources` is both, sorted.
import { TypeUrl } from '../envoy-api/protos.ts';
import { asObj, resourceName, type Obj } from './access.ts';
import { contentKey } from './validation-cache.ts';
import { checkCluster } from './clusters.ts';
import { checkAssignment } from './endpoints.ts';
import { checkGrpcAssignment, checkGrpcCluster, checkGrpcListener, checkGrpcListenerRoutes } from './grpc.ts';
import { checkListener, checkListenersDisjoint } from './listeners.ts';
import type { ResourceSet, Report, ValidateOptions, ValidationProblem } from './problem.ts';
import { checkPassthroughProtocols, httpRoutedClusters } from './protocols.ts';
import { checkMessage } from './proto-walk.ts';
import { resourceType } from './proto-types.ts';
import { checkNames, checkReferences, type Snapshot } from './references.ts';
import { checkRoundTrip } from './roundtrip.ts';
import { checkRouteConfig } from './routes.ts';

const TYPE_ORDER: readonly string[] = [TypeUrl.Listener, TypeUrl.RouteConfiguration, TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment];

function reporter(typeUrl: string, resource: unknown, into: ValidationProblem[]): Report {
  const name = resourceName(resource);
  return (path, rule, message) => into.push({ typeUrl, resource: name, path, rule, message });
}

function checkSemantics(typeUrl: string, resource: Obj, report: Report, grpc: boolean): void {
  if (typeUrl === TypeUrl.Listener) {
    checkListener(resource, report);
    if (grpc) checkGrpcListener(resource, report);
  } else if (typeUrl === TypeUrl.Cluster) {
    checkCluster(resource, report);
    if (grpc) checkGrpcCluster(resource, report);
  } else if (typeUrl === TypeUrl.RouteConfiguration) {
    checkRouteConfig(resource, '', report);
  } else if (typeUrl === TypeUrl.ClusterLoadAssignment) {
    checkAssignment(resource, '', report);
    if (grpc) checkGrpcAssignment(resource, report);
  }
}

function checkOne(typeUrl: string, resource: unknown, report: Report, options: ValidateOptions): void {
  const type = resourceType(typeUrl);
  if (!type) {
    report('', 'proto.type_url', `${typeUrl} is not a message type of the loaded Envoy API`);
    return;
  }
  const obj = asObj(resource);
  if (!obj) {
    report('', 'proto.type', 'a resource must be a plain object');
    return;
  }
  if (checkMessage(type, obj, report) && options.roundTrip !== false) checkRoundTrip(typeUrl, obj, report);
  checkSemantics(typeUrl, obj, report, options.client === 'grpc');
}

function uncached(typeUrl: string, resource: object, options: ValidateOptions): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  checkOne(typeUrl, resource, reporter(typeUrl, resource, problems), options);
  return problems;
}

/**
 * Every problem of one resource on its own, for the client in `options`: proto shape and round trip, PGV rules, its
 * own semantic rules (gRPC's too for client 'grpc'). With `options.cache`, answered from it when the content was
 * seen before; a key that cannot be computed (e.g. a cyclic object) just skips the cache.
 */
export function validateResource(typeUrl: string, resource: object, options: ValidateOptions = {}): ValidationProblem[] {
  const cache = options.cache;
  if (!cache) return uncached(typeUrl, resource, options);
  let key: string;
  try {
    const mode = `${options.client ?? 'envoy'}${options.roundTrip === false ? ' walk-only' : ''}`;
    key = `${mode}\n${typeUrl}\n${(options.keyOf ?? contentKey)(typeUrl, resource)}`;
  } catch {
    return uncached(typeUrl, resource, options);
  }
  const hit = cache.get(key);
  if (hit) return [...hit];
  const problems = uncached(typeUrl, resource, options);
  cache.set(key, problems);
  return problems;
}

function plain(resources: readonly object[]): Obj[] {
  return resources.map((r) => asObj(r) ?? {});
}

function typesOf(resources: ResourceSet): readonly (readonly [string, readonly object[]])[] {
  return [
    [TypeUrl.Listener, resources.listeners],
    [TypeUrl.RouteConfiguration, resources.routes],
    [TypeUrl.Cluster, resources.clusters],
    [TypeUrl.ClusterLoadAssignment, resources.endpoints],
  ];
}

/**
 * The problems only the whole set shows, sorted like `validateResources`: a missing or repeated name, a socket address
 * bound by two listeners, a reference to a cluster, route configuration or assignment the set lacks, a passthrough
 * cluster HTTP routes use that would downgrade every request to HTTP/1.1, and for gRPC the rules that read the route
 * configuration a listener's RDS names.
 */
export function validateSet(resources: ResourceSet, options: ValidateOptions = {}): ValidationProblem[] {
  const snapshot: Snapshot = {
    listeners: plain(resources.listeners),
    clusters: plain(resources.clusters),
    routes: plain(resources.routes),
    endpoints: plain(resources.endpoints),
  };
  const problems: ValidationProblem[] = [];
  const reportFor = (typeUrl: string, resource: Obj): Report => reporter(typeUrl, resource, problems);
  checkNames(TypeUrl.Listener, snapshot.listeners, reportFor);
  checkNames(TypeUrl.RouteConfiguration, snapshot.routes, reportFor);
  checkNames(TypeUrl.Cluster, snapshot.clusters, reportFor);
  checkNames(TypeUrl.ClusterLoadAssignment, snapshot.endpoints, reportFor);
  if (options.client === 'grpc') {
    const routes = new Map(snapshot.routes.map((r) => [resourceName(r), r] as const));
    for (const listener of snapshot.listeners) checkGrpcListenerRoutes(listener, routes, reportFor(TypeUrl.Listener, listener));
  }
  checkListenersDisjoint(snapshot.listeners, (l) => reportFor(TypeUrl.Listener, l));
  checkReferences(snapshot, reportFor);
  checkPassthroughProtocols(snapshot.clusters, httpRoutedClusters(snapshot.routes), (c) => reportFor(TypeUrl.Cluster, c));
  return sortProblems(problems);
}

/**
 * Every problem of a snapshot: each resource's own (`validateResource`, through `options.cache` when given) and the
 * set's (`validateSet`), sorted by type (LDS, RDS, CDS, EDS) and resource name, a resource's own problems before its
 * cross-resource ones. Empty means publishable.
 */
export function validateResources(resources: ResourceSet, options: ValidateOptions = {}): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  for (const [typeUrl, list] of typesOf(resources)) {
    for (const resource of list) {
      const found = validateResource(typeUrl, resource, options);
      for (const p of found) problems.push(p);
    }
  }
  for (const p of validateSet(resources, options)) problems.push(p);
  return sortProblems(problems);
}

/** Stable order: by type, then resource name; problems of one resource keep the order they were found in. */
export function sortProblems(problems: readonly ValidationProblem[]): ValidationProblem[] {
  const rank = (p: ValidationProblem): number => {
    const i = TYPE_ORDER.indexOf(p.typeUrl);
    return i < 0 ? TYPE_ORDER.length : i;
  };
  return [...problems].sort((a, b) => rank(a) - rank(b) || (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
}

/** One line per problem, `Listener "name" path: message [rule]`, for logs, CLI output and test failures. */
export function formatProblems(problems: readonly ValidationProblem[]): string {
  return problems
    .map((p) => {
      const type = p.typeUrl.slice(p.typeUrl.lastIndexOf('.') + 1);
      const where = p.path === '' ? '' : ` ${p.path}`;
      return `${type} "${p.resource}"${where}: ${p.message} [${p.rule}]`;
    })
    .join('\n');
}
