// SotW responses encoded once and written as the same Buffer to every stream that needs exactly that response.
import { encodeSotwResponse } from './codec.ts';
import type { Resource } from './resource.ts';
import type { SnapshotType } from './snapshot.ts';

/** What a stream subscribed to for one type: every resource, or an interned set of names (shared by equal sets). */
export type Shape = typeof WILDCARD | ReadonlySet<string>;

/** The wildcard shape: every resource of the type. */
export const WILDCARD: unique symbol = Symbol('wildcard');

/** A fully encoded DiscoveryResponse, nonce included, that any stream may send once its own nonces are older. */
export interface SharedResponse {
  readonly bytes: Buffer;
  readonly nonce: string;
  /** The nonce as a number: a stream's nonces must only grow, so it never gets one it already used. */
  readonly seq: number;
  readonly count: number;
  /** Names in removed_resources (delta only). */
  readonly removed: number;
}

let seqCounter = 0;

/** The next process-wide nonce number; nonces are its base-36 text, so a stream compares them by number. */
export function nextSeq(): number {
  seqCounter += 1;
  return seqCounter;
}

/** The nonce text of a sequence number. */
export function nonceOf(seq: number): string {
  return seq.toString(36);
}

const interned = new Map<string, WeakRef<ReadonlySet<string>>>();
const forget = new FinalizationRegistry<string>((key) => {
  if (interned.get(key)?.deref() === undefined) interned.delete(key);
});

/** The one shared, frozen set holding exactly these names, so equal subscriptions share memory and cached responses. */
export function internNames(names: Iterable<string>): ReadonlySet<string> {
  const sorted = [...new Set(names)].sort();
  const key = sorted.join('\u0000');
  const found = interned.get(key)?.deref();
  if (found) return found;
  const set: ReadonlySet<string> = new Set(sorted);
  interned.set(key, new WeakRef(set));
  forget.register(set, key);
  return set;
}

/** Names in both shapes (what a client still holds after narrowing a subscription). */
export function intersect(a: Shape, b: Shape): Shape {
  if (a === WILDCARD) return b;
  if (b === WILDCARD || a === b) return a;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  return internNames([...small].filter((n) => large.has(n)));
}

/** Stands in for "no previous state" in the cache keys (WeakMap keys must be objects). */
const NONE = Object.freeze({});

type Level<V> = WeakMap<object, V>;
const caches = { sotw: new WeakMap(), delta: new WeakMap() } as const satisfies Record<string, Level<Level<Level<Level<SharedResponse>>>>>;

function child<V>(level: Level<V>, key: object, make: () => V): V {
  let v = level.get(key);
  if (v === undefined) level.set(key, (v = make()));
  return v;
}

/** Where a response sits in the cache: next type, current shape, and the (base type, held shape) it is a delta from. */
export interface ResponseKey {
  readonly typeUrl: string;
  readonly next: SnapshotType;
  readonly shape: Shape;
  /** For incremental types: the type the stream last sent and which of its names the client holds. */
  readonly base: SnapshotType | undefined;
  readonly held: Shape | undefined;
}

function shapeKey(shape: Shape | undefined): object {
  return shape === undefined ? NONE : shape === WILDCARD ? WILDCARD_KEY : shape;
}
const WILDCARD_KEY = Object.freeze({ wildcard: true });

/**
 * The shared response for a key, encoding it (with a fresh nonce) on first use or when the cached one's nonce is not
 * newer than `afterSeq`, the stream's last nonce for this type. `resources` computes what the response carries.
 */
export function sharedResponse(key: ResponseKey, afterSeq: number, resources: () => readonly Resource[]): SharedResponse {
  return cached('sotw', key, afterSeq, (nonce) => {
    const items = resources();
    return { bytes: encodeSotwResponse({ versionInfo: key.next.version, typeUrl: key.typeUrl, nonce, resources: items }), count: items.length, removed: 0 };
  });
}

/** The encoded response for a key in one flavour's cache, built by `encode` with a fresh nonce when needed. */
export function cached(
  kind: 'sotw' | 'delta',
  key: ResponseKey,
  afterSeq: number,
  encode: (nonce: string) => { bytes: Buffer; count: number; removed: number },
): SharedResponse {
  const byShape = child<Level<Level<Level<SharedResponse>>>>(caches[kind], key.next, () => new WeakMap());
  const byBase = child(byShape, shapeKey(key.shape), () => new WeakMap());
  const byHeld = child(byBase, key.base ?? NONE, () => new WeakMap());
  const heldKey = shapeKey(key.held);
  const found = byHeld.get(heldKey);
  if (found && found.seq > afterSeq) return found;
  const seq = nextSeq();
  const nonce = nonceOf(seq);
  const made: SharedResponse = { ...encode(nonce), nonce, seq };
  byHeld.set(heldKey, made);
  return made;
}
