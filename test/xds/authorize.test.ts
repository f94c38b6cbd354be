// The `authorize` hook of XdsServer: it sees each stream's first node and call before the stream handles anything;
// until it resolves nothing is sent and later requests wait, in order; its refusal's status ends the stream (a hook
// failing without a status ends it UNAVAILABLE), and a refused stream never opens (no streamOpen event, no response).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { TypeUrl } from '../../src/xds/index.ts';
import type { CallContext, XdsNode } from '../../src/xds/index.ts';
import { node, start, world } from './fixtures.ts';
import type { Running } from './fixtures.ts';
import { openDelta, openSotw, sotwNames } from './raw-client.ts';

describe('the authorize hook', () => {
  let run: Running;
  const seen: { node: string; peer: string }[] = [];
  const opened: string[] = [];
  let release: (() => void) | undefined;
  before(async () => {
    const authorize = async (n: XdsNode, call: CallContext): Promise<unknown> => {
      seen.push({ node: n.id, peer: call.getPeer() });
      if (n.id === 'denied') throw Object.assign(new Error('not yours'), { code: grpc.status.PERMISSION_DENIED });
      if (n.id === 'broken') throw new Error('review service down');
      if (n.id === 'slow') await new Promise<void>((resolve) => (release = resolve));
      return { principal: n.id };
    };
    run = await start('127.0.0.1:0', { authorize });
    for (const id of ['allowed', 'denied', 'broken', 'slow']) run.cache.setSnapshot(id, world(2));
    run.server.events.on('streamOpen', (e) => opened.push(e.node.id));
  });
  after(async () => {
    await run.server.close();
  });

  test('an allowed node is served, and the hook saw its node and peer', async () => {
    const s = openSotw(run.address);
    try {
      s.send({ node: node('allowed'), type_url: TypeUrl.Cluster });
      assert.deepEqual(sotwNames(await s.next()), ['c0', 'c1']);
      const entry = seen.find((e) => e.node === 'allowed');
      assert.match(entry?.peer ?? '', /^(ipv4:)?127\.0\.0\.1:\d+$/);
      const stream = run.server.streamsOfNode('allowed')[0];
      assert.ok(stream);
      assert.deepEqual(run.server.principal(stream.id), { principal: 'allowed' }, 'what the hook resolved to is kept');
    } finally {
      s.close();
    }
  });

  test('a refusal with a status ends SotW and delta streams with it, before any response or streamOpen', async () => {
    const s = openSotw(run.address);
    const d = openDelta(run.address);
    s.send({ node: node('denied'), type_url: TypeUrl.Cluster });
    d.send({ node: node('denied'), type_url: TypeUrl.Cluster });
    await assert.rejects(s.next(), /stream ended: 7 not yours/);
    await assert.rejects(d.next(), /stream ended: 7 not yours/);
    s.close();
    d.close();
    assert.ok(!opened.includes('denied'));
  });

  test('a hook failing without a status ends the stream UNAVAILABLE', async () => {
    const s = openSotw(run.address);
    s.send({ node: node('broken'), type_url: TypeUrl.Cluster });
    const status = await s.status();
    s.close();
    assert.equal(status.code, grpc.status.UNAVAILABLE);
    assert.match(status.details, /authorization failed: review service down/);
  });

  test('nothing is sent while the hook runs; requests sent meanwhile are handled afterwards, in order', async () => {
    const s = openSotw(run.address);
    try {
      s.send({ node: node('slow'), type_url: TypeUrl.Cluster });
      s.send({ type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['c0'] });
      assert.equal(await s.maybeNext(300), undefined);
      assert.ok(!opened.includes('slow'));
      release?.();
      const first = await s.next();
      assert.equal(first.type_url, TypeUrl.Cluster);
      assert.ok(opened.includes('slow'));
    } finally {
      s.close();
    }
  });

  test('a first request without a node is refused by the stream itself, without asking the hook', async () => {
    const before = seen.length;
    const s = openSotw(run.address);
    s.send({ type_url: TypeUrl.Cluster });
    const status = await s.status();
    s.close();
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(seen.length, before);
  });
});

describe('requests waiting for the authorize hook', () => {
  let run: Running;
  before(async () => {
    run = await start('127.0.0.1:0', { authorize: () => new Promise(() => undefined) });
  });
  after(async () => {
    await run.server.close(100);
  });

  test('are bounded: a client that keeps sending while its authorization is pending loses its stream with RESOURCE_EXHAUSTED', async () => {
    const s = openSotw(run.address);
    s.send({ node: node('pending'), type_url: TypeUrl.Cluster });
    for (let i = 0; i < 20; i++) s.send({ type_url: `type.example/t${i}` });
    const status = await s.status();
    s.close();
    assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(status.details, /before the stream was authorized/);
  });
});
