import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { test } from 'node:test';
import { buildModel, createModelBuilder, indexModel, reindexModel } from '../../src/model/index.ts';
import type { MeshModel, ModelIndex, SourceObject } from '../../src/model/index.ts';
import { dualService, ep, node, pod, slice } from './fixtures.ts';
import { randomWalk } from './random-cluster.ts';

/** Hostnames whose services or endpoints differ between two models, found the slow way. */
function hostsThatDiffer(before: MeshModel, after: MeshModel): Set<string> {
  const hosts = new Set([...before.services, ...after.services].map((s) => s.hostname));
  for (const e of [...before.endpoints, ...after.endpoints]) hosts.add(e.service);
  const of = <T extends { readonly hostname?: string; readonly service?: string }>(list: readonly T[], host: string): T[] =>
    list.filter((x) => ('service' in x && typeof x.service === 'string' ? x.service : x.hostname) === host);
  return new Set(
    [...hosts].filter(
      (h) =>
        !isDeepStrictEqual(of(before.services, h), of(after.services, h)) ||
        !isDeepStrictEqual(of(before.endpoints, h), of(after.endpoints, h)),
    ),
  );
}

/** `namespace/name` of pods that differ between two models. */
function podsThatDiffer(before: MeshModel, after: MeshModel): Set<string> {
  const byKey = (m: MeshModel): Map<string, unknown> => new Map(m.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const a = byKey(before);
  const b = byKey(after);
  return new Set([...a.keys(), ...b.keys()].filter((k) => !isDeepStrictEqual(a.get(k), b.get(k))));
}

/** An index with its maps as entry lists, so map order counts too. */
function ordered(index: ModelIndex): Record<string, unknown> {
  return Object.fromEntries(Object.entries(index).map(([k, v]) => [k, v instanceof Map ? [...v.entries()] : v]));
}

for (const seed of [1, 2, 3, 4]) {
  test(`a builder fed a random walk of changes (seed ${seed}) matches buildModel, names what changed, reindexes alike`, () => {
    const builder = createModelBuilder();
    let previous: MeshModel | undefined;
    let index: ModelIndex | undefined;
    let step = 0;
    let precise = 0;
    for (const objects of randomWalk(seed, 150)) {
      const got = builder.update(objects);
      const want = buildModel(objects);
      assert.deepEqual({ model: got.model, problems: got.problems }, want, `step ${step}`);
      index = reindexModel(got.model, index, got.changedServices);
      assert.deepEqual(ordered(index), ordered(indexModel(want.model)), `index at step ${step}`);
      if (previous === undefined) assert.equal(got.changedServices, 'all');
      else if (got.changedServices !== 'all' && got.changedPods !== 'all') {
        assert.deepEqual(got.changedServices, hostsThatDiffer(previous, want.model), `changed services at step ${step}`);
        assert.deepEqual(got.changedPods, podsThatDiffer(previous, want.model), `changed pods at step ${step}`);
        precise++;
      }
      previous = got.model;
      step++;
    }
    assert.ok(precise > 100, `only ${precise} steps reported precise changes`);
  });
}

const BASE: readonly SourceObject[] = [
  dualService('shop', 'web', ['10.96.0.10', 'fd00:10:96::a']),
  dualService('shop', 'api', ['10.96.0.11']),
  node('n1', 'eu', 'eu-1a'),
  pod('shop', 'web-1', ['10.244.0.5', 'fd00:10:244::5'], { node: 'n1' }),
  pod('shop', 'api-1', ['10.244.0.6'], { node: 'n1' }),
  slice('shop', 'web-v4', 'web', 'IPv4', [ep('10.244.0.5', { pod: 'web-1' })]),
  slice('shop', 'web-v6', 'web', 'IPv6', [ep('fd00:10:244::5', { pod: 'web-1' })]),
  slice('shop', 'api-v4', 'api', 'IPv4', [ep('10.244.0.6', { pod: 'api-1' })]),
];

test('after a slice change only that service is reported changed, and unchanged lists keep their identity', () => {
  const builder = createModelBuilder();
  const first = builder.update(BASE);
  const flipped = slice('shop', 'api-v4', 'api', 'IPv4', [ep('10.244.0.6', { pod: 'api-1', conditions: { ready: false } })]);
  const second = builder.update(BASE.map((o) => (o.key.name === 'api-v4' ? flipped : o)));
  assert.deepEqual(second.changedServices, new Set(['api.shop.svc.cluster.local']));
  assert.deepEqual(second.changedPods, new Set());
  assert.equal(second.model.endpoints.find((e) => e.service.startsWith('api.'))?.ready, false);
  assert.equal(second.model.services, first.model.services, 'services list reused');
  assert.equal(second.model.pods, first.model.pods, 'pods list reused');
  const web = (m: MeshModel): unknown => m.endpoints.find((e) => e.service.startsWith('web.'));
  assert.equal(web(second.model), web(first.model), 'untouched endpoints keep their identity');
  const before = indexModel(first.model);
  const after = reindexModel(second.model, before, second.changedServices);
  const WEB = 'web.shop.svc.cluster.local';
  assert.equal(after.endpointsByService.get(WEB), before.endpointsByService.get(WEB), 'unchanged service: list reused');
  assert.equal(after.endpointsByServicePort.get(`${WEB}|80`), before.endpointsByServicePort.get(`${WEB}|80`));
  assert.equal(after.endpointsByService.get('api.shop.svc.cluster.local')?.[0]?.ready, false);
});

test('the same objects again change nothing; a new instance with the same content changes nothing either', () => {
  const builder = createModelBuilder();
  const first = builder.update(BASE);
  const again = builder.update(BASE);
  assert.equal(again.model, first.model);
  assert.deepEqual(again.changedServices, new Set());
  const copies = BASE.map((o) => ({ ...o, version: '2' }));
  const third = builder.update(copies);
  assert.deepEqual(third.changedServices, new Set());
  assert.deepEqual(third.changedPods, new Set());
  assert.deepEqual(third.model, first.model);
});

test('a pod relabelled changes its pod and the endpoints of the services it backs, not the others', () => {
  const builder = createModelBuilder();
  builder.update(BASE);
  const relabelled = pod('shop', 'web-1', ['10.244.0.5', 'fd00:10:244::5'], { node: 'n1', labels: { app: 'web', v: '2' } });
  const result = builder.update(BASE.map((o) => (o.key.kind === 'Pod' && o.key.name === 'web-1' ? relabelled : o)));
  assert.deepEqual(result.changedPods, new Set(['shop/web-1']));
  assert.deepEqual(result.changedServices, new Set(['web.shop.svc.cluster.local']));
  assert.deepEqual(result.model.endpoints.find((e) => e.pod?.name === 'web-1')?.labels, { app: 'web', v: '2' });
});

test('a node moving to another zone changes the locality of its pods and of their endpoints', () => {
  const builder = createModelBuilder();
  builder.update(BASE);
  const moved = BASE.map((o) => (o.key.kind === 'Node' ? node('n1', 'eu', 'eu-1b') : o));
  const result = builder.update(moved);
  assert.deepEqual(result.changedPods, new Set(['shop/api-1', 'shop/web-1']));
  assert.deepEqual(result.changedServices, new Set(['api.shop.svc.cluster.local', 'web.shop.svc.cluster.local']));
  assert.ok(result.model.endpoints.every((e) => e.locality.zone === 'eu-1b'));
  assert.deepEqual(result.model, buildModel(moved).model);
});
