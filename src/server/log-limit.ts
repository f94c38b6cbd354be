// Per-client log budgets: a client that reconnects, NACKs or is rebuilt in a loop can fill at most a few lines per
// window; the rest are counted and summed up in one line when its next window opens.

/** How many lines one key may log per window, and how many keys are remembered. */
export interface LogLimitOptions {
  /** Lines per key per window (default 20). */
  readonly perKey?: number;
  /** Window length in milliseconds (default 60 s). */
  readonly windowMs?: number;
  /** Keys remembered at once; the oldest window is forgotten first (default 10,000). */
  readonly maxKeys?: number;
  /** The clock (tests pass their own). */
  readonly now?: () => number;
}

interface Window {
  readonly start: number;
  count: number;
  suppressed: number;
}

/** Writes log lines about a key (a node id) within that key's budget, so no client can flood the log. */
export class LogLimiter {
  readonly #out: (line: string) => void;
  readonly #perKey: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();

  constructor(out: (line: string) => void, options: LogLimitOptions = {}) {
    this.#out = out;
    this.#perKey = options.perKey ?? 20;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Logs `line` about `key`, unless the key used up this window's budget (then it is only counted). */
  log(key: string, line: string): void {
    const now = this.#now();
    let window = this.#windows.get(key);
    if (window && now - window.start >= this.#windowMs) {
      this.#summarise(key, window);
      this.#windows.delete(key);
      window = undefined;
    }
    if (!window) {
      this.#evict();
      window = { start: now, count: 0, suppressed: 0 };
      this.#windows.set(key, window);
    }
    if (window.count < this.#perKey) {
      window.count += 1;
      this.#out(line);
    } else {
      window.suppressed += 1;
    }
  }

  /** How many keys have a window open (bounded by `maxKeys`). */
  get size(): number {
    return this.#windows.size;
  }

  /** Keeps the map under `maxKeys` by dropping the oldest windows (Map order is window start order). */
  #evict(): void {
    for (const [key, window] of this.#windows) {
      if (this.#windows.size < this.#maxKeys) return;
      this.#summarise(key, window);
      this.#windows.delete(key);
    }
  }

  #summarise(key: string, window: Window): void {
    if (window.suppressed === 0) return;
    const seconds = Math.round(this.#windowMs / 1000);
    this.#out(`${window.suppressed} more log lines about ${key} suppressed (at most ${this.#perKey} per ${seconds} s)`);
  }
}
