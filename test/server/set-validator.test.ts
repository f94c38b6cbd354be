// The server's fast validation path (SetValidator: per-array and per-object memos shared by a generation's proxies)
// must say exactly what validateResources says, on the validator's own fixtures and broken copies, on the demo and on
// a generated cluster with every pod as a proxy, including arrays broken while the rest stays shared.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { podProxyNode } from '../../src/model/index.ts';
import { buildModel, indexModel, parseProxy } from '../../src/model/index.ts';
import type { MeshModel, SourceObject } from '../../src/model/index.ts';
import { loadManifests } from '../../src/sources/files/index.ts';
import { TranslationCache, translate } from '../../src/translate/index.ts';
import type { EnvoyResources } from '../../src/translate/index.ts';
import { SetValidator, ValidationCache, validateResources, validateSet } from '../../src/validate/index.ts';
import type { ResourceSet, ValidateOptions } from '../../src/validate/index.ts';
import { generatedCluster } from '../support/generated-cluster.ts';
import { allSets } from '../validate/sets.ts';

const CLIENTS = ['envoy', 'grpc'] as const;

function modelOf(objects: readonly SourceObject[]): MeshModel {
  const { model: m, problems } = buildModel(objects);
  assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
  return m;
}

/** Every pod's sidecar resources, translated through one cache so proxies of a view share arrays and objects. */
function podResources(m: MeshModel): EnvoyResources[] {
  const index = indexModel(m);
  const cache = new TranslationCache();
  return m.pods
    .filter((p) => p.ips.length > 0)
    .map((pod) => {
      const { proxy, problems } = parseProxy(podProxyNode(pod, 'sidecar'), m);
      assert.ok(proxy, problems.map((p) => p.message).join('; '));
      return translate(index, proxy, { cache });
    });
}

/** Validates every set through one SetValidator (twice, so the second answer comes from its memos) and directly. */
function assertSame(sets: readonly ResourceSet[], options: ValidateOptions, label: string): number {
  const fast = new SetValidator(options);
  let found = 0;
  for (const round of [1, 2]) {
    sets.forEach((set, i) => {
      const expected = validateResources(set, options);
      assert.deepEqual(fast.validate(set), expected, `${label} #${i} round ${round}`);
      assert.deepEqual(fast.validateSet(set), validateSet(set, options), `${label} #${i} round ${round} (set rules)`);
      found += expected.length;
    });
  }
  return found;
}

/** The set without the first resource of `field` whose absence something else notices (a dangling reference). */
function dropReferenced(set: ResourceSet, field: 'endpoints' | 'clusters' | 'routes'): ResourceSet {
  for (let i = 0; i < set[field].length; i++) {
    const without = { ...set, [field]: set[field].filter((_, j) => j !== i) };
    if (validateSet(without).length > 0) return without;
  }
  assert.fail(`no ${field} resource is referred to`);
}

test('SetValidator equals validateResources on every fixture and golden, as is and broken', () => {
  const sets = allSets();
  for (const client of CLIENTS) {
    const found = assertSame(sets.map((s) => s.set), { client }, client);
    assert.ok(found > 0, 'the broken copies have problems');
  }
  // With the server's options: a shared content cache, no round trip.
  assertSame(sets.map((s) => s.set), { client: 'envoy', cache: new ValidationCache(), roundTrip: false }, 'cached');
});

test('SetValidator equals validateResources for every demo pod', async () => {
  const load = await loadManifests(path.join(import.meta.dirname, '../../examples/demo'));
  const sets = podResources(modelOf(load.objects));
  assert.ok(sets.length >= 4, 'the demo has pods');
  assert.equal(sets[0]?.endpoints, sets.find((s, i) => i > 0 && s.endpoints === sets[0]?.endpoints)?.endpoints, 'pods share arrays');
  assertSame(sets, { client: 'envoy' }, 'demo');
});

test('SetValidator equals validateResources on a generated cluster, with shared arrays broken in place of others', () => {
  const cluster = generatedCluster({ services: 12, podsPerService: 2 });
  const sets = podResources(modelOf(cluster.objects));
  const [first] = sets;
  assert.ok(first && first.endpoints.length > 0 && first.routes.length > 0 && first.clusters.length > 1);
  const broken: ResourceSet[] = [
    // An assignment gone from the shared EDS array: the EDS cluster that needs it dangles.
    dropReferenced(first, 'endpoints'),
    // A cluster gone: routes and listeners that name it dangle.
    dropReferenced(first, 'clusters'),
    // Two assignments of one name, and a listener twice (same name, same address).
    { ...first, endpoints: [...first.endpoints, ...first.endpoints.slice(0, 1)], listeners: [...first.listeners, ...first.listeners.slice(0, 1)] },
    // A route configuration gone: an RDS name dangles.
    dropReferenced(first, 'routes'),
  ];
  for (const set of broken) assert.ok(validateResources(set).length > 0, 'each broken set has a problem');
  const options: ValidateOptions = { client: 'envoy', cache: new ValidationCache(), roundTrip: false };
  // Healthy and broken sets interleaved, so broken ones meet memos the healthy ones filled and vice versa.
  const mixed = sets.flatMap((s, i) => (i < broken.length ? [s, broken[i] as ResourceSet] : [s]));
  const found = assertSame(mixed, options, 'generated');
  assert.ok(found > 0);
  const rules = new Set(broken.flatMap((s) => validateResources(s, options).map((p) => p.rule)));
  for (const rule of ['reference.eds_assignment', 'reference.cluster', 'resource.unique_name', 'listener.unique_address', 'reference.route_config']) {
    assert.ok(rules.has(rule), `a broken set trips ${rule}`);
  }
});
