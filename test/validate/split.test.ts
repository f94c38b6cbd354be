import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateResource, validateResources, validateSet, type ResourceProblem } from '../../src/validate/index.ts';
import { grpcSet, Names, put, summary, Type } from './fixtures.ts';
import { allSets, goldenSets } from './sets.ts';

const TYPES = [Type.Listener, Type.RouteConfiguration, Type.Cluster, Type.ClusterLoadAssignment] as const;
const CROSS_RULES = /^(resource\.|reference\.|listener\.unique_address$|cluster\.http_passthrough_protocol$|grpc\.authority_domain$|grpc\.server_non_forwarding$)/;

function listOf(set: ReturnType<typeof allSets>[number]['set'], typeUrl: string): readonly object[] {
  if (typeUrl === Type.Listener) return set.listeners;
  if (typeUrl === Type.RouteConfiguration) return set.routes;
  if (typeUrl === Type.Cluster) return set.clusters;
  return set.endpoints;
}

/** The union written out independently: each resource's own problems in set order, then the set's, stably sorted. */
function union(own: readonly ResourceProblem[], cross: readonly ResourceProblem[]): ResourceProblem[] {
  const rank = (p: ResourceProblem): number => TYPES.indexOf(p.typeUrl as (typeof TYPES)[number]);
  return [...own, ...cross]
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || (a.p.resource < b.p.resource ? -1 : a.p.resource > b.p.resource ? 1 : 0) || a.i - b.i)
    .map((x) => x.p);
}

test('the goldens are all found, so the property below covers them', () => {
  const names = goldenSets().map((s) => s.name);
  assert.ok(names.includes('golden client-dual-ipv4-primary'), names.join(', '));
  assert.ok(goldenSets().every((s) => s.set.listeners.length > 0 && s.set.clusters.length > 0));
});

test('validateResources equals each resource\'s own problems plus the set\'s, in the same order, for every fixture and golden', () => {
  let own = 0;
  let cross = 0;
  for (const { name, set } of allSets()) {
    for (const options of [{}, { client: 'grpc' as const }, { roundTrip: false }]) {
      const mine = TYPES.flatMap((t) => listOf(set, t).flatMap((r) => validateResource(t, r, options)));
      const theirs = validateSet(set, options);
      own += mine.length;
      cross += theirs.length;
      assert.deepEqual(validateResources(set, options), union(mine, theirs), `${name} ${JSON.stringify(options)}`);
    }
  }
  assert.ok(own > 50 && cross > 50, `the property must see both kinds of problems (own ${own}, cross ${cross})`);
});

test('validateSet reports only rules that need more than one resource, and no problem twice', () => {
  for (const { name, set } of allSets()) {
    for (const options of [{}, { client: 'grpc' as const }]) {
      const cross = validateSet(set, options);
      for (const p of cross) assert.match(p.rule, CROSS_RULES, `${name}: ${p.rule} is a per-resource rule`);
      const own = new Set(TYPES.flatMap((t) => listOf(set, t).flatMap((r) => validateResource(t, r, options))).map((p) => JSON.stringify(p)));
      for (const p of cross) assert.ok(!own.has(JSON.stringify(p)), `${name}: ${p.rule} reported by both halves`);
    }
  }
});

test('a resource validated alone never reports a cross-resource rule', () => {
  for (const { set } of allSets()) {
    for (const t of TYPES) {
      for (const r of listOf(set, t)) {
        for (const p of validateResource(t, r, { client: 'grpc' })) assert.doesNotMatch(p.rule, CROSS_RULES);
      }
    }
  }
});

test('a gRPC client checks its authority against inline routes alone and against RDS routes only with the set', () => {
  const set = grpcSet();
  put(set.routes[0]!, 'virtual_hosts[0].domains', ['other.example']);
  const client = set.listeners[0]!;
  assert.deepEqual(validateResource(Type.Listener, client, { client: 'grpc' }), []);
  assert.deepEqual(summary(validateSet(set, { client: 'grpc' })), [`grpc.authority_domain ${Names.grpcRoute} (route configuration "${Names.grpcRoute}")`]);
  put(client, 'api_listener.api_listener.rds', undefined);
  put(client, 'api_listener.api_listener.route_config', structuredClone(set.routes[0]));
  assert.deepEqual(summary(validateResource(Type.Listener, client, { client: 'grpc' })), [`grpc.authority_domain ${Names.grpcRoute} api_listener.api_listener.route_config`]);
  assert.deepEqual(validateSet({ ...set, routes: [] }, { client: 'grpc' }), []);
});

test('a gRPC server route from RDS that forwards is a set problem, an inline one a resource problem', () => {
  const set = grpcSet();
  const server = set.listeners[1]!;
  const hcm = 'filter_chains[0].filters[0].typed_config';
  put(server, `${hcm}.route_config`, undefined);
  put(server, `${hcm}.rds`, { config_source: { ads: {} }, route_config_name: Names.grpcRoute });
  assert.deepEqual(validateResource(Type.Listener, server, { client: 'grpc' }), []);
  assert.deepEqual(summary(validateSet(set, { client: 'grpc' })), [`grpc.server_non_forwarding ${String(server['name'])} (route configuration "${Names.grpcRoute}").virtual_hosts[0].routes[0]`]);
});
