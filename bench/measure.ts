// Time and heap-allocation measurement around a synchronous piece of work, and forced GC for memory readings.
import v8 from 'node:v8';
import vm from 'node:vm';

/** Wall time and bytes allocated on the JS heap while `work` ran. */
export interface Measured<T> {
  readonly value: T;
  readonly ms: number;
  /** Heap growth plus everything the collections during the run freed: what the work allocated. */
  readonly allocatedBytes: number;
}

/**
 * Runs `work` once under v8's GC profiler. Allocation = (used heap after − before) + Σ (before − after) of every GC
 * that ran meanwhile, so short-lived garbage is counted too.
 */
export function measure<T>(work: () => T): Measured<T> {
  const profiler = new v8.GCProfiler();
  const before = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  const started = performance.now();
  const value = work();
  const ms = performance.now() - started;
  const after = v8.getHeapStatistics().used_heap_size;
  const stats = profiler.stop()?.statistics ?? [];
  let freed = 0;
  for (const s of stats) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  return { value, ms, allocatedBytes: after - before + freed };
}

let gcFn: (() => void) | undefined;

/** A full garbage collection, even without `--expose-gc` on the command line. */
export function fullGc(): void {
  if (!gcFn) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

/** The q-quantile (0..1, nearest rank) of a list; 0 for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}
