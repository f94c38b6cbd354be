// Bounded per-stream state: node ids, metadata, type URLs, NACK errors and response sizes a client can make the server
// hold or send are capped; a client past a cap loses only its own stream, with a status saying which cap.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { TypeUrl, truncateText } from '../../src/xds/index.ts';
import type { XdsEventMap } from '../../src/xds/index.ts';
import { makeBig, node, start, world, stillServes } from './fixtures.ts';
import type { Running } from './fixtures.ts';
import { openDelta, openSotw, sotwNames } from './raw-client.ts';

/** Polls a condition every 10 ms for at most 3 s. */
async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error('condition not reached in time');
}

describe('per-stream bounds', () => {
  let run: Running;
  before(async () => {
    run = await start('127.0.0.1:0', { maxNamesPerStream: 10, streamLimits: { maxTypes: 3, maxResponseBytes: 4096 } });
    run.cache.setSnapshot('ok', world(2));
    run.cache.setSnapshot('big', makeBig(40));
  });
  after(async () => {
    await run.server.close();
  });


  test('a node id over 1 KiB ends the stream with INVALID_ARGUMENT, in SotW and delta', async () => {
    const s = openSotw(run.address);
    s.send({ node: node('x'.repeat(1025)), type_url: TypeUrl.Cluster });
    const d = openDelta(run.address);
    d.send({ node: node('é'.repeat(600)), type_url: TypeUrl.Cluster });
    const [ss, ds] = [await s.status(), await d.status()];
    s.close();
    d.close();
    assert.equal(ss.code, grpc.status.INVALID_ARGUMENT);
    assert.match(ss.details, /node\.id is 1025 bytes, more than the limit of 1024/);
    assert.equal(ds.code, grpc.status.INVALID_ARGUMENT);
    assert.match(ds.details, /node\.id is 1200 bytes/);
    await stillServes(run.address);
  });

  test('node metadata over 64 KiB ends the stream with INVALID_ARGUMENT; 1 KiB ids and small metadata are fine', async () => {
    const big = { id: 'meta', metadata: { fields: { BLOB: { stringValue: 'm'.repeat(70_000) } } } };
    const s = openSotw(run.address);
    s.send({ node: big, type_url: TypeUrl.Cluster });
    const status = await s.status();
    s.close();
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.match(status.details, /node\.metadata is \d+ bytes as JSON, more than the limit of 65536/);
    const id = 'y'.repeat(1024);
    run.cache.setSnapshot(id, world(1));
    const fine = openSotw(run.address);
    fine.send({ node: { id, metadata: { fields: { SMALL: { stringValue: 'ok' } } } }, type_url: TypeUrl.Cluster });
    assert.deepEqual(sotwNames(await fine.next()), ['c0']);
    fine.close();
  });

  test('a stream subscribing to more type URLs than the limit is refused, and unknown types never pile up', async () => {
    const s = openSotw(run.address);
    s.send({ node: node('ok'), type_url: TypeUrl.Cluster });
    await s.next();
    for (let i = 0; i < 3; i++) s.send({ type_url: `type.googleapis.com/made.up.Type${i}` });
    const status = await s.status();
    s.close();
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.match(status.details, /more than 3 type URLs/);
    await stillServes(run.address);
  });

  test('a type URL or resource name over 1 KiB ends the stream with INVALID_ARGUMENT', async () => {
    const s = openSotw(run.address);
    s.send({ node: node('ok'), type_url: `type.googleapis.com/${'t'.repeat(1100)}` });
    const d = openDelta(run.address);
    d.send({ node: node('ok'), type_url: TypeUrl.Cluster, resource_names_subscribe: ['fine', 'n'.repeat(2000)] });
    const [ss, ds] = [await s.status(), await d.status()];
    s.close();
    d.close();
    assert.equal(ss.code, grpc.status.INVALID_ARGUMENT);
    assert.match(ss.details, /type_url is 1120 bytes, more than the limit of 1024/);
    assert.equal(ds.code, grpc.status.INVALID_ARGUMENT);
    assert.match(ds.details, /a resource name is 2000 bytes/);
    await stillServes(run.address);
  });

  test('a NACK error of 100 KiB is kept and reported cut to 1 KiB', async () => {
    const nacks: XdsEventMap['nack'][] = [];
    const off = run.server.events.on('nack', (e) => e.node.id === 'nacker' && nacks.push(e));
    run.cache.setSnapshot('nacker', world(2));
    const s = openSotw(run.address);
    s.send({ node: node('nacker'), type_url: TypeUrl.Cluster });
    const r = await s.next();
    s.send({ type_url: TypeUrl.Cluster, response_nonce: r.nonce, error_detail: { code: 3, message: 'é'.repeat(50_000) } });
    await waitFor(() => nacks.length === 1);
    off();
    const message = nacks[0]?.error.message ?? '';
    assert.ok(Buffer.byteLength(message) <= 1024, `${Buffer.byteLength(message)} bytes`);
    assert.match(message, /^éé.* … \(100000 bytes, cut\)$/);
    const status = run.server.streamsOfNode('nacker')[0]?.status()[0];
    assert.equal(status?.lastError, message);
    s.close();
  });

  test('the name limit counts listener names too, such as a proxyless server’s on-demand listeners', async () => {
    const s = openSotw(run.address);
    const names = Array.from({ length: 11 }, (_, i) => `grpc/server?xds.resource.listening_address=0.0.0.0:${9000 + i}`);
    s.send({ node: node('ok'), type_url: TypeUrl.Listener, resource_names: names });
    const status = await s.status();
    s.close();
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.match(status.details, /11 resource names, more than the limit of 10/);
  });

  test('a response over the stream’s budget ends only that stream with RESOURCE_EXHAUSTED', async () => {
    const s = openSotw(run.address);
    s.send({ node: node('big'), type_url: TypeUrl.Cluster });
    const status = await s.status();
    s.close();
    assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(status.details, /Cluster response \(40 resources, \d+ bytes\) exceeds this stream's budget of 4096 bytes/);
    await stillServes(run.address);
  });
});

test('text is cut on a character boundary to the byte limit, saying how long it was', () => {
  assert.equal(truncateText('short', 1024), 'short');
  const cut = truncateText('€'.repeat(1000), 100);
  assert.ok(Buffer.byteLength(cut) <= 100);
  assert.ok(!cut.includes('\uFFFD'));
  assert.match(cut, /^€+ … \(3000 bytes, cut\)$/);
});

