// The validator's entry points: one resource (proto shape, PGV rules, round trip, its own semantic rules) and a
// whole snapshot (each resource, then names, listener addresses and references across resources).
import { messageType, TypeUrl } from '../../xds/protos.ts';
import { asObj, resourceName, type Obj } from './access.ts';
import { checkCluster } from './clusters.ts';
import { checkAssignment } from './endpoints.ts';
import { checkGrpcAssignment, checkGrpcCluster, checkGrpcListener, type RouteLookup } from './grpc.ts';
import { checkListener, checkListenersDisjoint } from './listeners.ts';
import type { ResourceSet, Report, ValidateOptions, ValidationProblem } from './problem.ts';
import { checkMessage } from './proto-walk.ts';
import { checkNames, checkReferences, type Snapshot } from './references.ts';
import { checkRoundTrip } from './roundtrip.ts';
import { checkRouteConfig } from './routes.ts';

const TYPE_ORDER: readonly string[] = [TypeUrl.Listener, TypeUrl.RouteConfiguration, TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment];

function reporter(typeUrl: string, resource: unknown, into: ValidationProblem[]): Report {
  const name = resourceName(resource);
  return (path, rule, message) => into.push({ typeUrl, resource: name, path, rule, message });
}

function checkSemantics(typeUrl: string, resource: Obj, report: Report, options: ValidateOptions, routes: RouteLookup): void {
  const grpc = options.client === 'grpc';
  if (typeUrl === TypeUrl.Listener) {
    checkListener(resource, report);
    if (grpc) checkGrpcListener(resource, report, routes);
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

function checkOne(typeUrl: string, resource: unknown, report: Report, options: ValidateOptions, routes: RouteLookup): void {
  let type;
  try {
    type = messageType(typeUrl);
  } catch {
    report('', 'proto.type_url', `${typeUrl} is not a message type of the loaded Envoy API`);
    return;
  }
  const obj = asObj(resource);
  if (!obj) {
    report('', 'proto.type', 'a resource must be a plain object');
    return;
  }
  if (checkMessage(type, obj, '', report)) checkRoundTrip(typeUrl, obj, report);
  checkSemantics(typeUrl, obj, report, options, routes);
}

/** Every problem of one resource on its own: proto shape and round trip, PGV rules, its own semantic rules. */
export function validateResource(typeUrl: string, resource: object, options: ValidateOptions = {}): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  checkOne(typeUrl, resource, reporter(typeUrl, resource, problems), options, undefined);
  return problems;
}

function plain(resources: readonly object[]): Obj[] {
  return resources.map((r) => asObj(r) ?? {});
}

/** Every problem of a snapshot, sorted by type (LDS, RDS, CDS, EDS) and resource name; empty means publishable. */
export function validateResources(resources: ResourceSet, options: ValidateOptions = {}): ValidationProblem[] {
  const snapshot: Snapshot = {
    listeners: plain(resources.listeners),
    clusters: plain(resources.clusters),
    routes: plain(resources.routes),
    endpoints: plain(resources.endpoints),
  };
  const problems: ValidationProblem[] = [];
  const reportFor = (typeUrl: string, resource: Obj): Report => reporter(typeUrl, resource, problems);
  const routes = new Map(snapshot.routes.map((r) => [resourceName(r), r] as const));
  const byType: readonly [string, readonly object[], readonly Obj[]][] = [
    [TypeUrl.Listener, resources.listeners, snapshot.listeners],
    [TypeUrl.RouteConfiguration, resources.routes, snapshot.routes],
    [TypeUrl.Cluster, resources.clusters, snapshot.clusters],
    [TypeUrl.ClusterLoadAssignment, resources.endpoints, snapshot.endpoints],
  ];
  for (const [typeUrl, raw, list] of byType) {
    checkNames(typeUrl, list, reportFor);
    for (const resource of raw) checkOne(typeUrl, resource, reporter(typeUrl, resource, problems), options, routes);
  }
  checkListenersDisjoint(snapshot.listeners, (l) => reportFor(TypeUrl.Listener, l));
  checkReferences(snapshot, reportFor);
  return sortProblems(problems);
}

/** Stable order: by type, then resource name; problems of one resource keep the order they were found in. */
function sortProblems(problems: readonly ValidationProblem[]): ValidationProblem[] {
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
