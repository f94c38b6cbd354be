// `npm run fuzz -- --seed N --iterations N [--seconds S]`: one in-process `startServer` on a FileSource watching a
// temporary copy of examples/demo. Each step either writes a seeded mutation of the manifests live into the folder
// (bench/fuzz-mutate.ts) or sends hostile requests on a live stream (bench/fuzz-xds.ts). After each step: the
// server answers a fresh subscriber, the long-lived well-behaved stream is still open, memory stays under its bound,
// and every problem names a file in the folder and a line (or, for the path itself: unreadable, a link not
// followed, names it in its message). Every few steps
// the folder is healed and both clients must converge to the baseline. Stops after N steps or S seconds.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Problem } from '../src/model/types.ts';
import { startServer } from '../src/server/pipeline.ts';
import type { ServerHandle } from '../src/server/pipeline.ts';
import { FileSource } from '../src/sources/files/index.ts';
import type { ClientNode } from './ads-clients.ts';
import { mutate, rng } from './fuzz-mutate.ts';
import type { Folder, Rng } from './fuzz-mutate.ts';
import { HeldStream, freshState, hostile } from './fuzz-xds.ts';
import { divergence } from './soak-state.ts';
import type { Holdings } from './soak-state.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** What one run does; only `seed` and `iterations` are required. */
export interface FuzzOptions {
  readonly seed: number;
  readonly iterations: number;
  /** Stop after this long even if steps remain (default 120 s). */
  readonly seconds?: number;
  /** Heal the folder and check convergence every this many steps (default 5). */
  readonly healEvery?: number;
  /** Bound on the process's RSS (default 1536 MiB) and heap in use (default 768 MiB). */
  readonly maxRssMiB?: number;
  readonly maxHeapMiB?: number;
  /** A line per step (default: none). */
  readonly log?: (line: string) => void;
}

/** A run that held every rule. */
export interface FuzzSummary {
  readonly seed: number;
  readonly steps: number;
  readonly manifestSteps: number;
  readonly xdsSteps: number;
  readonly heals: number;
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly stoppedBy: 'iterations' | 'time';
}

/** A broken rule, with what is needed to replay it. */
export class FuzzViolation extends Error {
  constructor(readonly seed: number, readonly step: number, readonly action: string, detail: string) {
    super(`seed ${seed}, step ${step} (${action}): ${detail}`);
  }
}

/** The demo's dual-stack client pod: the well-behaved proxy whose configuration is checked. */
const CLIENT: ClientNode = { id: 'sidecar~10.244.3.10~client-dual.demo~demo.svc.cluster.local', metadata: { INSTANCE_IPS: '10.244.3.10,fd00:10:244:3::10' } };
const MIB = 1024 * 1024;

/** Problems that do not name a file inside the folder, or a line where one is due, as readable lines. */
export function unplacedProblems(problems: readonly Problem[], dir: string): string[] {
  const out: string[] = [];
  for (const p of problems) {
    const file = p.origin.file;
    const inside = file !== undefined && file.startsWith(`${dir}${path.sep}`);
    // A problem with the path itself (unreadable, a link not followed) names it in its message and has no line.
    const wholeFile = file !== undefined && p.message.includes(file);
    if (!inside) out.push(`no file in the folder: ${p.message.slice(0, 200)} (origin ${JSON.stringify(p.origin).slice(0, 200)})`);
    else if (!wholeFile && !(Number.isInteger(p.origin.line) && (p.origin.line as number) >= 1)) out.push(`no line: ${file}: ${p.message.slice(0, 200)}`);
  }
  return out;
}

/** Removes every file the fuzzer added and writes every original back. */
function heal(f: Folder): void {
  for (const name of readdirSync(f.dir)) if (!f.originals.has(name)) rmSync(path.join(f.dir, name), { force: true, recursive: true });
  for (const [name, text] of f.originals) writeFileSync(path.join(f.dir, name), text);
}

const same = (a: Holdings, b: Holdings): boolean => divergence(a, b, 'delta').length === 0 && divergence(b, a, 'delta').length === 0;

async function converged(target: string, baseline: Holdings, stream: HeldStream, ms: number): Promise<string | undefined> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    const fresh = await freshState(target, CLIENT);
    const held = divergence(stream.held, baseline, 'sotw');
    if (same(fresh, baseline) && held.length === 0) return undefined;
    last = same(fresh, baseline) ? `the long-lived stream: ${held.slice(0, 3).join('; ')}` : `a fresh subscriber: ${[...divergence(fresh, baseline, 'delta'), ...divergence(baseline, fresh, 'delta')].slice(0, 3).join('; ')}`;
    await new Promise((r) => setTimeout(r, 100));
  }
  return `no convergence to the baseline within ${ms} ms; ${last}`;
}

interface Run {
  readonly options: FuzzOptions;
  readonly folder: Folder;
  readonly source: FileSource;
  readonly server: ServerHandle;
  readonly target: string;
  readonly stream: HeldStream;
  readonly baseline: Holdings;
  readonly r: Rng;
}

/** One step: a mutation or a hostile burst, then the per-step checks. Returns what it did and whether it dirtied. */
async function step(run: Run, n: number, dirty: boolean): Promise<{ action: string; dirty: boolean; xds: boolean }> {
  const { r, folder, server, target } = run;
  const xds = r() < 0.4;
  let action: string;
  let keeps = true;
  if (xds) action = await hostile(target, r);
  else {
    const m = await mutate(folder, r, n);
    action = `${m.name}: ${m.file}`;
    keeps = m.keepsBaseline;
  }
  const fail = (detail: string): never => {
    throw new FuzzViolation(run.options.seed, n, action, detail);
  };
  await new Promise((res) => setTimeout(res, 120));
  await run.source.refresh();
  await server.settled();
  const fresh = await freshState(target, CLIENT).catch((err: Error) => fail(`server not serving: ${err.message}`));
  if (run.stream.ended !== undefined) fail(`the well-behaved stream ended: ${run.stream.ended}`);
  const nowDirty = dirty || !keeps;
  if (!nowDirty && !same(fresh, run.baseline)) {
    // A slow machine may leave a fresh subscriber's EDS or RDS late: only a difference that persists is a violation.
    const err = await converged(target, run.baseline, run.stream, 5000);
    if (err) fail(`configuration changed though it must not: ${err}`);
  }
  const unplaced = unplacedProblems(run.source.problems(), folder.dir);
  if (unplaced.length > 0) fail(`problem without file and line: ${unplaced[0]}`);
  const mem = process.memoryUsage();
  if (mem.rss > (run.options.maxRssMiB ?? 1536) * MIB) fail(`RSS ${Math.round(mem.rss / MIB)} MiB over the bound`);
  if (mem.heapUsed > (run.options.maxHeapMiB ?? 768) * MIB) fail(`heap ${Math.round(mem.heapUsed / MIB)} MiB over the bound`);
  return { action, dirty: nowDirty, xds };
}

/** Runs the fuzzer; resolves with a summary, rejects with a FuzzViolation naming the seed and step. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const started = Date.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'biplane-fuzz-'));
  const originals = new Map<string, string>();
  cpSync(path.join(root, 'examples/demo'), dir, { recursive: true, filter: (f) => !f.endsWith('.md') });
  for (const name of readdirSync(dir)) originals.set(name, readFileSync(path.join(dir, name), 'utf8'));
  const source = new FileSource({ path: dir, debounceMs: 20, removalGraceMs: 200 });
  const server = await startServer({ source, xdsAddresses: ['127.0.0.1:0'], adminAddress: false, debounceMs: 20, debounceMaxMs: 200 });
  const target = server.xdsAddresses[0] as string;
  const stream = new HeldStream(target, 'sotw', CLIENT);
  let peakRss = 0;
  const counts = { manifest: 0, xds: 0, heals: 0 };
  let steps = 0;
  try {
    const baseline = await freshState(target, CLIENT);
    const run: Run = { options, folder: { dir, originals }, source, server, target, stream, baseline, r: rng(options.seed) };
    let dirty = false;
    const healAndCheck = async (n: number, action: string): Promise<void> => {
      heal(run.folder);
      counts.heals++;
      const err = await converged(target, baseline, stream, 15_000);
      if (err) throw new FuzzViolation(options.seed, n, action, err);
      dirty = false;
    };
    for (; steps < options.iterations; steps++) {
      if (Date.now() - started > (options.seconds ?? 120) * 1000) break;
      const result = await step(run, steps, dirty);
      dirty = result.dirty;
      if (result.xds) counts.xds++;
      else counts.manifest++;
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      options.log?.(`step ${steps}: ${result.action}`);
      if ((steps + 1) % (options.healEvery ?? 5) === 0) await healAndCheck(steps, `heal after ${result.action}`);
    }
    await healAndCheck(steps, 'final heal');
  } finally {
    stream.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    seed: options.seed, steps, manifestSteps: counts.manifest, xdsSteps: counts.xds, heals: counts.heals,
    seconds: Math.round((Date.now() - started) / 100) / 10, peakRssMiB: Math.round(peakRss / MIB),
    stoppedBy: steps < options.iterations ? 'time' : 'iterations',
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: 'string' }, iterations: { type: 'string' }, seconds: { type: 'string' }, verbose: { type: 'boolean', default: false } }, strict: true });
  const seed = Number(values.seed ?? Date.now() % 1_000_000);
  const iterations = Number(values.iterations ?? 200);
  const seconds = Number(values.seconds ?? 120);
  if (![seed, iterations, seconds].every((n) => Number.isInteger(n) && n >= 0)) throw new Error('usage: npm run fuzz -- [--seed N] [--iterations N] [--seconds S] [--verbose]');
  process.stderr.write(`fuzz: seed ${seed}, up to ${iterations} steps or ${seconds} s\n`);
  try {
    const summary = await runFuzz({ seed, iterations, seconds, ...(values.verbose ? { log: (l: string) => process.stderr.write(`fuzz: ${l}\n`) } : {}) });
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } catch (err) {
    if (!(err instanceof FuzzViolation)) throw err;
    process.stderr.write(`fuzz: VIOLATION at ${err.message}\nfuzz: reproduce with: npm run fuzz -- --seed ${err.seed} --iterations ${err.step + 1}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((err: unknown) => {
    process.stderr.write(`fuzz: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
