// The list/watch loop for one collection, over client-node's typed list calls (page by page) and our own watch
// request (watch-stream.ts). It lists, then watches from the list's resourceVersion; a watch that ends or breaks
// (including on a malformed or cut line) resumes from the last resourceVersion it applied (events and bookmarks), a
// 410 Gone (HTTP status or ERROR event) relists, a 504 "Too large resource version" waits and relists, a silent watch
// is restarted after `stallMs`, events older than what an object already has are skipped, and every failure waits
// the server's Retry-After (capped) or an exponential, jittered backoff. Events are handed over synchronously and in
// order, and nothing is handed over once the attempt that produced it was abandoned, so none is lost or applied twice.
import type { KubeConfig } from './client.ts';
import { classify, isRecord, toFailure, type Classified, type RequestScope } from './errors.ts';
import { apiGroup, collectionPath, type KubeResource, type Lister, type RawList } from './resources.ts';
import { backoffDelay, type KubeTiming } from './timing.ts';
import { VersionGuard } from './versions.ts';
import { openWatch } from './watch-stream.ts';

type Json = Record<string, unknown>;

/** How often a paginated list restarts from its first page (continue token expired) before it counts as failed. */
const MAX_LIST_RESTARTS = 3;

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
  /** The server answered 404 for the collection (its API is no longer served). */
  notFound?(): void;
}

type WatchEnd = 'closed' | 'failed' | 'gone' | 'too-large' | 'stalled' | 'stopped';

interface WatchOutcome {
  readonly end: WatchEnd;
  readonly rv: string;
  readonly events: number;
  /** The failure's sorting, when the watch failed. */
  readonly failure?: Classified;
}

/** Keeps one collection (cluster-wide or one namespace) in sync; see the file comment for the guarantees. */
export class Reflector {
  readonly #kc: KubeConfig;
  readonly #resource: KubeResource;
  readonly #namespace: string | undefined;
  readonly #lister: Lister;
  readonly #timing: KubeTiming;
  readonly #sink: ReflectorSink;
  readonly #path: string;
  readonly #guard = new VersionGuard();
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
    this.#kc = kc;
    this.#resource = resource;
    this.#namespace = namespace;
    this.#lister = lister;
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
    let tooLarge = 0;
    while (this.#running) {
      const listed = await this.#list();
      if (typeof listed !== 'string') {
        if (this.#running) await this.#sleep(this.#delay(listed, listFailures++));
        continue;
      }
      listFailures = 0;
      const outcome = await this.#watchUntilRelist(listed);
      if (!outcome) return;
      if (outcome.end === 'too-large') {
        // The server is behind the resourceVersion we hold: wait as it asks, then take a fresh list from it.
        await this.#sleep(this.#delay(outcome.failure, tooLarge++));
        continue;
      }
      tooLarge = 0;
      // A list answered with a resourceVersion that is already gone again: do not spin.
      emptyGones = outcome.events === 0 ? emptyGones + 1 : 0;
      if (emptyGones > 0) await this.#sleep(backoffDelay(emptyGones - 1, this.#timing));
    }
  }

  /** Lists every page and delivers; returns the list's resourceVersion, else why it failed (undefined: stopped). */
  async #list(): Promise<string | Classified | undefined> {
    const attempt = { abandoned: false };
    try {
      const list = await this.#interruptible(this.#allPages(attempt), this.#timing.listTimeoutMs);
      attempt.abandoned = true;
      if (!list || !this.#running) return undefined;
      const items = list.items.map((item) => this.#complete(item));
      this.#guard.reset(items);
      this.#sink.replace(items);
      this.#sink.failure(undefined);
      this.#markSynced();
      return list.resourceVersion;
    } catch (err) {
      attempt.abandoned = true;
      const failure = this.#classify(err, 'list');
      if (this.#running) this.#sink.failure(failure.message);
      return failure;
    }
  }

  /** Every page of the collection as one list; an expired continue token (410) restarts from the first page. */
  async #allPages(attempt: { readonly abandoned: boolean }): Promise<RawList> {
    for (let restart = 0; ; restart++) {
      const items: Json[] = [];
      let token: string | undefined;
      let rv = '';
      try {
        do {
          const page = await this.#lister(this.#namespace, { limit: this.#timing.listPageSize, continueToken: token });
          // A list given up on (timeout, stop) asks for no further page.
          if (!this.#running || attempt.abandoned) return { resourceVersion: rv, items };
          // Every page of one list is read at the first page's resourceVersion.
          if (token === undefined) rv = page.resourceVersion;
          items.push(...page.items);
          token = page.continue || undefined;
        } while (token !== undefined);
        return { resourceVersion: rv, items };
      } catch (err) {
        if (token === undefined || toFailure(err).status !== 410 || restart >= MAX_LIST_RESTARTS) throw err;
      }
    }
  }

  /** Watches (and re-watches) from `rv` until a relist is due; undefined when stopped. */
  async #watchUntilRelist(rv: string): Promise<WatchOutcome | undefined> {
    let current = rv;
    let failures = 0;
    while (this.#running) {
      const outcome = await this.#watchOnce(current);
      current = outcome.rv;
      if (outcome.end === 'stopped' || !this.#running) return undefined;
      if (outcome.end === 'gone' || outcome.end === 'too-large') return outcome;
      // A watch the server ended after delivering something (its timeout) resumes at once; failures back off.
      if (outcome.end === 'closed' && outcome.events > 0) failures = 0;
      else await this.#sleep(this.#delay(outcome.failure, failures++));
    }
    return undefined;
  }

  /** One watch request from `rv`; resolves when it ends, with the last resourceVersion applied. */
  #watchOnce(rv: string): Promise<WatchOutcome> {
    return new Promise((resolve) => {
      let last = rv;
      let events = 0;
      let settled = false;
      let stall: NodeJS.Timeout | undefined;
      const finish = (end: WatchEnd, failure?: Classified): void => {
        if (settled) return;
        settled = true;
        clearTimeout(stall);
        this.#interrupt = undefined;
        controller.abort();
        if (failure && end !== 'gone') this.#sink.failure(failure.message);
        resolve({ end, rv: last, events, ...(failure ? { failure } : {}) });
      };
      const arm = (): void => {
        clearTimeout(stall);
        stall = setTimeout(() => finish('stalled'), this.#timing.stallMs);
      };
      const timeoutSeconds = Math.max(1, Math.round(this.#timing.watchTimeoutSeconds * (1 + Math.random())));
      const params = { resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) };
      const controller = openWatch(this.#kc, this.#path, params, {
        opened: () => settled || this.#sink.failure(undefined),
        event: (type, object) => {
          if (settled) return;
          arm();
          if (type === 'ERROR') return this.#errorEvent(object, finish);
          const step = this.#event(type, object);
          if (step !== undefined) last = step;
          events++;
        },
        // Our own abort (finish, stop) also ends the watch with an error: only a watch still open is classified.
        done: (err) => {
          if (settled) return;
          if (!err) return finish('closed');
          const failure = this.#classify(err, 'watch');
          finish(failure.action === 'relist' ? 'gone' : failure.action === 'too-large' ? 'too-large' : 'failed', failure);
        },
      });
      this.#interrupt = () => finish('stopped');
      arm();
    });
  }

  /** An ERROR event carries a Status: 410 relists, a too-large resourceVersion waits and relists, others retry. */
  #errorEvent(object: Json, finish: (end: WatchEnd, failure?: Classified) => void): void {
    const code = typeof object['code'] === 'number' ? object['code'] : undefined;
    const failure = classify({ status: code, body: object, headers: {}, cause: 'ERROR event' }, this.#scope('watch'));
    finish(failure.action === 'relist' ? 'gone' : failure.action === 'too-large' ? 'too-large' : 'failed', failure);
  }

  /** Applies one ADDED/MODIFIED/DELETED/BOOKMARK event; returns its resourceVersion. */
  #event(type: string, object: Json): string | undefined {
    const meta = isRecord(object['metadata']) ? object['metadata'] : {};
    const rv = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : undefined;
    if (type === 'ADDED' || type === 'MODIFIED') {
      const item = this.#complete(object);
      if (this.#guard.admit('upsert', item)) this.#sink.upsert(item);
    } else if (type === 'DELETED') {
      const item = this.#complete(object);
      if (this.#guard.admit('remove', item)) this.#sink.remove(item);
    }
    return rv;
  }

  #classify(err: unknown, verb: 'list' | 'watch'): Classified {
    const failure = toFailure(err);
    if (failure.status === 404) this.#sink.notFound?.();
    return classify(failure, this.#scope(verb));
  }

  #scope(verb: 'list' | 'watch'): RequestScope {
    const r = this.#resource;
    return { verb, resource: r.plural, group: apiGroup(r), namespace: this.#namespace, path: this.#path };
  }

  /** The wait before retry `attempt`: the server's Retry-After when it sent one (never less than the backoff), capped. */
  #delay(failure: Classified | undefined, attempt: number): number {
    const backoff = backoffDelay(attempt, this.#timing);
    if (failure?.retryAfterMs === undefined) return backoff;
    return Math.min(Math.max(failure.retryAfterMs, backoff), this.#timing.retryAfterMaxMs);
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
