// `/ready` tells the truth: 503 with the reason while the source fails or stops applying or the last model build
// failed, 200 again once it recovers; `biplane_last_applied_seconds` says how long ago the state was last applied.
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { test } from 'node:test';
import type { SourceObject } from '../../src/model/index.ts';
import { startServer } from '../../src/server/pipeline.ts';
import type { ServerHandle } from '../../src/server/pipeline.ts';
import { FileSource } from '../../src/sources/files/index.ts';
import type { Source, SourceChange, SourceHealth } from '../../src/sources/types.ts';
import { Manifests, getText, poll } from '../e2e/harness.ts';

/** A source the test steers: its health, and whether reading its objects fails. */
class SteeredSource implements Source {
  state: SourceHealth = { ok: true };
  broken: string | undefined;
  readonly #listeners = new Set<(change: SourceChange) => void>();
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  objects(): readonly SourceObject[] {
    if (this.broken !== undefined) throw new Error(this.broken);
    return [];
  }
  problems(): [] {
    return [];
  }
  health(): SourceHealth {
    return this.state;
  }
  onChange(listener: (change: SourceChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  /** Announces a change, as a source does after applying one. */
  changed(): void {
    for (const l of this.#listeners) l({ upserted: [{ kind: 'Namespace', namespace: '', name: 'x' }], deleted: [] });
  }
}

async function start(source: Source): Promise<ServerHandle> {
  return startServer({ source, xdsAddresses: ['127.0.0.1:0'], adminAddress: '127.0.0.1:0', debounceMs: 10, debounceMaxMs: 50 });
}

/** Polls /ready until its status is `status`; returns the body. */
function readyIs(server: ServerHandle, status: number): Promise<string> {
  return poll(async () => {
    const r = await getText(server.adminAddress as string, '/ready');
    return r.status === status ? r.body : undefined;
  }, `/ready ${status}`);
}

function lastApplied(text: string): number | undefined {
  const m = /^biplane_last_applied_seconds (\S+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

test('a failing source turns /ready 503 with its reason, and 200 once it recovers', { timeout: 30_000 }, async (t) => {
  const source = new SteeredSource();
  const server = await start(source);
  t.after(() => server.stop());
  assert.equal(await readyIs(server, 200), 'ready\n');
  source.state = { ok: false, reason: 'watch of pods failed: connection refused' };
  const body = await readyIs(server, 503);
  assert.match(body, /^not ready: the source is not applying changes: watch of pods failed: connection refused/);
  source.state = { ok: true };
  await readyIs(server, 200);
});

test('a failed model build turns /ready 503 until a build succeeds, and the applied age keeps growing meanwhile', { timeout: 30_000 }, async (t) => {
  const source = new SteeredSource();
  const server = await start(source);
  t.after(() => server.stop());
  const admin = server.adminAddress as string;
  const first = lastApplied((await getText(admin, '/metrics')).body);
  assert.ok(first !== undefined && first >= 0, 'the metric is exported once a model was applied');
  source.broken = 'objects cannot be read';
  source.changed();
  assert.match(await readyIs(server, 503), /the last model build failed .*: objects cannot be read/);
  await new Promise((r) => setTimeout(r, 1100));
  const stale = lastApplied((await getText(admin, '/metrics')).body);
  assert.ok(stale !== undefined && stale >= 1, `nothing was applied for over a second: ${stale}`);
  source.broken = undefined;
  source.changed();
  await readyIs(server, 200);
});

test('a manifest folder that disappears makes /ready 503 naming it; re-created, 200', { timeout: 30_000 }, async (t) => {
  const manifests = await Manifests.create();
  const server = await start(new FileSource({ path: manifests.dir, debounceMs: 10 }));
  t.after(async () => {
    await server.stop();
    await manifests.remove();
  });
  await readyIs(server, 200);
  await rm(manifests.dir, { recursive: true, force: true });
  const body = await readyIs(server, 503);
  assert.ok(body.includes(manifests.dir) && body.includes('no such file or folder'), body);
  await mkdir(manifests.dir);
  await readyIs(server, 200);
});
