import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stableJson, validateResource, validateResources, ValidationCache } from '../../src/validate/index.ts';
import { dualStack, Names, put, summary, Type } from './fixtures.ts';
import { allSets } from './sets.ts';

function size(set: ReturnType<typeof dualStack>): number {
  return set.listeners.length + set.clusters.length + set.routes.length + set.endpoints.length;
}

test('cached results equal uncached ones for every fixture and golden, broken or not, for both clients', () => {
  const cache = new ValidationCache();
  for (const { name, set } of allSets()) {
    for (const client of ['envoy', 'grpc'] as const) {
      const plain = validateResources(set, { client });
      assert.deepEqual(validateResources(set, { client, cache }), plain, `${name} ${client}, first (filling)`);
      assert.deepEqual(validateResources(structuredClone(set), { client, cache }), plain, `${name} ${client}, second (from the cache)`);
    }
  }
  assert.ok(cache.hits > 0);
});

test('a second validation of equal content is answered from the cache, one hit per resource', () => {
  const cache = new ValidationCache();
  validateResources(dualStack(), { cache });
  assert.equal(cache.misses, size(dualStack()));
  assert.equal(cache.hits, 0);
  validateResources(dualStack(), { cache });
  assert.equal(cache.hits, size(dualStack()));
  assert.equal(cache.misses, size(dualStack()));
});

test('a broken resource after a good one with the same name is validated again and caught', () => {
  const cache = new ValidationCache();
  assert.deepEqual(validateResources(dualStack(), { cache }), []);
  const set = dualStack();
  put(set.clusters[0]!, 'connect_timeout', { seconds: -1 });
  const misses = cache.misses;
  assert.deepEqual(summary(validateResources(set, { cache })), [`pgv.duration.gt ${Names.http} connect_timeout`]);
  assert.equal(cache.misses, misses + 1);
});

test('the client is part of the key: an Envoy-clean cluster is still checked for gRPC', () => {
  const cache = new ValidationCache();
  const cluster = dualStack().clusters[2]!;
  assert.deepEqual(validateResource(Type.Cluster, cluster, { cache }), []);
  assert.deepEqual(summary(validateResource(Type.Cluster, cluster, { client: 'grpc', cache })), [
    `grpc.cluster_type ${Names.passthrough} type`,
    `grpc.lb_policy ${Names.passthrough} lb_policy`,
  ]);
});

test('a caller key is used instead of hashing, and a key that cannot be computed skips the cache', () => {
  const cache = new ValidationCache();
  const seen: string[] = [];
  const keyOf = (typeUrl: string, r: object): string => {
    seen.push(typeUrl);
    return JSON.stringify(r);
  };
  validateResources(dualStack(), { cache, keyOf });
  assert.equal(seen.length, size(dualStack()));
  const broken = dualStack();
  put(broken.listeners[0]!, 'traffic_direction', 'OUTGOING');
  const failing = (): string => {
    throw new Error('no key');
  };
  assert.deepEqual(summary(validateResources(broken, { cache, keyOf: failing })), ['proto.enum 10.96.0.10_80 traffic_direction']);
  assert.equal(cache.size, size(dualStack()));
});

test('the cache stays within maxEntries and forgets the least recently used entry first', () => {
  const cache = new ValidationCache(3);
  const clusters = dualStack().clusters.slice(0, 4);
  for (const c of clusters) validateResource(Type.Cluster, c, { cache });
  assert.equal(cache.size, 3);
  validateResource(Type.Cluster, clusters[1]!, { cache }); // the oldest left, now the newest
  validateResource(Type.Cluster, clusters[0]!, { cache }); // evicted on the fourth insert: a miss, evicting clusters[2]
  const misses = cache.misses;
  validateResource(Type.Cluster, clusters[1]!, { cache });
  validateResource(Type.Cluster, clusters[3]!, { cache });
  assert.equal(cache.misses, misses);
  validateResource(Type.Cluster, clusters[2]!, { cache });
  assert.equal(cache.misses, misses + 1);
  assert.equal(cache.size, 3);
  assert.throws(() => new ValidationCache(0), /positive integer/);
});

test('problems served from the cache cannot be changed by a caller', () => {
  const cache = new ValidationCache();
  const cluster = dualStack().clusters[0]!;
  put(cluster, 'connect_timeout', { seconds: -1 });
  const first = validateResource(Type.Cluster, cluster, { cache });
  first.length = 0;
  const again = validateResource(Type.Cluster, cluster, { cache });
  assert.equal(again.length, 1);
  assert.throws(() => {
    (again[0] as { rule: string }).rule = 'x';
  }, TypeError);
});

test('the default content key ignores key order but tells apart what JSON would merge', () => {
  assert.equal(stableJson({ a: 1, b: [{ c: 'x', d: null }] }), stableJson({ b: [{ d: null, c: 'x' }], a: 1 }));
  assert.notEqual(stableJson({ a: Number.NaN }), stableJson({ a: null }));
  assert.notEqual(stableJson([undefined]), stableJson([null]));
  assert.notEqual(stableJson({ a: 1n }), stableJson({ a: 1 }));
  assert.notEqual(stableJson({ a: new Uint8Array([1]) }), stableJson({ a: { 0: 1 } }));
  assert.equal(stableJson({ a: undefined, b: 1 }), stableJson({ b: 1 }));
});
