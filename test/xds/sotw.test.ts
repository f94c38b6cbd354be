// State-of-the-world ADS conformance over real gRPC, on IPv4 and IPv6 loopback.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TypeUrl, makeSnapshot, snapshotVersion } from '../../src/xds/index.ts';
import type { XdsEventMap } from '../../src/xds/index.ts';
import { LOOPBACKS, cluster, endpoints, listener, node, route, serveForSuite, world } from './fixtures.ts';
import { openSotw, sotwMessages, sotwNames } from './raw-client.ts';
import type { RawStream, SotwResponse } from './raw-client.ts';

/** How long "nothing more arrives" is watched for: bounded, and long enough for a loopback round trip. */
const QUIET_MS = 400;

function ack(s: RawStream<SotwResponse>, r: SotwResponse, names: string[] = []): void {
  s.send({ type_url: r.type_url, version_info: r.version_info, response_nonce: r.nonce, resource_names: names });
}

for (const family of LOOPBACKS) {
  describe(`SotW ADS on ${family}`, () => {
    const suite = serveForSuite(family, openSotw);
    const connect = (): RawStream<SotwResponse> => suite.connect();

    test('a wildcard CDS subscription gets every cluster with the type version, and an ACK gets nothing more', async () => {
      const snap = world(3);
      suite.run.cache.setSnapshot('wild', snap);
      const s = connect();
      s.send({ node: node('wild'), type_url: TypeUrl.Cluster });
      const r = await s.next();
      assert.deepEqual(sotwNames(r), ['c0', 'c1', 'c2']);
      assert.equal(r.version_info, snapshotVersion(snap, TypeUrl.Cluster));
      assert.notEqual(r.nonce, '');
      ack(s, r);
      assert.equal(await s.maybeNext(QUIET_MS), undefined);
    });

    test('named EDS and named LDS subscriptions get only the requested names that exist', async () => {
      suite.run.cache.setSnapshot('named', world(3));
      const s = connect();
      s.send({ node: node('named'), type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['c2', 'c0', 'missing'] });
      assert.deepEqual(sotwNames(await s.next()), ['c0', 'c2']);
      s.send({ type_url: TypeUrl.Listener, resource_names: ['l1'] });
      assert.deepEqual(sotwNames(await s.next()), ['l1']);
    });

    test('a NACK keeps the accepted version, is not answered by a resend, and a newer snapshot is sent', async () => {
      const nacks: XdsEventMap['nack'][] = [];
      const off = suite.run.server.events.on('nack', (e) => nacks.push(e));
      suite.run.cache.setSnapshot('nack', world(1, 0));
      const s = connect();
      s.send({ node: node('nack'), type_url: TypeUrl.Cluster });
      const first = await s.next();
      ack(s, first);
      suite.run.cache.setSnapshot('nack', makeSnapshot([cluster('c0', 5), endpoints('c0', ['10.0.0.1'])]));
      const rejected = await s.next();
      assert.notEqual(rejected.version_info, first.version_info);
      s.send({
        type_url: TypeUrl.Cluster,
        version_info: first.version_info,
        response_nonce: rejected.nonce,
        error_detail: { code: 3, message: 'bad timeout' },
      });
      assert.equal(await s.maybeNext(QUIET_MS), undefined, 'a NACK must not cause a resend');
      off();
      assert.equal(nacks.length, 1);
      assert.equal(nacks[0]?.error.message, 'bad timeout');
      assert.equal(nacks[0]?.acceptedVersion, first.version_info);
      const status = suite.run.server.streamsOfNode('nack')[0]?.status().find((t) => t.typeUrl === TypeUrl.Cluster);
      assert.equal(status?.ackedVersion, first.version_info);
      assert.equal(status?.lastError, 'bad timeout');
      suite.run.cache.setSnapshot('nack', makeSnapshot([cluster('c0', 7), endpoints('c0', ['10.0.0.1'])]));
      const fixed = await s.next();
      assert.deepEqual(sotwMessages(fixed)[0]?.['connect_timeout'], { seconds: 7 });
    });

    test('a request with a stale nonce is ignored, the current nonce is honoured', async () => {
      suite.run.cache.setSnapshot('stale', world(3));
      const s = connect();
      s.send({ node: node('stale'), type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['c0'] });
      const r = await s.next();
      s.send({ type_url: TypeUrl.ClusterLoadAssignment, response_nonce: 'not-a-nonce-we-sent', resource_names: ['c0', 'c1'] });
      assert.equal(await s.maybeNext(QUIET_MS), undefined, 'a stale request must not be answered');
      ack(s, r, ['c0']);
      assert.equal(await s.maybeNext(QUIET_MS), undefined, 'the stale request changed nothing, so the ACK owes nothing');
      ack(s, r, ['c0', 'c1']);
      assert.deepEqual(sotwNames(await s.next()), ['c1'], 'EDS in SotW carries only the newly subscribed name');
    });

    test('unsubscribing a route needs no response and stops its updates; resubscribing sends it again', async () => {
      suite.run.cache.setSnapshot('unsub', world(2));
      const s = connect();
      s.send({ node: node('unsub'), type_url: TypeUrl.RouteConfiguration, resource_names: ['r0', 'r1'] });
      const r = await s.next();
      assert.deepEqual(sotwNames(r), ['r0', 'r1']);
      ack(s, r, ['r0']);
      assert.equal(await s.maybeNext(QUIET_MS), undefined, 'RDS in SotW: an absent route is not a deletion, so nothing is owed');
      suite.run.cache.setSnapshot('unsub', makeSnapshot([route('r0', 'c0'), route('r1', 'other')]));
      assert.equal(await s.maybeNext(QUIET_MS), undefined, 'a change to an unsubscribed route must not be pushed');
      ack(s, r, ['r0', 'r1']);
      const again = await s.next();
      assert.deepEqual(sotwNames(again), ['r1'], 'the client dropped r1 when it unsubscribed, so it gets it again');
      assert.match(JSON.stringify(sotwMessages(again)[0]), /"cluster":"other"/, 'with its current content');
    });

    test('a listener removed from the snapshot is absent from the next LDS response', async () => {
      suite.run.cache.setSnapshot('removal', world(2));
      const s = connect();
      s.send({ node: node('removal'), type_url: TypeUrl.Listener });
      const r = await s.next();
      assert.deepEqual(sotwNames(r), ['l0', 'l1']);
      ack(s, r);
      suite.run.cache.setSnapshot('removal', makeSnapshot([listener('l0', 'r0'), route('r0', 'c0')]));
      const next = await s.next();
      assert.deepEqual(sotwNames(next), ['l0']);
      assert.notEqual(next.version_info, r.version_info);
    });

    test('a reconnect with the current version gets nothing, with an older version gets the current state', async () => {
      suite.run.cache.setSnapshot('re', world(2, 0));
      const a = connect();
      a.send({ node: node('re'), type_url: TypeUrl.Cluster });
      const old = await a.next();
      a.close();
      const b = connect();
      b.send({ node: node('re'), type_url: TypeUrl.Cluster, version_info: old.version_info });
      assert.equal(await b.maybeNext(QUIET_MS), undefined, 'the client already holds this version');
      suite.run.cache.setSnapshot('re', world(3, 0));
      const pushed = await b.next();
      assert.deepEqual(sotwNames(pushed), ['c0', 'c1', 'c2']);
      const c = connect();
      c.send({ node: node('re'), type_url: TypeUrl.Cluster, version_info: old.version_info, response_nonce: old.nonce });
      const current = await c.next();
      assert.equal(current.version_info, pushed.version_info);
    });

    test('types that change together are pushed in the order CDS, EDS, LDS, RDS', async () => {
      const s = connect();
      const types = [TypeUrl.RouteConfiguration, TypeUrl.Listener, TypeUrl.ClusterLoadAssignment, TypeUrl.Cluster];
      s.send({ node: node('order'), type_url: TypeUrl.RouteConfiguration, resource_names: ['r0'] });
      for (const t of types.slice(1)) s.send({ type_url: t, resource_names: t === TypeUrl.ClusterLoadAssignment ? ['c0'] : [] });
      await waitFor(() => (suite.run.server.streamsOfNode('order')[0]?.subscriptions().length ?? 0) === 4);
      suite.run.cache.setSnapshot('order', world(1, 0));
      const first = [await s.next(), await s.next(), await s.next(), await s.next()];
      assert.deepEqual(first.map((r) => r.type_url), [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration]);
      for (const r of first) ack(s, r, r.type_url === TypeUrl.ClusterLoadAssignment ? ['c0'] : r.type_url === TypeUrl.RouteConfiguration ? ['r0'] : []);
      await waitFor(() => suite.run.server.streamsOfNode('order')[0]?.status().every((t) => !t.pending) ?? false);
      suite.run.cache.setSnapshot('order', makeSnapshot([cluster('c0', 2), endpoints('c0', ['fd00::2']), listener('l0', 'r0', 1), route('r0', 'c0', 'x')]));
      const second = [await s.next(), await s.next(), await s.next(), await s.next()];
      assert.deepEqual(second.map((r) => r.type_url), [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration]);
    });

    test('two updates while a response is un-ACKed coalesce into one response with the latest state', async () => {
      suite.run.cache.setSnapshot('coalesce', world(1));
      const s = connect();
      s.send({ node: node('coalesce'), type_url: TypeUrl.Cluster });
      const r = await s.next();
      suite.run.cache.setSnapshot('coalesce', world(2));
      suite.run.cache.setSnapshot('coalesce', world(3));
      assert.equal(await s.maybeNext(QUIET_MS), undefined, 'nothing is sent while a response waits for its ACK');
      ack(s, r);
      const latest = await s.next();
      assert.deepEqual(sotwNames(latest), ['c0', 'c1', 'c2']);
      ack(s, latest);
      assert.equal(await s.maybeNext(QUIET_MS), undefined);
    });

    test('a snapshot that changes only endpoints sends only EDS, and later requests may omit the node', async () => {
      suite.run.cache.setSnapshot('partial', world(1, 0));
      const s = connect();
      s.send({ node: node('partial'), type_url: TypeUrl.Cluster });
      const c = await s.next();
      ack(s, c);
      s.send({ type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['c0'] });
      const e = await s.next();
      assert.equal(e.type_url, TypeUrl.ClusterLoadAssignment);
      ack(s, e, ['c0']);
      suite.run.cache.setSnapshot('partial', world(1, 1));
      const pushed = await s.next();
      assert.equal(pushed.type_url, TypeUrl.ClusterLoadAssignment);
      assert.equal(await s.maybeNext(QUIET_MS), undefined, 'clusters did not change');
    });

    test('twin streams get different nonces, so one that never read its response cannot be ACKed with the other\'s', async () => {
      suite.run.cache.setSnapshot('twins', world(2));
      const reader = connect();
      const silent = connect();
      reader.send({ node: node('twins'), type_url: TypeUrl.Cluster });
      const r = await reader.next();
      silent.send({ node: node('twins'), type_url: TypeUrl.Cluster });
      await waitFor(() => suite.run.server.streamsOfNode('twins').length === 2 && suite.run.server.streamsOfNode('twins').every((i) => i.status()[0]?.pending === true));
      const ids = new Set(suite.run.server.streamsOfNode('twins').map((i) => i.id));
      const seen: XdsEventMap['request'][] = [];
      const off = suite.run.server.events.on('request', (e) => e.node.id === 'twins' && e.responseNonce === r.nonce && seen.push(e));
      ack(reader, r);
      ack(silent, r);
      await waitFor(() => seen.length === 2);
      off();
      assert.equal(new Set(seen.map((e) => e.streamId)).size, 2);
      for (const id of ids) {
        const status = suite.run.server.stream(id)?.status()[0];
        const isReader = status?.sentNonce === r.nonce;
        assert.equal(status?.pending, !isReader, `stream ${id}: only the reader is ACKed`);
        assert.equal(status?.ackedNonce, isReader ? r.nonce : '');
      }
      assert.equal(suite.run.server.streamsOfNode('twins').filter((i) => i.status()[0]?.pending === true).length, 1);
    });

    test('events report open, response, ACK and close with the node, and the stream lists its subscriptions', async () => {
      const seen: string[] = [];
      const offs = [
        suite.run.server.events.on('streamOpen', (e) => e.node.id === 'events' && seen.push(`open ${e.kind}`)),
        suite.run.server.events.on('response', (e) => e.node.id === 'events' && seen.push(`response ${e.resourceCount} ${e.bytes > 0}`)),
        suite.run.server.events.on('ack', (e) => e.node.id === 'events' && seen.push(`ack ${e.version !== ''}`)),
        suite.run.server.events.on('streamClose', (e) => e.node.id === 'events' && seen.push('close')),
      ];
      suite.run.cache.setSnapshot('events', world(2));
      const s = connect();
      s.send({ node: node('events'), type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['c1'] });
      const r = await s.next();
      ack(s, r, ['c1']);
      await waitFor(() => seen.includes('ack true'));
      const info = suite.run.server.streamsOfNode('events')[0];
      assert.deepEqual(info?.subscriptions(), [{ typeUrl: TypeUrl.ClusterLoadAssignment, wildcard: false, names: ['c1'] }]);
      assert.equal(info?.status()[0]?.ackedNonce, r.nonce);
      s.close();
      await waitFor(() => seen.includes('close'));
      for (const off of offs) off();
      assert.deepEqual(seen, ['open sotw', 'response 1 true', 'ack true', 'close']);
      assert.equal(suite.run.server.streamsOfNode('events').length, 0);
    });
  });
}

/** Polls a condition every 10 ms for at most 3 s. */
export async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
