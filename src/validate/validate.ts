// The rules of one resource on its own (proto shape and round trip, PGV, its own semantic rules): `validateResource`,
// memoisable by content; and how problems are ordered and printed. The set rules are in set-rules.ts.
import { compareStrings } from '../compare-strings.ts';
import { TypeUrl } from '../envoy-api/protos.ts';
import { asObj, type Obj } from '../envoy-api/plain.ts';
import { contentKey } from './validation-cache.ts';
import { checkCluster } from './clusters.ts';
import { checkAssignment } from './endpoints.ts';
import { checkGrpcAssignment, checkGrpcCluster, checkGrpcListener } from './grpc.ts';
import { checkListener } from './listeners.ts';
import type { ResourceProblem } from '../envoy-api/problem.ts';
import { reporter, type Report, type ValidateOptions } from './problem.ts';
import { checkMessage } from './proto-walk.ts';
import { resourceType } from './proto-types.ts';
import { checkRoundTrip } from './roundtrip.ts';
import { checkRouteConfig } from './routes.ts';

const TYPE_ORDER: readonly string[] = [TypeUrl.Listener, TypeUrl.RouteConfiguration, TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment];

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

function uncached(typeUrl: string, resource: object, options: ValidateOptions): ResourceProblem[] {
  const problems: ResourceProblem[] = [];
  checkOne(typeUrl, resource, reporter(typeUrl, resource, problems), options);
  return problems;
}

/**
 * Every problem of one resource on its own, for the client in `options`: proto shape and round trip, PGV rules, its
 * own semantic rules (gRPC's too for client 'grpc'). With `options.cache`, answered from it when the content was
 * seen before; a key that cannot be computed (e.g. a cyclic object) just skips the cache.
 */
export function validateResource(typeUrl: string, resource: object, options: ValidateOptions = {}): ResourceProblem[] {
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

/** Stable order: by type, then resource name; problems of one resource keep the order they were found in. */
export function sortProblems(problems: readonly ResourceProblem[]): ResourceProblem[] {
  const rank = (p: ResourceProblem): number => {
    const i = TYPE_ORDER.indexOf(p.typeUrl);
    return i < 0 ? TYPE_ORDER.length : i;
  };
  return [...problems].sort((a, b) => rank(a) - rank(b) || compareStrings(a.resource, b.resource));
}

/** One line per problem, `Listener "name" path: message [rule]`, for logs, CLI output and test failures. */
export function formatProblems(problems: readonly ResourceProblem[]): string {
  return problems
    .map((p) => {
      const type = p.typeUrl.slice(p.typeUrl.lastIndexOf('.') + 1);
      const where = p.path === '' ? '' : ` ${p.path}`;
      return `${type} "${p.resource}"${where}: ${p.message} [${p.rule}]`;
    })
    .join('\n');
}
