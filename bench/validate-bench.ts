// What validating one sidecar's snapshot costs: uncached (every resource walked, PGV-checked and round-tripped) and
// with a ValidationCache warmed by the first proxy of the same mode (what a server pays for the next alike proxy or
// an unchanged rebuild). Run: node --import tsx bench/validate-bench.ts [--services N] [--repeats R]
import { createHash } from 'node:crypto';
import { translate } from '../src/translate/index.ts';
import type { EnvoyResources } from '../src/translate/index.ts';
import * as validator from '../src/validate/index.ts';
import { median } from './measure.ts';
import { MODES, prepare } from './setup.ts';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i < 0 ? undefined : Number(process.argv[i + 1]);
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * The median wall time of `repeats` runs of `work` after two unmeasured warm-up runs. No forced GC between runs: a
 * full GC right before a run makes V8 re-warm the validator and protobufjs codecs (runs 2-5x slower), which is not
 * what a server that validates continuously sees.
 */
function timed(repeats: number, work: () => unknown): number {
  work();
  work();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    work();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

function count(set: EnvoyResources): number {
  return set.listeners.length + set.clusters.length + set.routes.length + set.endpoints.length;
}

const services = flag('services', 1000);
const repeats = flag('repeats', 5);
const p = prepare({ services, podsPerService: 10, proxiesPerMode: 2, stack: 'dual', seed: 1 });
// Older validators had no cache: the bench then times the uncached path only, so a before/after can be compared.
const api = validator as Record<string, unknown>;
const Cache = api['ValidationCache'] as (new (max?: number) => { readonly hits: number; readonly misses: number }) | undefined;
const validate = validator.validateResources as (set: EnvoyResources, options?: Record<string, unknown>) => readonly unknown[];

/** Content keys the way the server has them: SHA-256 of each resource's JSON, computed when it was encoded. */
function serverKeys(set: EnvoyResources): WeakMap<object, string> {
  const keys = new WeakMap<object, string>();
  for (const list of [set.listeners, set.clusters, set.routes, set.endpoints]) {
    for (const r of list) keys.set(r, createHash('sha256').update(JSON.stringify(r)).digest('base64url'));
  }
  return keys;
}

function cachedRun(a: EnvoyResources, b: EnvoyResources, keyed: boolean): { ms: number; hits: number; misses: number } {
  if (!Cache) return { ms: Number.NaN, hits: 0, misses: 0 };
  const cache = new Cache();
  const keysA = serverKeys(a);
  const keysB = serverKeys(b);
  const keyOf = (_t: string, r: object): string => keysA.get(r) ?? keysB.get(r) ?? '';
  const options = keyed ? { cache, keyOf } : { cache };
  validate(a, options);
  const [h0, m0] = [cache.hits, cache.misses];
  const ms = timed(repeats, () => validate(b, options));
  const runs = repeats + 2; // timed() warms up twice
  return { ms, hits: (cache.hits - h0) / runs, misses: (cache.misses - m0) / runs };
}

const columns = ['mode', 'resources', 'problems', 'uncached ms', 'no-roundtrip ms', 'cached ms', 'cached+keys ms', 'uncached/cached', 'uncached/cached+keys', 'hits', 'misses'];
console.log(`validate: ${services} services × 10 pods, dual stack, second proxy of each mode, median of ${repeats}`);
console.log(columns.join(' | '));
for (const mode of MODES) {
  const [first, second] = p.proxies.filter((x) => x.node.mode === mode);
  if (!first || !second) continue;
  const a = translate(p.index, first.proxy);
  const b = translate(p.index, second.proxy);
  const problems = validate(a).length;
  const uncached = timed(repeats, () => validate(b));
  const walkOnly = Cache ? timed(repeats, () => validate(b, { roundTrip: false })) : Number.NaN;
  const cached = cachedRun(a, b, false);
  const keyed = cachedRun(a, b, true);
  const row = [mode, count(b), problems, uncached.toFixed(1), walkOnly.toFixed(1), cached.ms.toFixed(2), keyed.ms.toFixed(2),
    (uncached / cached.ms).toFixed(1), (uncached / keyed.ms).toFixed(1), keyed.hits, keyed.misses];
  console.log(row.join(' | '));
}
