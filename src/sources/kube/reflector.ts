// The list/watch loop for one collection, over client-node's typed list calls and its `Watch` class. It lists, then
// watches from the list's resourceVersion; a watch that ends or breaks resumes from the last resourceVersion it saw
// (events and bookmarks), a 410 Gone (HTTP status or ERROR event) relists, a silent watch is restarted after
// `stallMs`, and every failure waits an exponential, jittered backoff. Events are handed over synchronously and in
// order, and nothing is handed over once the attempt that produced it was abandoned, so none is lost or applied twice.
import { Watch, type KubeConfig } from './client.ts';
import { collectionPath, type KubeResource, type Lister } from './resources.ts';
import { backoffDelay, type KubeTiming } from './timing.ts';

type Json = Record<string, unknown>;

/** Where a reflector delivers what it learns. All calls are synchronous and in server order. */
export interface ReflectorSink {
  /** The full content of the collection (a list): anything not in `items` is gone. */
  replace(items: readonly Json[]): void;
  /** An object was added or modified. */
  upsert(item: Json): void;
  /** An object was deleted (its last state). */
  remove(item: Json): void;
  /** The reflector's current failure (a failing list or watch request), or undefined once it works again. */
  failure(message: string | undefined): void;
}

type WatchEnd = 'closed' | 'failed' | 'gone' | 'stalled' | 'stopped';

interface WatchOutcome {
  readonly end: WatchEnd;
  readonly rv: string;
  readonly events: number;
}

/** Keeps one collection (cluster-wide or one namespace) in sync; see the file comment for the guarantees. */
export class Reflector {
  readonly #resource: KubeResource;
  readonly #namespace: string | undefined;
  readonly #lister: Lister;
  readonly #watch: Watch;
  readonly #timing: KubeTiming;
  readonly #sink: ReflectorSink;
  readonly #path: string;
  #running = false;
  #loop: Promise<void> | undefined;
  #interrupt: (() => void) | undefined;
  #markSynced: () => void = () => undefined;
  /** Resolves once the first list has been delivered. */
  readonly synced: Promise<void>;

  constructor(
    kc: KubeConfig,
    resource: KubeResource,
    namespace: string | undefined,
    lister: Lister,
    timing: KubeTiming,
    sink: ReflectorSink,
  ) {
    this.#resource = resource;
    this.#namespace = namespace;
    this.#lister = lister;
    this.#watch = new Watch(kc);
    this.#timing = timing;
    this.#sink = sink;
    this.#path = collectionPath(resource, namespace);
    this.synced = new Promise((resolve) => (this.#markSynced = resolve));
  }

  /** A readable name: the collection's path. */
  get name(): string {
    return this.#path;
  }

  /** Starts the loop (once). */
  start(): void {
    if (this.#running || this.#loop) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Ends the loop: aborts the open watch, cancels waits, abandons an unanswered list. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#interrupt?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    let listFailures = 0;
    let emptyGones = 0;
    while (this.#running) {
      const rv = await this.#list();
      if (rv === undefined) {
        if (this.#running) await this.#sleep(backoffDelay(listFailures++, this.#timing));
        continue;
      }
      listFailures = 0;
      const gone = await this.#watchUntilGone(rv);
      if (!gone) return;
      // A list answered with a resourceVersion that is already gone again: do not spin.
      emptyGones = gone.events === 0 ? emptyGones + 1 : 0;
      if (emptyGones > 0) await this.#sleep(backoffDelay(emptyGones - 1, this.#timing));
    }
  }

  /** Lists and delivers; returns the list's resourceVersion, or undefined when it failed (or the loop stopped). */
  async #list(): Promise<string | undefined> {
    try {
      const list = await this.#interruptible(this.#lister(this.#namespace), this.#timing.listTimeoutMs);
      if (!list || !this.#running) return undefined;
      this.#sink.replace(list.items.map((item) => this.#complete(item)));
      this.#sink.failure(undefined);
      this.#markSynced();
      return list.resourceVersion;
    } catch (err) {
      if (this.#running) this.#sink.failure(`listing ${this.#path} failed: ${describeError(err)}`);
      return undefined;
    }
  }

  /** Watches (and re-watches) from `rv` until a 410 calls for a relist; undefined when stopped. */
  async #watchUntilGone(rv: string): Promise<WatchOutcome | undefined> {
    let current = rv;
    let failures = 0;
    while (this.#running) {
      const outcome = await this.#watchOnce(current);
      current = outcome.rv;
      if (outcome.end === 'stopped' || !this.#running) return undefined;
      if (outcome.end === 'gone') return outcome;
      // A watch the server ended after delivering something (its timeout) resumes at once; failures back off.
      if (outcome.end === 'closed' && outcome.events > 0) failures = 0;
      else await this.#sleep(backoffDelay(failures++, this.#timing));
    }
    return undefined;
  }

  /** One watch request from `rv`; resolves when it ends, with the last resourceVersion seen. */
  #watchOnce(rv: string): Promise<WatchOutcome> {
    return new Promise((resolve) => {
      let last = rv;
      let events = 0;
      let settled = false;
      let controller: AbortController | undefined;
      let stall: NodeJS.Timeout | undefined;
      const finish = (end: WatchEnd): void => {
        if (settled) return;
        settled = true;
        clearTimeout(stall);
        this.#interrupt = undefined;
        controller?.abort();
        resolve({ end, rv: last, events });
      };
      const arm = (): void => {
        clearTimeout(stall);
        stall = setTimeout(() => finish('stalled'), this.#timing.stallMs);
      };
      this.#interrupt = () => finish('stopped');
      arm();
      const onEvent = (type: string, object: unknown): void => {
        if (settled) return;
        arm();
        const step = this.#event(type, object);
        if (step === 'gone' || step === 'failed') return finish(step);
        if (step !== undefined) last = step;
        events++;
      };
      // Our own abort (finish, stop) also ends the watch with an error: only a watch still open is classified.
      const onDone = (err: unknown): void => {
        if (!settled) finish(this.#classify(err));
      };
      const timeoutSeconds = Math.max(1, Math.round(this.#timing.watchTimeoutSeconds * (1 + Math.random())));
      const params = { resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds };
      this.#watch.watch(this.#path, params, onEvent, onDone).then(
        (c) => {
          controller = c;
          if (settled) c.abort();
          else this.#sink.failure(undefined);
        },
        onDone,
      );
    });
  }

  /** Applies one watch event; returns its resourceVersion, 'gone' / 'failed' for ERROR events, else undefined. */
  #event(type: string, object: unknown): string | 'gone' | 'failed' | undefined {
    const obj = isRecord(object) ? object : {};
    if (type === 'ERROR') {
      if (obj['code'] === 410) return 'gone';
      this.#sink.failure(`watching ${this.#path} failed: ${String(obj['message'] ?? 'ERROR event')} (code ${String(obj['code'])})`);
      return 'failed';
    }
    const meta = isRecord(obj['metadata']) ? obj['metadata'] : {};
    const rv = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : undefined;
    if (type === 'ADDED' || type === 'MODIFIED') this.#sink.upsert(this.#complete(obj));
    else if (type === 'DELETED') this.#sink.remove(this.#complete(obj));
    return rv;
  }

  #classify(err: unknown): WatchEnd {
    if (err === null || err === undefined) return 'closed';
    const status = isRecord(err) ? err['statusCode'] : undefined;
    if (status === 410) return 'gone';
    // A refused or cut connection has no status but is a failure all the same: report it until a watch opens again.
    const why = typeof status === 'number' ? `HTTP ${status}` : describeError(err);
    this.#sink.failure(`watching ${this.#path} failed: ${why}`);
    return 'failed';
  }

  /** List items come without kind and apiVersion; put them back so every object is self-describing. */
  #complete(item: Json): Json {
    if (item['kind'] === this.#resource.kind && typeof item['apiVersion'] === 'string') return item;
    return { apiVersion: this.#resource.apiVersion, kind: this.#resource.kind, ...item };
  }

  /** Waits `ms`, or less when stopped. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#interrupt = done;
    });
  }

  /** `work`, unless it takes longer than `ms` (rejects) or the reflector stops first (undefined). */
  #interruptible<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer after ${ms} ms`)), ms);
      this.#interrupt = () => {
        clearTimeout(timer);
        resolve(undefined);
      };
      work.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }
}

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short description of a failed request: HTTP status and the Status message when there is one. */
export function describeError(err: unknown): string {
  if (isRecord(err) && typeof err['code'] === 'number') {
    const body = err['body'];
    let message = '';
    if (typeof body === 'string') {
      try {
        const parsed: unknown = JSON.parse(body);
        if (isRecord(parsed) && typeof parsed['message'] === 'string') message = `: ${parsed['message']}`;
      } catch {
        message = '';
      }
    }
    return `HTTP ${err['code']}${message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
