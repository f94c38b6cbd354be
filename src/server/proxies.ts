// Per-proxy state and push: which nodes are connected (by their streams), what each subscribed to, its last good
// snapshot, its current problems. A push rebuilds one proxy and publishes only what changed (`pusher.ts` decides which
// proxies to push and when).
import { compareStrings } from '../compare-strings.ts';
import { createHash } from 'node:crypto';
import type { Problem, Proxy, ProxyResult } from '../model/index.ts';
import { TypeUrl, type ResourceProblem, type SnapshotCache, type Snapshot, type XdsNode } from '../xds/index.ts';
import { SERVER_LISTENER_PREFIX } from '../translate/proxyless/index.ts';
import { buildProxy } from './proxy-build.ts';
import type { BuildContext } from './proxy-build.ts';

/**
 * The key of a proxy: its node id plus a digest of everything else the node says (metadata, locality, ...). Streams
 * that claim one id with different metadata are different proxies, each built from its own node, so a newcomer
 * can never rewrite another stream's configuration; streams of one proxy (same node) share one build.
 */
export function proxyKey(node: XdsNode): string {
  const { id, ...rest } = node;
  return `${id}#${createHash('sha256').update(JSON.stringify(rest)).digest('base64url').slice(0, 16)}`;
}

/** One connected proxy: one or more ADS streams with the same node id and the same node content. */
export interface ProxyEntry {
  /** `proxyKey(node)`: the snapshot cache key of its streams. */
  readonly key: string;
  readonly nodeId: string;
  readonly node: XdsNode;
  /** LDS names each stream subscribed to (proxyless servers name their own listeners). */
  readonly streams: Map<number, ReadonlySet<string>>;
  proxy: Proxy | undefined;
  problems: readonly Problem[];
  /** The last snapshot that passed validation and was published; stays when a newer one fails. */
  published: Snapshot | undefined;
  publishedAt: number | undefined;
  /** When the newest build failed validation (undefined once a build passes again). */
  rejectedAt: number | undefined;
  readonly connectedAt: number;
}

/** What the registry tells its owner after each build, for metrics and logs. */
export interface PushHooks {
  /**
   * A new snapshot was published for the proxy; `since` is when the change that caused it happened (performance.now),
   * `sendSeconds` how long setting it took (the streams that can send write their responses then).
   */
  published(entry: ProxyEntry, since: number | undefined, sendSeconds: number): void;
  /** The proxy's newest snapshot failed validation; its last good one stays. */
  rejected(entry: ProxyEntry): void;
}

/** The parts of an LDS request that name listeners. */
export interface ListenerRequest {
  readonly kind: 'sotw' | 'delta';
  readonly names: readonly string[];
  readonly unsubscribe: readonly string[];
}

/** Every connected proxy, keyed by `proxyKey` (node id plus node digest). */
export class ProxyRegistry {
  readonly #entries = new Map<string, ProxyEntry>();
  readonly #cache: SnapshotCache;
  readonly #hooks: PushHooks;

  constructor(cache: SnapshotCache, hooks: PushHooks) {
    this.#cache = cache;
    this.#hooks = hooks;
  }

  /** A stream with this node opened; returns its entry (new when it is the first stream of this exact node). */
  open(streamId: number, node: XdsNode): ProxyEntry {
    const key = proxyKey(node);
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = {
        key,
        nodeId: node.id,
        node,
        streams: new Map(),
        proxy: undefined,
        problems: [],
        published: undefined,
        publishedAt: undefined,
        rejectedAt: undefined,
        connectedAt: Date.now(),
      };
      this.#entries.set(key, entry);
    }
    entry.streams.set(streamId, new Set());
    return entry;
  }

  /** A stream closed; the proxy is forgotten (and its snapshot dropped) when it was its last stream. */
  close(streamId: number, node: XdsNode): void {
    const key = proxyKey(node);
    const entry = this.#entries.get(key);
    if (!entry) return;
    entry.streams.delete(streamId);
    if (entry.streams.size === 0) {
      this.#entries.delete(key);
      this.#cache.clearSnapshot(key);
    }
  }

  /**
   * Records a stream's LDS request: SotW names replace the stream's set, delta names are added and `unsubscribe`
   * removed. True when the node now wants a listener name it did not want before.
   */
  subscribe(streamId: number, key: string, request: ListenerRequest): boolean {
    const entry = this.#entries.get(key);
    const current = entry?.streams.get(streamId);
    if (!entry || !current) return false;
    const before = listenerNames(entry);
    const next = new Set(request.kind === 'delta' ? current : []);
    for (const n of request.names) if (n !== '*') next.add(n);
    if (request.kind === 'delta') for (const n of request.unsubscribe) next.delete(n);
    entry.streams.set(streamId, next);
    return [...listenerNames(entry)].some((n) => !before.has(n));
  }

  /** How many proxyless server listener names (built on demand, one per name) one stream subscribed to. */
  serverListenerCount(streamId: number, key: string): number {
    let count = 0;
    for (const name of this.#entries.get(key)?.streams.get(streamId) ?? []) if (name.startsWith(SERVER_LISTENER_PREFIX)) count += 1;
    return count;
  }

  /** Whether the proxy's published snapshot lacks one of its subscribed listener names. */
  missesListener(key: string): boolean {
    const entry = this.#entries.get(key);
    if (!entry) return false;
    const have = entry.published?.types.get(TypeUrl.Listener)?.resources;
    return [...listenerNames(entry)].some((n) => !have?.has(n));
  }

  /** One entry by proxy key. */
  get(key: string): ProxyEntry | undefined {
    return this.#entries.get(key);
  }

  /** The entries claiming a node id, oldest connection first. */
  byNodeId(nodeId: string): ProxyEntry[] {
    return this.entries().filter((e) => e.nodeId === nodeId).sort((a, b) => a.connectedAt - b.connectedAt);
  }

  /** Every connected proxy, sorted by key (node id first). */
  entries(): ProxyEntry[] {
    return [...this.#entries.values()].sort((a, b) => compareStrings(a.key, b.key));
  }

  /** How many nodes are connected. */
  get size(): number {
    return this.#entries.size;
  }

  /** Rebuilds one proxy and publishes its snapshot when it changed and passed validation (`parsed`: its kept parse). */
  push(ctx: BuildContext, entry: ProxyEntry, since?: number, parsed?: ProxyResult): void {
    let build: ReturnType<typeof buildProxy>;
    try {
      build = buildProxy(ctx, entry.node, listenerNames(entry), entry.published, parsed);
    } catch (err) {
      const message = `building the snapshot failed: ${(err as Error).stack ?? String(err)}`;
      build = { rejected: true, unchanged: false, problems: [{ severity: 'error', message, origin: { source: 'generated', object: `Proxy/${entry.nodeId}` } }] };
    }
    entry.proxy = build.proxy;
    entry.problems = build.problems;
    if (build.rejected) {
      entry.rejectedAt = Date.now();
      this.#hooks.rejected(entry);
      return;
    }
    if (build.unchanged || !build.snapshot) {
      entry.rejectedAt = undefined;
      return;
    }
    const started = performance.now();
    // Published through the builder, which runs consistent(): the validator already refused broken sets, so a problem
    // here is a bug, reported as a build problem; the cache keeps the last good snapshot.
    const inconsistent = ctx.shared.publish(this.#cache, entry.key, build.snapshot);
    if (inconsistent.length > 0) {
      entry.problems = [...build.problems, ...inconsistent.map((p) => inconsistencyProblem(entry.nodeId, p))];
      entry.rejectedAt = Date.now();
      this.#hooks.rejected(entry);
      return;
    }
    entry.rejectedAt = undefined;
    entry.published = build.snapshot;
    entry.publishedAt = Date.now();
    this.#hooks.published(entry, since, (performance.now() - started) / 1000);
  }
}


/** A snapshot `consistent()` refused, as the problem a failed build is reported as. */
function inconsistencyProblem(nodeId: string, p: ResourceProblem): Problem {
  const message = `building the snapshot failed: ${p.typeUrl} ${p.resource}: ${p.message}; the last good configuration stays`;
  return { severity: 'error', message, origin: { source: 'generated', object: `Proxy/${nodeId}` } };
}

/** The union of the LDS names a node's streams subscribed to. */
export function listenerNames(entry: ProxyEntry): Set<string> {
  const out = new Set<string>();
  for (const names of entry.streams.values()) for (const n of names) out.add(n);
  return out;
}
