// What SotW and delta streams share: the node, the snapshot watch, push order, nonces, limits and status.
import type { XdsCache } from './snapshot-cache.ts';
import type { SharedResponses } from './shared-response.ts';
import type { XdsNode } from './codec.ts';
import type { StreamKind, StreamRef, XdsEvents } from './events.ts';
import { TypeUrl } from '../envoy-api/protos.ts';
import { randomBytes } from 'node:crypto';
import type { Snapshot, SnapshotType } from './snapshot.ts';
import { compareStrings } from '../compare-strings.ts';

/** gRPC status codes the streams end with (numbers from the gRPC spec, so this file needs no grpc import). */
export const INVALID_ARGUMENT = 3;
/** The status for a stream whose response would exceed its budget. */
export const RESOURCE_EXHAUSTED = 8;

/** Limits one stream enforces. */
export interface StreamLimits {
  /** Most resource names one stream may subscribe to, over all types. */
  readonly maxNames: number;
  /** Most type URLs one stream may subscribe to (default 64). */
  readonly maxTypes?: number;
  /** Longest type URL and longest resource name, in UTF-8 bytes (default 1 KiB each). */
  readonly maxNameBytes?: number;
  /** Longest node id in UTF-8 bytes (default 1 KiB). */
  readonly maxNodeIdBytes?: number;
  /** Largest node metadata, as JSON, in bytes (default 64 KiB). */
  readonly maxMetadataBytes?: number;
  /** Longest NACK error message kept and reported; longer ones are cut (default 1 KiB). */
  readonly maxErrorBytes?: number;
  /** Largest response this stream may be sent; a bigger one ends it with RESOURCE_EXHAUSTED (default: no limit). */
  readonly maxResponseBytes?: number;
}

/** The limits' defaults, for callers that show them. */
export const DEFAULT_LIMITS = { maxTypes: 64, maxNameBytes: 1024, maxNodeIdBytes: 1024, maxMetadataBytes: 64 * 1024, maxErrorBytes: 1024 } as const;

/** `text` cut to at most `max` UTF-8 bytes (on a character boundary), saying how much was cut. */
export function truncateText(text: string, max: number): string {
  if (text.length * 3 <= max || Buffer.byteLength(text) <= max) return text;
  const note = ` … (${Buffer.byteLength(text)} bytes, cut)`;
  let cut = Buffer.from(text).subarray(0, Math.max(0, max - Buffer.byteLength(note))).toString('utf8');
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return cut + note;
}

/** How a stream talks to its transport. */
export interface StreamIo {
  readonly id: number;
  readonly peer: string;
  readonly cache: XdsCache;
  /** The server's interned names and encoded responses, shared by its streams only. */
  readonly shared: SharedResponses;
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
  return [...typeUrls].sort((a, b) => (RANK[a] ?? 4) - (RANK[b] ?? 4) || compareStrings(a, b));
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

/** Why a node is refused for its size, or undefined when it fits the limits. */
function nodeTooBig(node: XdsNode, limits: StreamLimits): string | undefined {
  const maxId = limits.maxNodeIdBytes ?? DEFAULT_LIMITS.maxNodeIdBytes;
  const idBytes = Buffer.byteLength(node.id);
  if (idBytes > maxId) return `node.id is ${idBytes} bytes, more than the limit of ${maxId}`;
  const maxMeta = limits.maxMetadataBytes ?? DEFAULT_LIMITS.maxMetadataBytes;
  const metaBytes = Buffer.byteLength(JSON.stringify(node.metadata));
  if (metaBytes > maxMeta) return `node.metadata is ${metaBytes} bytes as JSON, more than the limit of ${maxMeta}`;
  return undefined;
}

/** Why a type URL or resource name is refused for its length, or undefined when all fit. */
function longName(typeUrl: string, names: readonly string[], max: number): string | undefined {
  if (Buffer.byteLength(typeUrl) > max) return `type_url is ${Buffer.byteLength(typeUrl)} bytes, more than the limit of ${max}`;
  for (const name of names) {
    if (name.length * 3 > max && Buffer.byteLength(name) > max) return `a resource name is ${Buffer.byteLength(name)} bytes, more than the limit of ${max}`;
  }
  return undefined;
}

/** Shared node handling: the first request must name the node; later ones may omit it. */
export abstract class StreamBase<S extends TypeStateBase, R> implements StreamInfo {
  abstract readonly kind: StreamKind;
  /** The request message's name, for the error a malformed one ends the stream with. */
  protected abstract readonly requestName: string;
  /** Decodes one raw request of this flavour; throws on malformed bytes. */
  protected abstract readonly decode: (bytes: Uint8Array) => R;
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

  /** Handles one raw request; a malformed one ends the stream with INVALID_ARGUMENT. */
  receive(bytes: Uint8Array): void {
    if (this.closed) return;
    let req: R;
    try {
      req = this.decode(bytes);
    } catch (err) {
      this.reject(`malformed ${this.requestName}: ${(err as Error).message}`);
      return;
    }
    this.handle(req);
  }

  /** Handles one decoded request of this flavour. */
  abstract handle(req: R): void;

  /** Checks node, type URL and name limits (`names`: the request's names); false when the stream was failed. */
  protected admit(node: XdsNode | undefined, typeUrl: string, addedNames: number, names: readonly string[]): boolean {
    if (this.node === undefined) {
      if (!node || node.id === '') return this.reject('the first request must carry node.id');
      const tooBig = nodeTooBig(node, this.io.limits);
      if (tooBig) return this.reject(tooBig);
      this.node = node;
      const key = this.io.snapshotKey?.(node) ?? node.id;
      this.snapshotKey = key;
      this.io.events.emit('streamOpen', { ...this.ref(), peer: this.io.peer });
      this.#unwatch = this.io.cache.watch(key, (snapshot) => this.onSnapshot(snapshot));
      this.snapshot = this.io.cache.getSnapshot(key);
    }
    if (typeUrl === '') return this.reject('request has no type_url');
    const tooLong = longName(typeUrl, names, this.io.limits.maxNameBytes ?? DEFAULT_LIMITS.maxNameBytes);
    if (tooLong) return this.reject(tooLong);
    const maxTypes = this.io.limits.maxTypes ?? DEFAULT_LIMITS.maxTypes;
    if (!this.types.has(typeUrl) && this.types.size >= maxTypes) {
      return this.reject(`stream would subscribe to more than ${maxTypes} type URLs`);
    }
    let total = addedNames;
    for (const state of this.types.values()) total += state.names.size;
    if (total > this.io.limits.maxNames) {
      return this.reject(`stream would subscribe to ${total} resource names, more than the limit of ${this.io.limits.maxNames}`);
    }
    return true;
  }

  /** Ends the stream with INVALID_ARGUMENT. */
  reject(details: string): false {
    return this.end(INVALID_ARGUMENT, details);
  }

  /** Ends the stream with a gRPC status code and details (a broken rule or an exceeded budget). */
  end(code: number, details: string): false {
    this.io.fail(code, details);
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
      const message = truncateText(error.message, this.io.limits.maxErrorBytes ?? DEFAULT_LIMITS.maxErrorBytes);
      state.lastError = message;
      const detail = { code: error.code, message };
      this.io.events.emit('nack', { ...this.ref(), typeUrl, version: state.sentVersion, acceptedVersion: state.ackedVersion, nonce, error: detail });
      return;
    }
    state.ackedVersion = state.sentVersion;
    state.ackedNonce = nonce;
    state.lastError = undefined;
    this.io.events.emit('ack', { ...this.ref(), typeUrl, version: state.sentVersion, nonce });
  }

  /** Records a sent response (its shared body gets this stream's next nonce) and reports it. */
  protected sent(typeUrl: string, state: S, version: string, body: Buffer, count: number, removed: number): void {
    const budget = this.io.limits.maxResponseBytes;
    if (budget !== undefined && body.length > budget) {
      this.end(RESOURCE_EXHAUSTED, `the ${typeUrl} response (${count} resources, ${body.length} bytes) exceeds this stream's budget of ${budget} bytes; subscribe to fewer resources`);
      return;
    }
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
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([typeUrl, s]) => ({ typeUrl, wildcard: s.wildcard, names: [...s.names].sort() }));
  }

  /** Per-type sync status, sorted by type URL. */
  status(): TypeStatus[] {
    return [...this.types.entries()]
      .sort(([a], [b]) => compareStrings(a, b))
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
