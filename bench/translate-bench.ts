// Scenario 2: time and allocations to translate and encode one proxy's configuration, cold and with a cache of
// encoded resources shared across proxies.
import { translate } from '../src/translate/index.ts';
import type { ClusterShape } from './cluster.ts';
import { ResourceCache, encodeAll, resourceCounts } from './encode.ts';
import { fullGc, measure, median } from './measure.ts';
import { progress, round } from './report.ts';
import type { Row, ScenarioResult } from './report.ts';
import { MODES, prepare } from './setup.ts';
import type { Prepared } from './setup.ts';

interface Sample {
  readonly ms: number;
  readonly allocatedBytes: number;
}

function sampled(repeats: number, work: () => unknown): { ms: number; allocatedMiB: number } {
  const samples: Sample[] = [];
  for (let i = 0; i < repeats; i++) {
    fullGc();
    samples.push(measure(work));
  }
  return { ms: median(samples.map((s) => s.ms)), allocatedMiB: median(samples.map((s) => s.allocatedBytes)) / 2 ** 20 };
}

function modeRows(p: Prepared, repeats: number): Row[] {
  const rows: Row[] = [];
  const cache = new ResourceCache();
  for (const mode of MODES) {
    const [first, second] = p.proxies.filter((x) => x.node.mode === mode);
    if (!first) continue;
    const other = second ?? first;
    const count = resourceCounts(translate(p.index, first.proxy)).total;
    const translateOnly = sampled(repeats, () => translate(p.index, first.proxy));
    const cold = sampled(repeats, () => encodeAll(translate(p.index, first.proxy)));
    cache.encodeAll(translate(p.index, first.proxy));
    const hitsBefore = cache.hits;
    const missesBefore = cache.misses;
    const cached = sampled(repeats, () => cache.encodeAll(translate(p.index, other.proxy)));
    const hitRate = (cache.hits - hitsBefore) / Math.max(1, cache.hits - hitsBefore + cache.misses - missesBefore);
    rows.push({
      services: p.shape.services, mode, resources: count,
      'translate ms': round(translateOnly.ms, 1), 'cold ms': round(cold.ms, 1), 'cached ms': round(cached.ms, 1),
      'cold/cached': round(cold.ms / cached.ms, 2),
      'cold res/s': Math.round((count / cold.ms) * 1000), 'cached res/s': Math.round((count / cached.ms) * 1000),
      'translate MiB': round(translateOnly.allocatedMiB, 1), 'cold MiB': round(cold.allocatedMiB, 1), 'cached MiB': round(cached.allocatedMiB, 1),
      'cache hit rate': round(hitRate, 3),
    });
  }
  return rows;
}

/** Runs the translate scenario for each service count. */
export function runTranslate(shapes: readonly ClusterShape[], repeats: number): ScenarioResult {
  const rows: Row[] = [];
  for (const shape of shapes) {
    progress(`translate: ${shape.services} services × ${shape.podsPerService} pods`);
    const p = prepare({ ...shape, proxiesPerMode: Math.max(2, shape.proxiesPerMode) });
    rows.push(...modeRows(p, repeats));
  }
  return { scenario: 'translate', rows };
}
