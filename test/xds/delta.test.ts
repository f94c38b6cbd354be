// Incremental (delta) ADS conformance over real gRPC, on IPv4 and IPv6 loopback.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TypeUrl, makeSnapshot, snapshotResources } from '../../src/xds/index.ts';
import type { Snapshot } from '../../src/xds/index.ts';
import { LOOPBACKS, cluster, endpoints, node, serveForSuite, world } from './fixtures.ts';
import { deltaNames, openDelta } from './raw-client.ts';
import type { DeltaResponse, RawStream } from './raw-client.ts';

const QUIET_MS = 400;

function ack(s: RawStream<DeltaResponse>, r: DeltaResponse, extra: object = {}): void {
  s.send({ type_url: r.type_url, response_nonce: r.nonce, ...extra });
}

function versionOf(snap: Snapshot, typeUrl: string, name: string): string {
  const r = snapshotResources(snap, typeUrl).get(name);
  assert.ok(r, `${name} is in the snapshot`);
  return r.version;
}

for (const family of LOOPBACKS) {
  describe(`Delta ADS on ${family}`, () => {
    const suite = serveForSuite(family, openDelta);
    const connect = (): RawStream<DeltaResponse> => suite.connect();

    test('a wildcard subscription gets every resource with its own version, then only what changed or went away', async () => {
      const snap = world(3);
      suite.run.cache.setSnapshot('wild', snap);
      const s = connect();
      s.send({ node: node('wild'), type_url: TypeUrl.Cluster });
      const r = await s.next();
      assert.deepEqual(deltaNames(r).sort(), ['c0', 'c1', 'c2']);
      for (const res of r.resources) assert.equal(res.version, versionOf(snap, TypeUrl.Cluster, res.name));
      ack(s, r);
      assert.equal(await s.maybeNext(QUIET_MS), undefined);
      suite.run.cache.setSnapshot('wild', makeSnapshot([cluster('c0'), cluster('c1', 9), endpoints('c0', []), endpoints('c1', [])]));
      const changed = await s.next();
      assert.deepEqual(deltaNames(changed), ['c1']);
      assert.deepEqual(changed.removed_resources, ['c2']);
    });

    test('named subscribe and unsubscribe: only subscribed names travel, unsubscribed ones stop updating', async () => {
      suite.run.cache.setSnapshot('named', world(3, 0));
      const s = connect();
      s.send({ node: node('named'), type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: ['c0'] });
      const r0 = await s.next();
      assert.deepEqual(deltaNames(r0), ['c0']);
      ack(s, r0, { resource_names_subscribe: ['c1'] });
      const r1 = await s.next();
      assert.deepEqual(deltaNames(r1), ['c1'], 'c0 is not resent');
      ack(s, r1, { resource_names_unsubscribe: ['c0'] });
      assert.equal(await s.maybeNext(QUIET_MS), undefined, 'an unsubscribe needs no response');
      suite.run.cache.setSnapshot('named', world(3, 1));
      const r2 = await s.next();
      assert.deepEqual(deltaNames(r2), ['c1']);
      assert.deepEqual(r2.removed_resources, []);
    });

    test('initial_resource_versions on reconnect: what the client holds at the current version is not resent', async () => {
      const snap = world(3, 0);
      suite.run.cache.setSnapshot('reconnect', snap);
      const s = connect();
      s.send({
        node: node('reconnect'),
        type_url: TypeUrl.Cluster,
        initial_resource_versions: { c0: versionOf(snap, TypeUrl.Cluster, 'c0'), c1: 'old', gone: 'old' },
      });
      const r = await s.next();
      assert.deepEqual(deltaNames(r).sort(), ['c1', 'c2']);
      assert.deepEqual(r.removed_resources, ['gone']);
    });

    test('a NACK is not answered by a resend; a newer change is sent', async () => {
      suite.run.cache.setSnapshot('nack', world(1, 0));
      const s = connect();
      s.send({ node: node('nack'), type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: ['c0'] });
      const r = await s.next();
      ack(s, r);
      suite.run.cache.setSnapshot('nack', world(1, 1));
      const rejected = await s.next();
      ack(s, rejected, { error_detail: { code: 3, message: 'duplicate endpoint' } });
      assert.equal(await s.maybeNext(QUIET_MS), undefined, 'a NACK must not cause a resend');
      const status = suite.run.server.streamsOfNode('nack')[0]?.status()[0];
      assert.equal(status?.lastError, 'duplicate endpoint');
      assert.equal(status?.ackedNonce, r.nonce);
      suite.run.cache.setSnapshot('nack', world(1, 2));
      assert.deepEqual(deltaNames(await s.next()), ['c0']);
    });

    test('a subscription change with a stale nonce is honoured once the pending response is ACKed', async () => {
      suite.run.cache.setSnapshot('stale', world(3));
      const s = connect();
      s.send({ node: node('stale'), type_url: TypeUrl.RouteConfiguration, resource_names_subscribe: ['r0'] });
      const r = await s.next();
      s.send({ type_url: TypeUrl.RouteConfiguration, response_nonce: 'stale-nonce', resource_names_subscribe: ['r2'] });
      assert.equal(await s.maybeNext(QUIET_MS), undefined, 'at most one un-ACKed response per type');
      ack(s, r);
      assert.deepEqual(deltaNames(await s.next()), ['r2']);
    });

    test('a subscribed name that does not exist is reported in removed_resources once', async () => {
      suite.run.cache.setSnapshot('absent', world(1));
      const s = connect();
      s.send({ node: node('absent'), type_url: TypeUrl.RouteConfiguration, resource_names_subscribe: ['r0', 'nope'] });
      const r = await s.next();
      assert.deepEqual(deltaNames(r), ['r0']);
      assert.deepEqual(r.removed_resources, ['nope']);
      ack(s, r);
      suite.run.cache.setSnapshot('absent', world(1, 1));
      assert.equal(await s.maybeNext(QUIET_MS), undefined, 'routes did not change and "nope" was already reported');
    });

    test('two updates while un-ACKed coalesce into one response; push order is CDS, EDS, LDS, RDS', async () => {
      const s = connect();
      s.send({ node: node('order'), type_url: TypeUrl.RouteConfiguration, resource_names_subscribe: ['r0'] });
      s.send({ type_url: TypeUrl.Listener });
      s.send({ type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: ['c0'] });
      s.send({ type_url: TypeUrl.Cluster });
      const deadline = Date.now() + 3000;
      while ((suite.run.server.streamsOfNode('order')[0]?.subscriptions().length ?? 0) < 4 && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, 10));
      }
      suite.run.cache.setSnapshot('order', world(1, 0));
      const first = [await s.next(), await s.next(), await s.next(), await s.next()];
      assert.deepEqual(first.map((r) => r.type_url), [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration]);
      const eds = first[1] as DeltaResponse;
      suite.run.cache.setSnapshot('order', world(1, 1));
      suite.run.cache.setSnapshot('order', world(1, 2));
      assert.equal(await s.maybeNext(QUIET_MS), undefined);
      ack(s, eds);
      const latest = await s.next();
      assert.equal(latest.type_url, TypeUrl.ClusterLoadAssignment);
      assert.equal(latest.resources[0]?.version, versionOf(world(1, 2), TypeUrl.ClusterLoadAssignment, 'c0'));
    });
  });
}
