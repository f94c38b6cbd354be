// The server's push path: every connected proxy goes through one PushQueue (one pending push per proxy, new
// connections first, work in batches with yields), and when its turn comes it is rebuilt against the newest model
// generation unless nothing it reads changed since its last build (BuildInputs).
import { BuildInputs } from './build-inputs.ts';
import type { MetricsRegistry } from './metrics.ts';
import type { BuildContext } from './proxy-build.ts';
import { listenerNames } from './proxies.ts';
import type { ProxyEntry, ProxyRegistry } from './proxies.ts';
import { PushQueue } from './push-queue.ts';
import { prepareBuild } from './prepare-build.ts';
import type { PrepareOptions } from './prepare-build.ts';
import type { PushQueueOptions } from './push-queue.ts';

/** Why a proxy waits for a push: when the earliest change behind it happened (performance.now); none for a connect. */
interface PushReason {
  readonly since: number | undefined;
}

/** The earlier of two change times (a connect has none). */
function mergeReasons(older: PushReason, newer: PushReason): PushReason {
  if (older.since === undefined) return newer;
  if (newer.since === undefined) return older;
  return { since: Math.min(older.since, newer.since) };
}

/** How pushes are paced: the queue's options, plus whether a generation's first build of a plan is prepared in slices. */
export interface PusherOptions extends PushQueueOptions {
  /** Prepare first builds in slices with yields (default true); false builds them in one synchronous turn. */
  readonly prepare?: boolean;
  /** Longest slice of preparing before it yields (default 5 ms). */
  readonly sliceMs?: number;
  /** How preparing yields between slices (default `setImmediate`; the queue's `pause` paces batches only). */
  readonly preparePause?: () => Promise<void>;
}

/** Queues pushes to connected proxies and runs them against the newest generation, skipping untouched proxies. */
export class Pusher {
  readonly #registry: ProxyRegistry;
  readonly #current: () => BuildContext | undefined;
  readonly #metrics: MetricsRegistry;
  readonly #inputs = new BuildInputs();
  readonly #queue: PushQueue<PushReason>;
  readonly #prepare: boolean;
  readonly #prepareOptions: PrepareOptions;
  #built = 0;
  #skipped = 0;

  constructor(registry: ProxyRegistry, current: () => BuildContext | undefined, metrics: MetricsRegistry, options: PusherOptions = {}) {
    this.#prepare = options.prepare !== false;
    this.#prepareOptions = { ...(options.preparePause ? { pause: options.preparePause } : {}), ...(options.sliceMs !== undefined ? { sliceMs: options.sliceMs } : {}) };
    this.#registry = registry;
    this.#current = current;
    this.#metrics = metrics;
    this.#queue = new PushQueue((key, reason) => this.#run(key, reason), mergeReasons, options, {
      dequeued: (_key, _reason, queuedMs) => metrics.observe('pilot_proxy_queue_time', queuedMs / 1000),
    });
  }

  /** A new model generation: every connected proxy is queued (merged into a push it already waits for). */
  pushAll(since: number | undefined): void {
    this.#metrics.inc('pilot_push_triggers', { trigger: 'config' });
    for (const entry of this.#registry.entries()) this.#queue.enqueue(entry.key, { since });
  }

  /** A new connection: its proxy goes ahead of every waiting push. */
  connected(entry: ProxyEntry): void {
    this.#metrics.inc('pilot_push_triggers', { trigger: 'proxy' });
    this.#queue.enqueue(entry.key, { since: undefined }, true);
  }

  /** A stream closed: a proxy with no stream left is not pushed. */
  closed(key: string): void {
    if (!this.#registry.get(key)) this.#queue.forget(key);
  }

  /** Pushes waiting in the queue. */
  get length(): number {
    return this.#queue.length;
  }

  /** Proxies rebuilt and proxies skipped as untouched, since the start. */
  get counts(): { readonly built: number; readonly skipped: number } {
    return { built: this.#built, skipped: this.#skipped };
  }

  /** Resolves once no push waits or runs. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** Drops every waiting push (the server is stopping). */
  stop(): void {
    this.#queue.stop();
  }

  /**
   * One proxy's turn: skip it when nothing it reads changed, else rebuild and publish through the registry. A build
   * whose plan this generation has not built yet is prepared first, in slices (`prepare-build.ts`): the push that
   * started the preparation builds once it is done (against the newest generation), and every other push of that plan
   * waiting meanwhile is queued again, ahead of the rest, to be built from it in a batch like any other.
   */
  #run(key: string, reason: PushReason): void | Promise<void> {
    const entry = this.#registry.get(key);
    const ctx = this.#current();
    if (!entry || !ctx) return;
    const names = listenerNames(entry);
    if (this.#inputs.untouched(ctx, entry, names, entry.published)) {
      this.#skipped += 1;
      this.#metrics.inc('biplane_push_skipped');
      return;
    }
    const parsed = this.#inputs.parse(ctx, entry, entry.node);
    const preparing = this.#prepare && parsed.proxy ? prepareBuild(ctx, parsed.proxy, names, this.#prepareOptions) : undefined;
    // The generation may change while it prepares: the starter then runs again, against the newest one.
    if (preparing?.started) return preparing.done.then(() => this.#run(key, reason));
    if (preparing) return preparing.done.then(() => this.#queue.enqueue(key, reason, true));
    this.#built += 1;
    this.#registry.push(ctx, entry, reason.since, parsed);
    this.#inputs.record(ctx, entry, names, entry.published, entry.rejectedAt !== undefined);
  }
}
