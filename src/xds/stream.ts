// What SotW and delta streams share: the node, the snapshot watch, push order, nonces, limits and status.
import type { SnapshotCache } from './cache.ts';
import type { XdsNode } from './codec.ts';
import type { StreamKind, StreamRef, XdsEvents } from './hooks.ts';
import { TypeUrl } from './protos.ts';
import type { Resource } from './resource.ts';
import { randomBytes } from 'node:crypto';
import type { Snapshot, SnapshotType } from './snapshot.ts';

/** gRPC status codes the streams end with (numbers from the gRPC spec, so this file needs no grpc import). */
export const INVALID_ARGUMENT = 3;

/** Limits one stream enforces. */
export interface StreamLimits {
  /** Most resource names one stream may subscribe to, over all types. */
  readonly maxNames: number;
}

/** How a stream talks to its transport. */
export interface StreamIo {
  readonly id: number;
  readonly peer: string;
  readonly cache: SnapshotCache;
  readonly events: XdsEvents;
  readonly limits: StreamLimits;
  /** Which snapshot of the cache a node reads (by default its id; a server may tell apart same-id nodes). */
  readonly snapshotKey?: (node: XdsNode) => string;
  /** Writes a response: `body` is encoded without a nonce (and may be shared by many streams), `nonce` is this stream's. */
  send(body: Buffer, nonce: string): void;
  /** Ends the call with a gRPC status; the stream is dead afterwards. */
  fail(code: number, details: string): void;
}

/** What a stream subscribed to for one type. */
export interface Subscription {
  readonly typeUrl: string;
  readonly wildcard: boolean;
  readonly names: readonly string[];
}

/** Where one type of one stream stands: last response sent and what the client did with it. */
export interface TypeStatus {
  readonly typeUrl: string;
  readonly sentVersion: string;
  readonly sentNonce: string;
  readonly ackedVersion: string;
  readonly ackedNonce: string;
  /** True while the last response waits for its ACK/NACK. */
  readonly pending: boolean;
  readonly lastError: string | undefined;
}

/** Read-only view of a live stream for callers (status pages, the server layer). */
export interface StreamInfo {
  readonly id: number;
  readonly kind: StreamKind;
  readonly peer: string;
  readonly node: XdsNode | undefined;
  /** The cache key this stream's snapshot is read from (undefined until the node is known). */
  readonly snapshotKey: string | undefined;
  subscriptions(): Subscription[];
  status(): TypeStatus[];
}

/** Per-type bookkeeping common to both flavours. */
export interface TypeStateBase {
  wildcard: boolean;
  /** Subscribed names; replaced, never changed in place, so a sent state can keep a reference to it. */
  names: ReadonlySet<string>;
  pendingNonce: string | undefined;
  lastNonce: string;
  sentVersion: string;
  ackedVersion: string;
  ackedNonce: string;
  lastError: string | undefined;
  /** A response is owed (first request, subscription change) even if nothing changed. */
  dirty: boolean;
  /** The type version last compared against, so an unchanged type costs nothing. */
  checkedVersion: string;
}

const NO_NAMES: ReadonlySet<string> = new Set();

/** A fresh per-type state. */
export function newTypeState(): TypeStateBase {
  return {
    wildcard: false,
    names: NO_NAMES,
    pendingNonce: undefined,
    lastNonce: '',
    sentVersion: '',
    ackedVersion: '',
    ackedNonce: '',
    lastError: undefined,
    dirty: true,
    checkedVersion: '',
  };
}

const RANK: Readonly<Record<string, number>> = {
  [TypeUrl.Cluster]: 0,
  [TypeUrl.ClusterLoadAssignment]: 1,
  [TypeUrl.Listener]: 2,
  [TypeUrl.RouteConfiguration]: 3,
};

/** Type URLs in push order: CDS, EDS, LDS, RDS, then any other type sorted by name. */
export function pushOrder(typeUrls: Iterable<string>): string[] {
  return [...typeUrls].sort((a, b) => (RANK[a] ?? 4) - (RANK[b] ?? 4) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Types where an empty first subscription means "everything" (legacy wildcard). */
export function wildcardByDefault(typeUrl: string): boolean {
  return typeUrl === TypeUrl.Listener || typeUrl === TypeUrl.Cluster;
}

/**
 * Types whose SotW responses must carry every subscribed resource (absence means deletion): Listener and Cluster.
 * Every other type is sent incrementally in SotW too: only changed or newly subscribed resources travel.
 */
export function fullStateInSotw(typeUrl: string): boolean {
  return typeUrl === TypeUrl.Listener || typeUrl === TypeUrl.Cluster;
}

const valuesCache = new WeakMap<SnapshotType, readonly Resource[]>();

/** The resources of a snapshot type as an array shared by every wildcard stream (no per-stream copy). */
export function typeValues(type: SnapshotType): readonly Resource[] {
  let values = valuesCache.get(type);
  if (!values) valuesCache.set(type, (values = [...type.resources.values()]));
  return values;
}

/** Shared node handling: the first request must name the node; later ones may omit it. */
export abstract class StreamBase<S extends TypeStateBase> implements StreamInfo {
  abstract readonly kind: StreamKind;
  node: XdsNode | undefined;
  snapshotKey: string | undefined;
  snapshot: Snapshot | undefined;
  closed = false;
  protected readonly types = new Map<string, S>();
  #unwatch: (() => void) | undefined;
  /** Random per stream, so no other stream can know (and ACK) this stream's nonces. */
  readonly #nonceToken = randomBytes(6).toString('base64url');
  #nonceCount = 0;

  constructor(protected readonly io: StreamIo) {}

  get id(): number {
    return this.io.id;
  }

  get peer(): string {
    return this.io.peer;
  }

  /** The event fields that name this stream; only valid once the node is known. */
  protected ref(): StreamRef {
    return { streamId: this.io.id, kind: this.kind, node: this.node as XdsNode };
  }

  /** Checks node, type URL and name limits; false when the stream was failed. */
  protected admit(node: XdsNode | undefined, typeUrl: string, addedNames: number): boolean {
    if (this.node === undefined) {
      if (!node || node.id === '') return this.reject('the first request must carry node.id');
      this.node = node;
      const key = this.io.snapshotKey?.(node) ?? node.id;
      this.snapshotKey = key;
      this.io.events.emit('streamOpen', { ...this.ref(), peer: this.io.peer });
      this.#unwatch = this.io.cache.watch(key, (snapshot) => this.onSnapshot(snapshot));
      this.snapshot = this.io.cache.getSnapshot(key);
    }
    if (typeUrl === '') return this.reject('request has no type_url');
    let total = addedNames;
    for (const state of this.types.values()) total += state.names.size;
    if (total > this.io.limits.maxNames) {
      return this.reject(`stream would subscribe to ${total} resource names, more than the limit of ${this.io.limits.maxNames}`);
    }
    return true;
  }

  /** Ends the stream with INVALID_ARGUMENT. */
  reject(details: string): false {
    this.io.fail(INVALID_ARGUMENT, details);
    this.close(details);
    return false;
  }

  /** Stops watching and reports the close once; safe to call many times. */
  close(error?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.#unwatch?.();
    this.#unwatch = undefined;
    if (this.node) this.io.events.emit('streamClose', error === undefined ? this.ref() : { ...this.ref(), error });
  }

  /** A new snapshot for this node: re-check every subscribed type, then push what differs. */
  onSnapshot(snapshot: Snapshot): void {
    if (this.closed) return;
    this.snapshot = snapshot;
    this.flush();
  }

  /** Sends every type that owes a response and has none un-ACKed, in push order. */
  protected flush(): void {
    if (this.closed || !this.snapshot) return;
    for (const typeUrl of pushOrder(this.types.keys())) {
      const state = this.types.get(typeUrl);
      if (!state || state.pendingNonce !== undefined) continue;
      const version = this.snapshot.types.get(typeUrl)?.version ?? '';
      if (!state.dirty && version === state.checkedVersion) continue;
      this.respond(typeUrl, state, this.snapshot);
      if (this.closed) return;
    }
  }

  /** Builds and sends this type's response if one is owed. */
  protected abstract respond(typeUrl: string, state: S, snapshot: Snapshot): void;

  /** Applies an ACK or NACK for the pending nonce. */
  protected settle(typeUrl: string, state: S, nonce: string, error: { code: number; message: string } | undefined): void {
    state.pendingNonce = undefined;
    if (error) {
      state.lastError = error.message;
      this.io.events.emit('nack', { ...this.ref(), typeUrl, version: state.sentVersion, acceptedVersion: state.ackedVersion, nonce, error });
      return;
    }
    state.ackedVersion = state.sentVersion;
    state.ackedNonce = nonce;
    state.lastError = undefined;
    this.io.events.emit('ack', { ...this.ref(), typeUrl, version: state.sentVersion, nonce });
  }

  /** Records a sent response (its shared body gets this stream's next nonce) and reports it. */
  protected sent(typeUrl: string, state: S, version: string, body: Buffer, count: number, removed: number): void {
    this.#nonceCount += 1;
    const nonce = `${this.#nonceCount.toString(36)}.${this.#nonceToken}`;
    state.pendingNonce = nonce;
    state.lastNonce = nonce;
    state.sentVersion = version;
    state.dirty = false;
    this.io.send(body, nonce);
    if (this.io.events.has('response')) {
      const bytes = body.length + nonce.length + 2;
      this.io.events.emit('response', { ...this.ref(), typeUrl, version, nonce, resourceCount: count, removedCount: removed, bytes });
    }
  }

  /** The stream's subscriptions, sorted by type URL. */
  subscriptions(): Subscription[] {
    return [...this.types.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([typeUrl, s]) => ({ typeUrl, wildcard: s.wildcard, names: [...s.names].sort() }));
  }

  /** Per-type sync status, sorted by type URL. */
  status(): TypeStatus[] {
    return [...this.types.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([typeUrl, s]) => ({
        typeUrl,
        sentVersion: s.sentVersion,
        sentNonce: s.lastNonce,
        ackedVersion: s.ackedVersion,
        ackedNonce: s.ackedNonce,
        pending: s.pendingNonce !== undefined,
        lastError: s.lastError,
      }));
  }
}
