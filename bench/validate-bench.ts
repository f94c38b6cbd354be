// What validating one sidecar's snapshot costs: uncached (every resource walked, PGV-checked and round-tripped) and
// with a ValidationCache warmed by the first proxy of the same mode (what a server pays for the next alike proxy or
// an unchanged rebuild). Run: node --import tsx bench/validate-bench.ts [--services N] [--repeats R]
import { translate } from '../src/translate/index.ts';
import type { EnvoyResources } from '../src/translate/index.ts';
import * as validator from '../src/translate/validate/index.ts';
import { fullGc, median } from './measure.ts';
import { MODES, prepare } from './setup.ts';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i < 0 ? undefined : Number(process.argv[i + 1]);
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** The median wall time of `repeats` runs of `work`, each after a full GC. */
function timed(repeats: number, work: () => unknown): number {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    fullGc();
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
const Cache = (validator as Record<string, unknown>)['ValidationCache'] as
  | (new (max?: number) => { readonly hits: number; readonly misses: number })
  | undefined;

console.log(`validate: ${services} services × 10 pods, dual stack, median of ${repeats}`);
console.log('mode   resources  problems  uncached ms  cached ms  uncached/cached  cache hits  misses');
for (const mode of MODES) {
  const [first, second] = p.proxies.filter((x) => x.node.mode === mode);
  if (!first || !second) continue;
  const a = translate(p.index, first.proxy);
  const b = translate(p.index, second.proxy);
  const problems = validator.validateResources(a).length;
  const uncached = timed(repeats, () => validator.validateResources(b));
  let cachedMs = Number.NaN;
  let hits = 0;
  let misses = 0;
  if (Cache) {
    const cache = new Cache();
    validator.validateResources(a, { cache } as validator.ValidateOptions);
    const [h0, m0] = [cache.hits, cache.misses];
    cachedMs = timed(repeats, () => validator.validateResources(b, { cache } as validator.ValidateOptions));
    hits = (cache.hits - h0) / repeats;
    misses = (cache.misses - m0) / repeats;
  }
  const ratio = cachedMs > 0 ? (uncached / cachedMs).toFixed(1) : '-';
  console.log(
    [mode.padEnd(6), String(count(b)).padStart(9), String(problems).padStart(9), uncached.toFixed(1).padStart(12),
      cachedMs.toFixed(2).padStart(10), ratio.padStart(16), String(hits).padStart(11), String(misses).padStart(7)].join(' '),
  );
}
