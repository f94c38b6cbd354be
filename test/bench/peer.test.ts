// The peer comparison's plumbing: the snapshot file the bench writes for a peer control plane reads back to the same
// snapshots, and (when Go is installed) the go-control-plane peer builds, loads it and serves one node's snapshot to
// one ADS client with biplane's resources (Go re-marshals them, so content is compared, not bytes). Go is only for
// the peer benchmark, so that part skips without it, under CI too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Snapshot } from '../../src/xds/snapshot.ts';
import { buildPeer, PeerProcess } from '../../bench/peer-process.ts';
import { readPeerSnapshots, writePeerSnapshots } from '../../bench/peer-snapshots.ts';
import { buildSteps, namesOf } from '../../bench/peer.ts';
import { openSotw } from '../xds/raw-client.ts';
import { decodeMessage } from '../../src/envoy-api/protos.ts';
import { toProto3Json } from '../../src/xds/proto3-json.ts';
import type { SotwResponse } from '../xds/raw-client.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'biplane-peer-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const shape = { services: 8, podsPerService: 2, proxiesPerMode: 2, stack: 'dual', seed: 3 } as const;

function sameSnapshot(got: Snapshot, want: Snapshot, where: string): void {
  assert.deepEqual([...got.types.keys()], [...want.types.keys()], where);
  for (const [url, type] of want.types) {
    const back = got.types.get(url);
    assert.equal(back?.version, type.version, `${where} ${url} version`);
    assert.deepEqual([...(back?.resources.keys() ?? [])], [...type.resources.keys()], `${where} ${url} names`);
    for (const [name, r] of type.resources) assert.deepEqual(Buffer.from(back?.resources.get(name)?.bytes ?? []), Buffer.from(r.bytes), `${where} ${name} bytes`);
  }
}

function nameOf(typeUrl: string, bytes: Uint8Array): string {
  const message = decodeMessage(typeUrl, bytes);
  return String(message['name'] ?? message['cluster_name']);
}

describe('the peer snapshot file', () => {
  it('reads back to the same snapshots for every node and step, each shared snapshot written once', () => {
    const { nodes, steps } = buildSteps(shape);
    const file = path.join(dir, 'round-trip.jsonl');
    const written = writePeerSnapshots(file, steps);
    const back = readPeerSnapshots(file);
    assert.equal(back.length, steps.length);
    assert.equal(steps.length, 4, 'the full push and three churn changes');
    steps.forEach((step, i) => {
      assert.equal(back[i]?.size, nodes.length);
      for (const [node, snap] of step) sameSnapshot(back[i]?.get(node) as Snapshot, snap, `step ${i} ${node}`);
    });
    assert.ok(written.snapshots <= steps.length * 4, `${written.snapshots} snapshots for ${steps.length} steps of 4 modes`);
    assert.ok(written.resources > 0);
  });
});

const go = spawnSync('go', ['version']);
const noGo = go.error || go.status !== 0 ? 'Go is not installed (only the go-control-plane peer benchmark needs it, so this skips under CI too)' : false;

describe('the go-control-plane peer', { skip: noGo }, () => {
  it('serves one node its snapshot over SotW ADS with biplane\'s versions and resources, and sees every ACK', { timeout: 600_000 }, async (t) => {
    const build = buildPeer('go-control-plane');
    assert.ok(build.ok, build.ok ? '' : build.reason);
    const { nodes, steps } = buildSteps(shape);
    const node = nodes.find((n) => n.mode === 'Dual');
    assert.ok(node);
    const snap = steps[0]?.get(node.id) as Snapshot;
    const file = path.join(dir, 'one-node.jsonl');
    writePeerSnapshots(file, [new Map([[node.id, snap]])]);
    const peer = new PeerProcess(build.binary, file);
    t.after(() => peer.stop());
    const target = await peer.listening(60_000);
    const names = namesOf([node], [new Map([[node.id, snap]])])[node.mode] ?? {};
    const stream = openSotw(target);
    t.after(() => stream.close());
    const node0 = { id: node.id, metadata: { fields: Object.fromEntries(Object.entries(node.metadata).map(([k, v]) => [k, { string_value: String(v) }])) } };
    const urls = [...snap.types.keys()];
    urls.forEach((url, i) => stream.send({ type_url: url, resource_names: names[url] ?? [], ...(i === 0 ? { node: node0 } : {}) }));
    for (let i = 0; Number((await peer.command('ready', 'ready'))['streams']) !== 1; i++) {
      assert.ok(i < 200, 'the peer never saw the stream ask for all four types');
      await new Promise((r) => setTimeout(r, 50));
    }
    const stepDone = peer.command('step 0', 'step', 60_000);
    const responses: SotwResponse[] = [];
    for (let i = 0; i < urls.length; i++) {
      const res = await stream.next(30_000);
      responses.push(res);
      stream.send({ type_url: res.type_url, version_info: res.version_info, response_nonce: res.nonce, resource_names: names[res.type_url] ?? [] });
    }
    const step = await stepDone;
    assert.equal(step['affected'], 1);
    assert.equal((step['latencies'] as number[]).length, 1, 'the peer saw the node ACK every type');
    assert.deepEqual(responses.map((r) => r.type_url).sort(), [...urls].sort());
    let identical = 0;
    for (const res of responses) {
      const type = snap.types.get(res.type_url);
      assert.equal(res.version_info, type?.version, `${res.type_url}: biplane's version`);
      assert.deepEqual(res.resources.map((a) => nameOf(a.type_url, a.value)).sort(), [...(type?.resources.keys() ?? [])].sort(), `${res.type_url}: every resource`);
      for (const any of res.resources) {
        const mine = type?.resources.get(nameOf(any.type_url, any.value));
        // go-control-plane re-marshals each message (Go's field order, zero values dropped), so the bytes are
        // compared as canonical proto3 JSON; byte-identical ones are counted.
        assert.deepEqual(toProto3Json(any.type_url, any.value), toProto3Json(any.type_url, mine?.bytes ?? new Uint8Array()), `${res.type_url}: resource content`);
        if (mine && Buffer.from(mine.bytes).equals(any.value)) identical++;
      }
    }
    t.diagnostic(`${identical} of ${snap.types.size > 0 ? [...snap.types.values()].reduce((n, x) => n + x.resources.size, 0) : 0} resources byte-identical`);
  });
});
