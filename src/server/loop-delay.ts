// The event loop's delay, measured by Node (`perf_hooks.monitorEventLoopDelay`) and exported as a summary: each
// scrape reports the quantiles since the previous scrape, so a push that held the loop shows in the next one.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';
import type { MetricsRegistry } from './metrics.ts';

/** The quantiles a scrape reports (1 is the largest delay seen). */
const QUANTILES: readonly number[] = [0.5, 0.9, 0.99, 1];

/** Samples the event-loop delay from `start` until `stop`. */
export class LoopDelay {
  readonly #histogram: IntervalHistogram;

  /** `resolutionMs`: how often Node samples the loop (default 10 ms). */
  constructor(resolutionMs = 10) {
    this.#histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.#histogram.enable();
  }

  /** Writes the delay since the previous call into `biplane_event_loop_delay_seconds` and starts a new interval. */
  report(metrics: MetricsRegistry): void {
    const h = this.#histogram;
    const count = h.count;
    const quantiles = QUANTILES.map((q): readonly [number, number] => [q, count === 0 ? 0 : (q === 1 ? h.max : h.percentile(q * 100)) / 1e9]);
    metrics.summarize('biplane_event_loop_delay_seconds', { quantiles, sum: count === 0 ? 0 : (h.mean * count) / 1e9, count });
    h.reset();
  }

  /** Stops sampling. */
  stop(): void {
    this.#histogram.disable();
  }
}
