// SnapshotBuilder is the one way snapshots are made: interning by content, `makeSnapshot` as its simplest use, and
// publishing only what `consistent()` accepts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SnapshotBuilder, SnapshotCache, TypeUrl, consistent, makeSnapshot, sameSnapshot } from '../../src/xds/index.ts';
import { cluster, endpoints, listener, route, world } from './fixtures.ts';

test('identical plain resources are encoded once and equal sets share one snapshot type', () => {
  const shared = new SnapshotBuilder();
  const plain = () => ({ name: 'c1', type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } });
  const a = shared.resource(TypeUrl.Cluster, plain());
  const b = shared.resource(TypeUrl.Cluster, plain());
  assert.equal(a, b, 'the same encoded object');
  const other = shared.resource(TypeUrl.Cluster, { ...plain(), name: 'c2' });
  assert.notEqual(other, a);
  assert.deepEqual(shared.stats(), { hits: 1, misses: 2, alive: 2 });
  const s1 = shared.snapshot([a, other], [TypeUrl.Cluster, TypeUrl.Listener]);
  const s2 = shared.snapshot([other, b], [TypeUrl.Cluster, TypeUrl.Listener]);
  assert.equal(s1.types.get(TypeUrl.Cluster), s2.types.get(TypeUrl.Cluster));
  assert.equal(s1.types.get(TypeUrl.Listener)?.resources.size, 0);
  assert.ok(sameSnapshot(s1, s2));
  assert.ok(!sameSnapshot(s1, shared.snapshot([a], [TypeUrl.Cluster, TypeUrl.Listener])));
  assert.throws(() => shared.snapshot([a, b], [TypeUrl.Cluster]), /two .* named "c1"/);
  assert.throws(() => shared.resource(TypeUrl.Cluster, { name: 'x', bogus: 1 }), /unknown field bogus/);
});

test('makeSnapshot gives what a builder gives, and two builders share no encoded copy', () => {
  const rs = [cluster('b'), cluster('a'), endpoints('a', ['198.18.0.1']), listener('l', 'r'), route('r', 'a')];
  const made = makeSnapshot(rs);
  const built = new SnapshotBuilder().snapshot(rs);
  assert.deepEqual([...made.types.keys()], [...built.types.keys()]);
  for (const [url, type] of built.types) {
    assert.equal(made.types.get(url)?.version, type.version, url);
    assert.deepEqual([...(made.types.get(url)?.resources.keys() ?? [])], [...type.resources.keys()], url);
  }
  const plain = { name: 'x', type: 'STATIC' };
  assert.notEqual(new SnapshotBuilder().resource(TypeUrl.Cluster, plain), new SnapshotBuilder().resource(TypeUrl.Cluster, plain));
});

test('publish hands a consistent snapshot to the cache and keeps the last good one when consistent() objects', () => {
  const builder = new SnapshotBuilder();
  const cache = new SnapshotCache();
  const good = world(2);
  assert.deepEqual(builder.publish(cache, 'n', good), []);
  assert.equal(cache.getSnapshot('n'), good);
  const broken = builder.snapshot([cluster('c0'), listener('l0', 'r0')]);
  const problems = builder.publish(cache, 'n', broken);
  assert.deepEqual(problems.map((p) => p.resource), ['c0', 'l0']);
  assert.deepEqual(problems, consistent(broken), 'the same problems consistent() reports');
  assert.equal(cache.getSnapshot('n'), good, 'the last good snapshot stays');
  // Checked again by the identity of its interned types: the same answer for an equal snapshot from the same builder.
  assert.equal(builder.check(builder.snapshot([listener('l0', 'r0'), cluster('c0')])), problems);
});

test('new endpoints under the same names reuse the last check; a removed endpoint name is checked again', () => {
  const builder = new SnapshotBuilder();
  const dangling = (port: number, names: readonly string[]) =>
    builder.snapshot([cluster('c0'), cluster('c1'), listener('l0', 'r0'), ...names.map((n) => endpoints(n, ['198.18.0.1'], port))]);
  const problems = builder.check(dangling(8000, ['c0', 'c1']));
  assert.deepEqual(problems.map((p) => p.resource), ['l0']);
  assert.equal(builder.check(dangling(9000, ['c0', 'c1'])), problems, 'the remembered answer, not a new check');
  const fewer = builder.check(dangling(9000, ['c0']));
  assert.deepEqual(fewer.map((p) => p.resource), ['c1', 'l0']);
  assert.deepEqual(fewer, consistent(dangling(9000, ['c0'])));
});
