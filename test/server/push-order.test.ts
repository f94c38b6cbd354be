// The push queue inside the real server, with real gRPC clients: while a push to many proxies waits, a proxy that
// connects is served first and `/ready` is answered, and pushes skip the proxies a change did not touch. The queue's
// yields are held by the test (order and events only, no timing).
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { TypeUrl } from '../../src/xds/index.ts';
import { poll } from '../e2e/harness.ts';
import { sotwNames } from '../xds/raw-client.ts';
import type { RawStream, SotwResponse } from '../xds/raw-client.ts';
import { serveFolder } from './served-folder.ts';

function node(id: string, ip: string): object {
  const metadata = { NAMESPACE: 'e2e', INSTANCE_IPS: ip };
  return { id, metadata: { fields: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, { stringValue: v }])) } };
}

/** A yield the test holds: while held, the queue's next batch waits until `step` or `open`. */
class Gate {
  #held = false;
  readonly #waiting: (() => void)[] = [];

  readonly pause = (): Promise<void> =>
    this.#held ? new Promise<void>((resolve) => this.#waiting.push(resolve)) : new Promise<void>((resolve) => setImmediate(resolve));

  hold(): void {
    this.#held = true;
  }

  /** How many batches wait at the gate. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Lets one waiting batch through. */
  step(): void {
    this.#waiting.shift()?.();
  }

  open(): void {
    this.#held = false;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}

/** Subscribes to CDS, takes the first response and ACKs it. */
async function connect(stream: RawStream<SotwResponse>, id: string, ip: string): Promise<SotwResponse> {
  stream.send({ node: node(id, ip), type_url: TypeUrl.Cluster });
  const first = await stream.next();
  stream.send({ type_url: TypeUrl.Cluster, version_info: first.version_info, response_nonce: first.nonce });
  return first;
}

test('a proxy connecting while a push to many proxies waits is answered first, and /ready still answers', { timeout: 60_000 }, async (t) => {
  const gate = new Gate();
  const s = await serveFolder(t, { server: { push: { batch: 1, pause: gate.pause } } });
  const old = Array.from({ length: 12 }, (_, i) => ({ id: `sidecar~10.244.1.${i + 1}~old-${i}.e2e~e2e.svc.cluster.local`, ip: `10.244.1.${i + 1}`, stream: s.sotw() }));
  for (const c of old) await connect(c.stream, c.id, c.ip);
  await s.server.settled();

  const order: string[] = [];
  s.server.xds.events.on('response', (e) => void order.push(e.node.id));
  gate.hold();
  const builds = s.server.stats().builds;
  const file = path.join(s.manifests.dir, 'service.yaml');
  const svc = await readFile(file, 'utf8');
  await writeFile(file, svc.replace('"protocol": "TCP"\n   }', '"protocol": "TCP"\n   },\n   { "name": "http-admin", "port": 9901, "targetPort": 9901, "protocol": "TCP" }'));
  await poll(() => (s.server.stats().builds > builds && gate.waiting > 0 ? true : undefined), 'a rebuild whose push waits at the gate');
  assert.equal(s.server.stats().pushes.queued, old.length, 'every connected proxy waits for the push');

  const ready = await fetch(`http://127.0.0.1:${s.server.adminPort}/ready`);
  assert.equal(ready.status, 200, 'the admin server answers while the push waits');

  const fresh = s.sotw();
  const freshId = 'sidecar~10.244.2.1~new-0.e2e~e2e.svc.cluster.local';
  fresh.send({ node: node(freshId, '10.244.2.1'), type_url: TypeUrl.Cluster });
  await poll(() => (s.server.stats().pushes.queued === old.length + 1 ? true : undefined), 'the new connection queued');
  gate.step(); // exactly one batch (of one push) runs
  const first = await fresh.next();
  assert.ok(sotwNames(first).some((n) => n.includes('|9901|')), 'the newcomer gets the newest model');
  assert.deepEqual(order, [freshId], 'nothing else was pushed before the newcomer');
  assert.equal(s.server.stats().pushes.queued, old.length, 'the old proxies still wait');

  gate.open();
  for (const c of old) {
    const next = await c.stream.next();
    assert.ok(sotwNames(next).some((n) => n.includes('|9901|')), `${c.id} gets the new port`);
  }
  await s.server.settled();
  assert.equal(new Set(order).size, old.length + 1);
});

test('a change no connected proxy reads (a pod no service selects) rebuilds none of them and sends nothing', { timeout: 60_000 }, async (t) => {
  const s = await serveFolder(t);
  const streams = Array.from({ length: 4 }, (_, i) => ({ id: `sidecar~10.244.3.${i + 1}~c-${i}.e2e~e2e.svc.cluster.local`, ip: `10.244.3.${i + 1}`, stream: s.sotw() }));
  for (const c of streams) await connect(c.stream, c.id, c.ip);
  await s.server.settled();
  const before = s.server.stats();
  await s.manifests.writePod('lonely-0', ['10.244.9.9'], 9090, 'nobody-selects-this');
  await poll(() => (s.server.stats().builds > before.builds ? true : undefined), 'a rebuild');
  await s.server.settled();
  const after = s.server.stats().pushes;
  assert.equal(after.skipped - before.pushes.skipped, streams.length, 'every connected proxy was skipped');
  assert.equal(after.built, before.pushes.built, 'none was rebuilt');
  for (const c of streams) assert.equal(await c.stream.maybeNext(200), undefined, `${c.id} is sent nothing`);
});
