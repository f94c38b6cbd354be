// Two XdsServers in one process share nothing: same node id, same resource names, different snapshots, and each
// server's streams see only their own server's responses, nonces and interned state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SnapshotBuilder, SnapshotCache, TypeUrl, XdsServer } from '../../src/xds/index.ts';
import type { Resource } from '../../src/xds/index.ts';
import { cluster, endpoints, node } from './fixtures.ts';
import { openDelta, openSotw, sotwMessages, sotwNames } from './raw-client.ts';
import type { RawStream, SotwResponse } from './raw-client.ts';

/** One server with its own cache and builder, serving node "n" two clusters whose endpoints are `address`. */
async function serverFor(address: string, port: number): Promise<{ server: XdsServer<SnapshotCache>; bound: string }> {
  const builder = new SnapshotBuilder();
  const cache = new SnapshotCache();
  const server = new XdsServer({ cache });
  const resources: Resource[] = ['c0', 'c1'].flatMap((name) => [cluster(name), endpoints(name, [address], port)]);
  assert.deepEqual(builder.publish(cache, 'n', builder.snapshot(resources)), []);
  const [bound] = await server.listen(['127.0.0.1:0']);
  return { server, bound: bound as string };
}

/** Subscribes a SotW stream to the named endpoints and returns its first response. */
async function endpointsOf(stream: RawStream<SotwResponse>, names: readonly string[]): Promise<SotwResponse> {
  stream.send({ node: node('n'), type_url: TypeUrl.ClusterLoadAssignment, resource_names: names });
  return stream.next();
}

test('two servers in one process never see each other’s responses, nonces or interned state', async (t) => {
  const a = await serverFor('198.18.0.1', 8001);
  t.after(() => a.server.close());
  const b = await serverFor('2001:db8::1', 9001);
  t.after(() => b.server.close());
  const streams: { close(): void }[] = [];
  t.after(() => streams.forEach((s) => s.close()));
  const open = (address: string): RawStream<SotwResponse> => {
    const s = openSotw(address);
    streams.push(s);
    return s;
  };

  const fromA = await endpointsOf(open(a.bound), ['c0', 'c1']);
  assert.deepEqual(sotwNames(fromA), ['c0', 'c1']);
  assert.match(JSON.stringify(sotwMessages(fromA)), /198\.18\.0\.1.*8001/);
  const aBefore = a.server.responses.stats();
  assert.ok(aBefore.nameSets >= 1 && aBefore.encoded >= 1, 'server A interned its subscription and encoded a response');

  // Server B: the same node id and names (and one more shape), its own content; A's state must not move.
  const streamB = open(b.bound);
  const fromB = await endpointsOf(streamB, ['c0', 'c1']);
  assert.deepEqual(sotwNames(fromB), ['c0', 'c1']);
  const textB = JSON.stringify(sotwMessages(fromB));
  assert.match(textB, /2001:db8::1.*9001/);
  assert.doesNotMatch(textB, /198\.18\.0\.1/);
  assert.notDeepEqual(fromB.version_info, fromA.version_info);
  assert.deepEqual(sotwNames(await endpointsOf(open(b.bound), ['c1'])), ['c1']);
  const delta = openDelta(b.bound);
  streams.push(delta);
  delta.send({ node: node('n'), type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: ['c0'] });
  await delta.next();
  assert.deepEqual(a.server.responses.stats(), aBefore, 'B’s subscriptions and responses left A’s interned state as it was');
  const bStats = b.server.responses.stats();
  assert.ok(bStats.encoded >= 3, `B encoded its own responses (${bStats.encoded}), none taken from A`);

  // A nonce of B's stream is stale on A: A's stream keeps waiting for the ACK of its own response.
  const acks: string[] = [];
  a.server.events.on('ack', (e) => acks.push(e.nonce));
  const streamA = open(a.bound);
  const first = await endpointsOf(streamA, ['c0']);
  streamA.send({ node: node('n'), type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['c0'], version_info: fromB.version_info, response_nonce: fromB.nonce });
  streamA.send({ node: node('n'), type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['c0'], version_info: first.version_info, response_nonce: first.nonce });
  for (let i = 0; i < 100 && acks.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(acks, [first.nonce], 'only A’s own nonce was taken as an ACK');
  assert.notEqual(first.nonce, fromB.nonce);
});
