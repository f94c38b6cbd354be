// Resources, snapshots, consistency and the cache, without the network.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  SnapshotCache,
  TypeUrl,
  consistent,
  decodeMessage,
  makeResource,
  makeSnapshot,
  snapshotResources,
  snapshotVersion,
} from '../../src/xds/index.ts';
import type { Snapshot } from '../../src/xds/index.ts';
import { cluster, endpoints, listener, route, world } from './fixtures.ts';

test('equal content gives an equal version, different content a different one, and the bytes decode back', () => {
  const a = cluster('c0');
  const b = cluster('c0');
  const c = cluster('c0', 2);
  assert.notEqual(a, b);
  assert.equal(a.version, b.version);
  assert.notEqual(a.version, c.version);
  assert.match(a.version, /^[A-Za-z0-9_-]{16}$/);
  assert.equal(decodeMessage(TypeUrl.Cluster, a.bytes)['name'], 'c0');
});

test('a misspelled field is an error naming the type, the resource and the field path, also inside Any', () => {
  assert.throws(
    () => makeResource(TypeUrl.Cluster, { name: 'bad', connectTimeout: { seconds: 1 } }),
    /envoy\.config\.cluster\.v3\.Cluster "bad": unknown field connectTimeout/,
  );
  assert.throws(
    () =>
      makeResource(TypeUrl.Listener, {
        name: 'l',
        filter_chains: [{ filters: [{ name: 'tcp', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', clustr: 'x' } }] }],
      }),
    /unknown field filter_chains\[0\]\.filters\[0\]\.typed_config\.clustr/,
  );
  assert.throws(() => makeResource(TypeUrl.ClusterLoadAssignment, { endpoints: [] }), /has no name \(set "cluster_name"/);
  assert.throws(() => makeResource(TypeUrl.Cluster, { name: 'x', connect_timeout: 'soon' }), /Cluster "x": cannot encode/);
});

test('a snapshot groups by type, derives versions from content regardless of order, and takes given versions', () => {
  const rs = [cluster('b'), cluster('a'), endpoints('a', ['fd00::1'])];
  const one = makeSnapshot(rs);
  const two = makeSnapshot([...rs].reverse());
  assert.deepEqual([...snapshotResources(one, TypeUrl.Cluster).keys()], ['a', 'b']);
  assert.equal(snapshotVersion(one, TypeUrl.Cluster), snapshotVersion(two, TypeUrl.Cluster));
  assert.notEqual(snapshotVersion(one, TypeUrl.Cluster), snapshotVersion(makeSnapshot([cluster('a')]), TypeUrl.Cluster));
  assert.equal(snapshotResources(one, TypeUrl.Listener).size, 0, 'the four core types exist even when empty');
  assert.ok(one.types.has(TypeUrl.Listener));
  const given = makeSnapshot(rs, { versions: { [TypeUrl.Cluster]: 'v7' } });
  assert.equal(snapshotVersion(given, TypeUrl.Cluster), 'v7');
  assert.throws(() => makeSnapshot([cluster('a'), cluster('a', 3)]), /two .*Cluster resources are named "a"/);
});

test('consistent() lists every missing EDS service and RDS route, including api_listener ones', () => {
  assert.deepEqual(consistent(world(3)), []);
  const hcm = {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    rds: { route_config_name: 'grpc-route', config_source: { ads: {} } },
  };
  const named = makeResource(TypeUrl.Cluster, {
    name: 'outbound|80||a',
    type: 'EDS',
    eds_cluster_config: { service_name: 'a-eds', eds_config: { ads: {} } },
  });
  const snap = makeSnapshot([
    cluster('no-endpoints'),
    named,
    endpoints('outbound|80||a', ['10.0.0.1']),
    listener('l0', 'missing-route'),
    makeResource(TypeUrl.Listener, { name: 'svc:50051', api_listener: { api_listener: hcm } }),
    route('r0', 'x'),
  ]);
  assert.deepEqual(
    consistent(snap).map((p) => `${p.resource}: ${p.message}`),
    [
      'no-endpoints: EDS service "no-endpoints" has no ClusterLoadAssignment',
      'outbound|80||a: EDS service "a-eds" has no ClusterLoadAssignment',
      'l0: RDS route_config_name "missing-route" has no RouteConfiguration',
      'svc:50051: RDS route_config_name "grpc-route" has no RouteConfiguration',
    ],
  );
});

test('the cache notifies only the watchers of the node that changed, and clearing keeps watchers waiting', () => {
  const cache = new SnapshotCache();
  const seen: string[] = [];
  const offA = cache.watch('a', (s) => seen.push(`a ${snapshotResources(s, TypeUrl.Cluster).size}`));
  cache.watch('b', () => seen.push('b'));
  const snap: Snapshot = world(2);
  cache.setSnapshot('a', snap);
  cache.setSnapshot('a', snap);
  assert.deepEqual(seen, ['a 2'], 'the same snapshot object again notifies nobody');
  assert.equal(cache.getSnapshot('a'), snap);
  cache.clearSnapshot('a');
  assert.equal(cache.getSnapshot('a'), undefined);
  assert.equal(cache.watcherCount('a'), 1);
  offA();
  assert.equal(cache.watcherCount('a'), 0);
  cache.setSnapshot('a', world(1));
  assert.deepEqual(seen, ['a 2']);
  assert.deepEqual(cache.nodeIds(), ['a']);
});
