// Responses encoded once, without a nonce, and written as the same bytes to every stream that needs exactly that
// response; each stream appends its own nonce (see `withNonce` in codec.ts).
import { encodeSotwResponse } from './codec.ts';
import type { Resource } from './resource.ts';
import type { SnapshotType } from './snapshot.ts';

/** What a stream subscribed to for one type: every resource, or an interned set of names (shared by equal sets). */
export type Shape = typeof WILDCARD | ReadonlySet<string>;

/** The wildcard shape: every resource of the type. */
export const WILDCARD: unique symbol = Symbol('wildcard');

/**
 * A fully encoded response without its nonce: every stream that needs exactly this response sends these bytes, with
 * its own nonce field appended on the way out (`withNonce`), so no two streams ever share a nonce.
 */
export interface SharedResponse {
  readonly bytes: Buffer;
  readonly count: number;
  /** Names in removed_resources (delta only). */
  readonly removed: number;
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

/** The shared response for a key, encoded on first use; `resources` computes what the response carries. */
export function sharedResponse(key: ResponseKey, resources: () => readonly Resource[]): SharedResponse {
  return cached('sotw', key, () => {
    const items = resources();
    return { bytes: encodeSotwResponse({ versionInfo: key.next.version, typeUrl: key.typeUrl, nonce: '', resources: items }), count: items.length, removed: 0 };
  });
}

/** The encoded response for a key in one flavour's cache, built by `encode` (without a nonce) on first use. */
export function cached(kind: 'sotw' | 'delta', key: ResponseKey, encode: () => SharedResponse): SharedResponse {
  const byShape = child<Level<Level<Level<SharedResponse>>>>(caches[kind], key.next, () => new WeakMap());
  const byBase = child(byShape, shapeKey(key.shape), () => new WeakMap());
  const byHeld = child(byBase, key.base ?? NONE, () => new WeakMap());
  const heldKey = shapeKey(key.held);
  const found = byHeld.get(heldKey);
  if (found) return found;
  const made = encode();
  byHeld.set(heldKey, made);
  return made;
}
