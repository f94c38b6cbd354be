// The server's push path: every connected proxy goes through one PushQueue (one pending push per proxy, new
// connections first, work in batches with yields), and when its turn comes it is rebuilt against the newest model
// generation unless nothing it reads changed since its last build (BuildInputs).
import { BuildInputs } from './build-inputs.ts';
import type { MetricsRegistry } from './metrics.ts';
import type { BuildContext } from './proxy-build.ts';
import { listenerNames } from './proxies.ts';
import type { ProxyEntry, ProxyRegistry } from './proxies.ts';
import { PushQueue } from './push-queue.ts';
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

/** Queues pushes to connected proxies and runs them against the newest generation, skipping untouched proxies. */
export class Pusher {
  readonly #registry: ProxyRegistry;
  readonly #current: () => BuildContext | undefined;
  readonly #metrics: MetricsRegistry;
  readonly #inputs = new BuildInputs();
  readonly #queue: PushQueue<PushReason>;
  #built = 0;
  #skipped = 0;

  constructor(registry: ProxyRegistry, current: () => BuildContext | undefined, metrics: MetricsRegistry, options: PushQueueOptions = {}) {
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

  /** One proxy's turn: skip it when nothing it reads changed, else rebuild and publish through the registry. */
  #run(key: string, reason: PushReason): void {
    const entry = this.#registry.get(key);
    const ctx = this.#current();
    if (!entry || !ctx) return;
    const names = listenerNames(entry);
    if (this.#inputs.untouched(ctx, entry, names, entry.published)) {
      this.#skipped += 1;
      this.#metrics.inc('biplane_push_skipped');
      return;
    }
    this.#built += 1;
    this.#registry.push(ctx, entry, reason.since, this.#inputs.parse(ctx, entry, entry.node));
    this.#inputs.record(ctx, entry, names, entry.published, entry.rejectedAt !== undefined);
  }
}
