// Istio-style debounce: a burst of source changes becomes one rebuild, after the input has been quiet for `quietMs`
// but never later than `maxMs` after the first change of the burst. Changes are merged, not dropped.
import type { ObjectKey } from '../model/types.ts';
import type { SourceChange } from '../sources/types.ts';
import { keyString } from '../sources/store.ts';

/** How long to wait: quiet time after the last change, and the cap on the whole wait. */
export interface DebounceOptions {
  readonly quietMs: number;
  readonly maxMs: number;
}

/** One merged burst: every key touched (a key both upserted and deleted ends as its last action), and when it began. */
export interface MergedChange extends SourceChange {
  /** `performance.now()` of the burst's first change: the start of convergence time. */
  readonly since: number;
  /** How many source changes were merged. */
  readonly count: number;
}

/** Collects changes and calls `flush` once per burst; at most one flush runs at a time (later bursts queue). */
export class Debouncer {
  readonly #options: DebounceOptions;
  readonly #flush: (change: MergedChange) => Promise<void> | void;
  #pending = new Map<string, { key: ObjectKey; deleted: boolean }>();
  #count = 0;
  #since = 0;
  #quietTimer: NodeJS.Timeout | undefined;
  #maxTimer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #deferred = false;

  constructor(options: DebounceOptions, flush: (change: MergedChange) => Promise<void> | void) {
    this.#options = { quietMs: Math.max(0, options.quietMs), maxMs: Math.max(options.quietMs, options.maxMs) };
    this.#flush = flush;
  }

  /** Adds one source change to the current burst and (re)starts the quiet timer. */
  add(change: SourceChange): void {
    if (this.#stopped) return;
    if (this.#count === 0) {
      this.#since = performance.now();
      this.#maxTimer = setTimeout(() => this.#fire(), this.#options.maxMs);
    }
    this.#count += 1;
    for (const key of change.upserted) this.#pending.set(keyString(key), { key, deleted: false });
    for (const key of change.deleted) this.#pending.set(keyString(key), { key, deleted: true });
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.#fire(), this.#options.quietMs);
  }

  /** Whether a burst is waiting or a flush is running. */
  get busy(): boolean {
    return this.#count > 0 || this.#running !== undefined;
  }

  /** Resolves when no flush is running (the pending burst, if any, is not forced). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Drops the pending burst and stops timers; waits for a running flush. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimers();
    this.#pending.clear();
    this.#count = 0;
    await this.idle();
  }

  #clearTimers(): void {
    clearTimeout(this.#quietTimer);
    clearTimeout(this.#maxTimer);
    this.#quietTimer = this.#maxTimer = undefined;
  }

  #fire(): void {
    if (this.#running) {
      // A flush is still running: let the burst keep collecting; it fires when that flush ends.
      this.#clearTimers();
      this.#deferred = true;
      return;
    }
    if (this.#count === 0 || this.#stopped) return;
    this.#clearTimers();
    this.#deferred = false;
    const entries = [...this.#pending.values()];
    const change: MergedChange = {
      upserted: entries.filter((e) => !e.deleted).map((e) => e.key),
      deleted: entries.filter((e) => e.deleted).map((e) => e.key),
      since: this.#since,
      count: this.#count,
    };
    this.#pending = new Map();
    this.#count = 0;
    this.#running = Promise.resolve()
      .then(() => this.#flush(change))
      .catch(() => undefined)
      .finally(() => {
        this.#running = undefined;
        if (this.#deferred && this.#count > 0 && !this.#stopped) this.#fire();
        this.#deferred = false;
      });
  }
}
