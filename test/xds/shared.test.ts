// Without the network: SotW streams share one encoded response Buffer, and a delta stream's record of what its client
// holds is a shared snapshot type plus a few differences.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SnapshotCache, TypeUrl, XdsEvents, decodeMessage, makeSnapshot } from '../../src/xds/index.ts';
import { ABSENT, HeldVersions } from '../../src/xds/client-holdings.ts';
import { encodeMessage } from '../../src/envoy-api/protos.ts';
import { encodeSotwResponse, framedNonce, withNonce } from '../../src/xds/codec.ts';
import { DeltaStream } from '../../src/xds/delta.ts';
import { SharedResponses } from '../../src/xds/shared-response.ts';
import { SotwStream } from '../../src/xds/sotw.ts';
import type { StreamIo } from '../../src/xds/stream.ts';
import { cluster, endpoints, world } from './fixtures.ts';

const REQUEST = 'envoy.service.discovery.v3.DiscoveryRequest';
const DELTA = 'envoy.service.discovery.v3.DeltaDiscoveryRequest';
const DELTA_RES = 'envoy.service.discovery.v3.DeltaDiscoveryResponse';

/** Streams on one cache stand for one server's streams: they share that server's responses. */
const servers = new WeakMap<SnapshotCache, SharedResponses>();

function io(id: number, cache: SnapshotCache, sent: Buffer[], nonces: string[] = []): StreamIo {
  let shared = servers.get(cache);
  if (!shared) servers.set(cache, (shared = new SharedResponses()));
  return {
    id,
    peer: 'test',
    cache,
    shared,
    events: new XdsEvents(),
    limits: { maxNames: 1000 },
    send: (body, nonce) => {
      sent.push(body);
      nonces.push(nonce);
    },
    fail: (code, details) => assert.fail(`stream failed: ${code} ${details}`),
  };
}

function request(message: object): Buffer {
  return Buffer.from(encodeMessage(REQUEST, message));
}

test('SotW streams that need the same response share one encoded body, each with a nonce of its own', () => {
  const cache = new SnapshotCache();
  cache.setSnapshot('n', world(3));
  const sent: Buffer[][] = [[], [], []];
  const nonces: string[][] = [[], [], []];
  const streams = sent.map((out, i) => new SotwStream(io(i + 1, cache, out, nonces[i])));
  streams.forEach((s) => s.receive(request({ node: { id: 'n' }, type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['*'] })));
  const [a, b, c] = sent.map((out) => out[0]);
  assert.ok(a && b && c);
  assert.equal(a, b, 'one Buffer object for both');
  assert.equal(b, c);
  const first = nonces.map((n) => n[0] as string);
  assert.equal(new Set(first).size, 3, `three different nonces: ${first.join(', ')}`);
  const decoded = decodeMessage('envoy.service.discovery.v3.DiscoveryResponse', withNonce(a, first[0] as string));
  assert.equal((decoded['resources'] as unknown[]).length, 3);
  assert.equal(decoded['nonce'], first[0], 'the nonce appended to the shared body decodes as the response nonce');
  streams.forEach((s, i) => s.receive(request({ type_url: TypeUrl.ClusterLoadAssignment, response_nonce: first[i], resource_names: ['*'] })));
  cache.setSnapshot('n', makeSnapshot([cluster('c0'), endpoints('c0', ['10.9.9.9'])]));
  const changed = sent.map((out) => out[1]);
  assert.equal(changed[0], changed[2]);
  const next = decodeMessage('envoy.service.discovery.v3.DiscoveryResponse', changed[0] as Buffer);
  assert.equal((next['resources'] as unknown[]).length, 1, 'only the changed assignment');
  assert.notEqual(nonces[0]?.[1], first[0]);
  for (const s of streams) s.close();
});

test('a stream that never read its response cannot be ACKed with its twin\'s nonce', () => {
  const cache = new SnapshotCache();
  cache.setSnapshot('twin', world(2));
  const nonces: string[][] = [[], []];
  const [reader, silent] = nonces.map((n, i) => new SotwStream(io(i + 1, cache, [], n)));
  assert.ok(reader && silent);
  for (const s of [reader, silent]) s.receive(request({ node: { id: 'twin' }, type_url: TypeUrl.Cluster }));
  const twinNonce = nonces[0]?.[0] as string;
  assert.notEqual(nonces[1]?.[0], twinNonce);
  silent.receive(request({ type_url: TypeUrl.Cluster, version_info: silent.status()[0]?.sentVersion, response_nonce: twinNonce }));
  const status = silent.status()[0];
  assert.equal(status?.pending, true, 'still waiting for its own ACK');
  assert.equal(status?.ackedNonce, '');
  reader.receive(request({ type_url: TypeUrl.Cluster, version_info: reader.status()[0]?.sentVersion, response_nonce: twinNonce }));
  assert.equal(reader.status()[0]?.ackedNonce, twinNonce, 'the reader ACKs its own nonce');
  reader.close();
  silent.close();
});

test('a shared body gets each stream’s nonce written after it as grpc-js frames it, and stays unchanged itself', () => {
  const resources = [...(world(2).types.get(TypeUrl.Cluster)?.resources.values() ?? [])];
  const body = encodeSotwResponse({ versionInfo: 'v1', typeUrl: TypeUrl.Cluster, nonce: '', resources });
  const before = Buffer.from(body);
  const decode = (b: Buffer): Record<string, unknown> => decodeMessage('envoy.service.discovery.v3.DiscoveryResponse', b);
  const first = Buffer.from(framedNonce(body, '1.aaaaaaaa')); // grpc-js copies the view at once; so does the test
  const second = Buffer.from(framedNonce(body, '2.bbbbbbbb'));
  assert.equal(decode(first)['nonce'], '1.aaaaaaaa');
  assert.equal(decode(second)['nonce'], '2.bbbbbbbb');
  assert.equal(decode(second)['version_info'], 'v1');
  assert.equal((decode(second)['resources'] as unknown[]).length, 2);
  assert.deepEqual(body, before, 'the shared body is never written to');
  assert.equal(decode(body)['nonce'], '', 'the body alone has no nonce');
  assert.deepEqual(framedNonce(Buffer.from(body), 'x'.repeat(200)), withNonce(body, 'x'.repeat(200)), 'no room: a plain copy');
});

test('delta streams holding the same state share one encoded response; a diverged one gets its own', () => {
  const cache = new SnapshotCache();
  cache.setSnapshot('d', world(3));
  const sent: Buffer[][] = [[], [], []];
  const streams = sent.map((out, i) => new DeltaStream(io(i + 1, cache, out)));
  const subscribe = { node: { id: 'd' }, type_url: TypeUrl.Cluster };
  streams[0]?.receive(Buffer.from(encodeMessage(DELTA, subscribe)));
  streams[1]?.receive(Buffer.from(encodeMessage(DELTA, subscribe)));
  streams[2]?.receive(Buffer.from(encodeMessage(DELTA, { ...subscribe, initial_resource_versions: { c0: 'old' } })));
  assert.equal(sent[0]?.[0], sent[1]?.[0], 'one Buffer object for equal streams');
  assert.notEqual(sent[2]?.[0], sent[0]?.[0]);
  const names = (b: Buffer | undefined): string[] =>
    (decodeMessage(DELTA_RES, b as Buffer)['resources'] as { name: string }[]).map((r) => r.name);
  assert.deepEqual(names(sent[0]?.[0]), ['c0', 'c1', 'c2']);
  assert.deepEqual(names(sent[2]?.[0]), ['c0', 'c1', 'c2']);
  for (const s of streams) s.close();
});

test('delta streams that name the same resources keep one shared name set and share one encoded response', () => {
  const cache = new SnapshotCache();
  cache.setSnapshot('d', world(4));
  const sent: Buffer[][] = [[], [], []];
  const nonces: string[][] = [[], [], []];
  const streams = sent.map((out, i) => new DeltaStream(io(i + 1, cache, out, nonces[i])));
  const eds = TypeUrl.ClusterLoadAssignment;
  const subscribe = (s: DeltaStream | undefined, names: string[], extra: object = {}): void =>
    s?.receive(Buffer.from(encodeMessage(DELTA, { node: { id: 'd' }, type_url: eds, resource_names_subscribe: names, ...extra })));
  subscribe(streams[0], ['c2', 'c0', 'c1']);
  subscribe(streams[1], ['c0', 'c1', 'c2']);
  // The third names them over two requests (as Envoy adds names), ACKing the first response with the second.
  subscribe(streams[2], ['c1']);
  subscribe(streams[2], ['c2', 'c0'], { response_nonce: nonces[2]?.[0] });
  const names = streams.map((s) => s['types'].get(eds)?.names);
  assert.deepEqual([...(names[0] ?? [])].sort(), ['c0', 'c1', 'c2']);
  assert.equal(names[1], names[0], 'the same set object, not a per-stream copy');
  assert.equal(names[2], names[0], 'built over two requests, still the same set object');
  assert.equal(sent[1]?.[0], sent[0]?.[0], 'equal named subscriptions share one encoded Buffer');
  for (const s of streams) assert.equal(s['types'].get(eds)?.client.differences, 0, 'the client holds the shared base, no per-name copies');
  for (const s of streams) s.close();
});

test('held versions follow the base type, keep only differences, and narrow a wildcard by materializing', () => {
  const snap = world(3);
  const eds = snap.types.get(TypeUrl.ClusterLoadAssignment);
  assert.ok(eds);
  const held = new HeldVersions(new Map([['old', 'v1']]));
  assert.equal(held.get('old'), 'v1');
  held.rebase(eds, true, new Set(['missing']));
  assert.equal(held.differences, 0);
  assert.equal(held.get('c1'), eds.resources.get('c1')?.version);
  assert.equal(held.get('missing'), ABSENT, 'a subscribed name the type lacks was reported absent');
  assert.equal(held.get('old'), undefined, 'not in the type, so not held any more');
  held.set('c1', 'other');
  held.delete('c2');
  assert.equal(held.differences, 2);
  assert.deepEqual([...held.entries()].sort(), [['c0', eds.resources.get('c0')?.version], ['c1', 'other'], ['missing', ABSENT]]);
  held.retain(new Set(['c0', 'c1']));
  assert.deepEqual([...held.entries()].map(([n]) => n).sort(), ['c0', 'c1']);
  held.rebase(eds, false, new Set(['c2']));
  assert.deepEqual([...held.entries()].map(([n]) => n), ['c2']);
});
