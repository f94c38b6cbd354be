// A per-connection push queue in the manner of istiod's: at most one pending push per key (a later push for the same
// key is merged into it), at most one push running per key, a bounded number running at once, keys marked `first`
// (new connections) ahead of the rest, and work started in batches with a yield in between, so a push to thousands
// never holds the event loop for long. What a push does is the owner's `run`; the queue only orders and bounds it.

/** How the queue paces its work. */
export interface PushQueueOptions {
  /** Most pushes started in one turn of the event loop before the queue yields (default 32). */
  readonly batch?: number;
  /** A batch also ends once its pushes have taken this long (default 10 ms), so a turn of heavy pushes stays short. */
  readonly budgetMs?: number;
  /** Most pushes running at once: started and not yet settled (default 100). */
  readonly maxInFlight?: number;
  /** How the queue yields between batches (default: `setImmediate`, so pending I/O is served first). */
  readonly pause?: () => Promise<void>;
}

/** What the queue reports as it works, for metrics. */
export interface PushQueueHooks<T> {
  /** A push left the queue and is about to run; `queuedMs` is how long its key waited since first enqueued. */
  dequeued?(key: string, item: T, queuedMs: number): void;
}

/** One waiting push: the merged item and when its key was first enqueued (performance.now). */
interface Waiting<T> {
  item: T;
  readonly since: number;
}

const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Orders, merges and bounds pushes keyed by connection; `run` does one push and may return a promise. */
export class PushQueue<T> {
  readonly #run: (key: string, item: T) => void | Promise<void>;
  readonly #merge: (older: T, newer: T) => T;
  readonly #batch: number;
  readonly #budgetMs: number;
  readonly #maxInFlight: number;
  readonly #pause: () => Promise<void>;
  readonly #hooks: PushQueueHooks<T>;
  readonly #front = new Map<string, Waiting<T>>();
  readonly #back = new Map<string, Waiting<T>>();
  readonly #running = new Set<string>();
  #pumping = false;
  #stopped = false;
  #idle: (() => void)[] = [];

  constructor(
    run: (key: string, item: T) => void | Promise<void>,
    merge: (older: T, newer: T) => T,
    options: PushQueueOptions = {},
    hooks: PushQueueHooks<T> = {},
  ) {
    this.#run = run;
    this.#merge = merge;
    this.#batch = Math.max(1, options.batch ?? 32);
    this.#budgetMs = options.budgetMs ?? 10;
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 100);
    this.#pause = options.pause ?? immediate;
    this.#hooks = hooks;
  }

  /** Queues a push for `key`, merged into one already waiting; `first` moves the key ahead of every other. */
  enqueue(key: string, item: T, first = false): void {
    if (this.#stopped) return;
    const waiting = this.#front.get(key) ?? this.#back.get(key);
    const next: Waiting<T> = waiting ? { item: this.#merge(waiting.item, item), since: waiting.since } : { item, since: performance.now() };
    if (first || this.#front.has(key)) {
      this.#back.delete(key);
      this.#front.set(key, next);
    } else this.#back.set(key, next);
    this.#schedule();
  }

  /** Drops a waiting push (its connection went away); a running one finishes. */
  forget(key: string): void {
    this.#front.delete(key);
    this.#back.delete(key);
    this.#settle();
  }

  /** Pushes waiting to start. */
  get length(): number {
    return this.#front.size + this.#back.size;
  }

  /** Pushes started and not settled. */
  get inFlight(): number {
    return this.#running.size;
  }

  /** Whether `key` has a push waiting. */
  has(key: string): boolean {
    return this.#front.has(key) || this.#back.has(key);
  }

  /** Resolves once nothing waits and nothing runs. */
  idle(): Promise<void> {
    if (this.length === 0 && this.#running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Drops every waiting push and accepts no more; running pushes finish. */
  stop(): void {
    this.#stopped = true;
    this.#front.clear();
    this.#back.clear();
    this.#settle();
  }

  #schedule(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    void this.#pause().then(() => this.#pump());
  }

  /** Starts batches until nothing can start, yielding between batches. */
  async #pump(): Promise<void> {
    try {
      while (!this.#stopped) {
        let started = 0;
        const turn = performance.now();
        while (started < this.#batch && this.#running.size < this.#maxInFlight && (started === 0 || performance.now() - turn < this.#budgetMs)) {
          const key = this.#take();
          if (key === undefined) break;
          started += 1;
        }
        if (started === 0) break;
        await this.#pause();
      }
    } finally {
      this.#pumping = false;
      this.#settle();
    }
  }

  /** Takes and starts the first waiting key that is not running; undefined when there is none. */
  #take(): string | undefined {
    for (const list of [this.#front, this.#back]) {
      for (const [key, waiting] of list) {
        if (this.#running.has(key)) continue;
        list.delete(key);
        this.#start(key, waiting);
        return key;
      }
    }
    return undefined;
  }

  #start(key: string, waiting: Waiting<T>): void {
    this.#running.add(key);
    this.#hooks.dequeued?.(key, waiting.item, performance.now() - waiting.since);
    let result: void | Promise<void>;
    try {
      result = this.#run(key, waiting.item);
    } catch {
      result = undefined; // `run` reports its own failures; the queue only keeps going
    }
    if (result instanceof Promise) void result.catch(() => undefined).then(() => this.#done(key));
    else this.#running.delete(key);
  }

  #done(key: string): void {
    this.#running.delete(key);
    if (this.length > 0) this.#schedule();
    this.#settle();
  }

  #settle(): void {
    if (this.#pumping || this.length > 0 || this.#running.size > 0) {
      if (!this.#stopped || this.#running.size > 0) return;
    }
    const waiters = this.#idle;
    this.#idle = [];
    for (const resolve of waiters) resolve();
  }
}
