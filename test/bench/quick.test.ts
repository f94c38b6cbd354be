// The benchmark's CI smoke: `bench/main.ts --quick` runs every scenario in a child process and each writes
// well-formed rows. Checks shapes and byte accounting only, never timings.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

type Row = Record<string, string | number | boolean | null>;

const dir = mkdtempSync(path.join(os.tmpdir(), 'biplane-bench-'));
let exitCode: number | null = null;
let output = '';

function rows(scenario: string): Row[] {
  const json = JSON.parse(readFileSync(path.join(dir, `${scenario}-latest.json`), 'utf8')) as { scenario: string; rows: Row[] };
  assert.equal(json.scenario, scenario);
  return json.rows;
}

function positive(row: Row, ...keys: string[]): void {
  for (const key of keys) {
    const value = row[key];
    assert.ok(typeof value === 'number' && Number.isFinite(value) && value > 0, `${key} = ${String(value)} in ${JSON.stringify(row)}`);
  }
}

describe('npm run bench -- --quick', () => {
  before(async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/main.ts', '--quick', '--out', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => child.kill(), 90_000);
    exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    clearTimeout(timer);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits cleanly and prints a table for every scenario', () => {
    assert.equal(exitCode, 0, output);
    for (const scenario of ['size', 'translate', 'push', 'churn', 'memory']) assert.match(output, new RegExp(`== ${scenario} \\(`));
  });

  it('size: dual proxies cost more than single and per-family more than shared, with a positive floor', () => {
    const dual = rows('size').filter((r) => r['mode'] === 'Dual' || r['mode'] === 'Dual6');
    assert.equal(dual.length, 2);
    for (const r of dual) {
      positive(r, 'single', 'shared', 'perFamily', 'floor', '(shared-single)/floor');
      assert.ok((r['shared'] as number) > (r['single'] as number));
      assert.ok((r['perFamily'] as number) > (r['shared'] as number));
      assert.ok((r['shared'] as number) - (r['single'] as number) >= (r['floor'] as number), 'no design sends less than the floor');
    }
  });

  it('translate: one row per proxy mode with times, allocations and a full cache hit rate', () => {
    const list = rows('translate');
    assert.deepEqual(list.map((r) => r['mode']), ['IPv4', 'IPv6', 'Dual', 'Dual6']);
    for (const r of list) {
      positive(r, 'resources', 'cold ms', 'cached ms', 'cold MiB', 'cold res/s');
      assert.equal(r['cache hit rate'], 1);
    }
  });

  it('push: our server and the floor server sent the same configuration', () => {
    const [r] = rows('push');
    assert.ok(r);
    positive(r, 'MiB sent', 'floor MiB', 'push ms', 'floor ms', 'push/floor');
    assert.equal(r['proxies'], 8);
  });

  it('churn: three changes for SotW and delta, through the bench pipeline and startServer, both incremental', () => {
    const list = rows('churn');
    assert.equal(list.length, 12);
    assert.deepEqual([...new Set(list.map((r) => r['via']))], ['bench', 'server']);
    for (const r of list) positive(r, 'affected', 'p50 ms', 'max ms', 'KiB sent');
    // SotW resends only the changed endpoint assignments, so a pod change costs a fraction of the full push.
    const [push] = rows('push');
    const fullKiB = (push?.['MiB sent'] as number) * 1024;
    for (const r of list.filter((x) => x['kind'] === 'sotw' && x['change'] !== 'service added')) {
      assert.ok((r['KiB sent'] as number) < fullKiB / 4, `${JSON.stringify(r)} vs full push ${fullKiB} KiB`);
    }
    // Delta sends about what incremental SotW sends for pods, and less for a new service (SotW resends all of LDS/CDS).
    for (const r of list.filter((x) => x['kind'] === 'delta')) {
      const ratio = r['bytes/sotw'];
      assert.ok(typeof ratio === 'number' && ratio > 0 && ratio < 2, JSON.stringify(r));
      if (r['change'] === 'service added') assert.ok(ratio < 1, JSON.stringify(r));
    }
  });

  it('memory: readings for SotW and delta streams', () => {
    const list = rows('memory');
    assert.deepEqual(list.map((r) => r['kind']), ['sotw', 'delta']);
    for (const r of list) positive(r, 'RSS MiB', 'heap MiB');
  });
});
