// Responses encoded once, without a nonce, and written as the same bytes to every stream of one server that needs
// exactly that response; each stream appends its own nonce (see `framedNonce` in codec.ts). The state lives in a
// `SharedResponses` each XdsServer owns.
import { encodeSotwResponse } from './codec.ts';
import type { Resource } from './resource.ts';
import type { SnapshotType } from './snapshot.ts';
import { WeakValues } from './weak-values.ts';

/** What a stream subscribed to for one type: every resource, or an interned set of names (shared by equal sets). */
export type Shape = typeof WILDCARD | ReadonlySet<string>;

/** The wildcard shape: every resource of the type. */
export const WILDCARD: unique symbol = Symbol('wildcard');

/**
 * A fully encoded response without its nonce: every stream that needs exactly this response sends these bytes, with
 * its own nonce field appended on the way out (`framedNonce`), so no two streams ever share a nonce.
 */
export interface SharedResponse {
  readonly bytes: Buffer;
  readonly count: number;
  /** Names in removed_resources (delta only). */
  readonly removed: number;
}

/** Stands in for "no previous state" in the cache keys (WeakMap keys must be objects). */
const NONE = Object.freeze({});

type Level<V> = WeakMap<object, V>;

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

/** How much one server's `SharedResponses` holds and did: interned name sets alive, responses encoded. */
export interface SharedResponseStats {
  readonly nameSets: number;
  readonly encoded: number;
}

/**
 * One server's shared response state: interned subscription name sets, encoded responses keyed by (next type, shape,
 * base type, held shape), and each snapshot type's resources as one array. Everything is held weakly by the objects
 * it derives from; nothing is shared between two servers.
 */
export class SharedResponses {
  readonly #names = new WeakValues<ReadonlySet<string>>();
  readonly #caches = { sotw: new WeakMap(), delta: new WeakMap() } as const satisfies Record<string, Level<Level<Level<Level<SharedResponse>>>>>;
  readonly #values = new WeakMap<SnapshotType, readonly Resource[]>();
  #encoded = 0;

  /** The one shared, frozen set holding exactly these names, so equal subscriptions share memory and cached responses. */
  internNames(names: Iterable<string>): ReadonlySet<string> {
    const sorted = [...new Set(names)].sort();
    const key = sorted.join('\u0000');
    return this.#names.get(key) ?? this.#names.set(key, new Set(sorted));
  }

  /** Names in both shapes (what a client still holds after narrowing a subscription). */
  intersect(a: Shape, b: Shape): Shape {
    if (a === WILDCARD) return b;
    if (b === WILDCARD || a === b) return a;
    const [small, large] = a.size <= b.size ? [a, b] : [b, a];
    return this.internNames([...small].filter((n) => large.has(n)));
  }

  /** The resources of a snapshot type as an array shared by every wildcard stream (no per-stream copy). */
  typeValues(type: SnapshotType): readonly Resource[] {
    let values = this.#values.get(type);
    if (!values) this.#values.set(type, (values = [...type.resources.values()]));
    return values;
  }

  /** The shared SotW response for a key, encoded on first use; `resources` computes what the response carries. */
  sharedResponse(key: ResponseKey, resources: () => readonly Resource[]): SharedResponse {
    return this.cached('sotw', key, () => {
      const items = resources();
      return { bytes: encodeSotwResponse({ versionInfo: key.next.version, typeUrl: key.typeUrl, nonce: '', resources: items }), count: items.length, removed: 0 };
    });
  }

  /** The encoded response for a key in one flavour's cache, built by `encode` (without a nonce) on first use. */
  cached(kind: 'sotw' | 'delta', key: ResponseKey, encode: () => SharedResponse): SharedResponse {
    const byShape = child<Level<Level<Level<SharedResponse>>>>(this.#caches[kind], key.next, () => new WeakMap());
    const byBase = child(byShape, shapeKey(key.shape), () => new WeakMap());
    const byHeld = child(byBase, key.base ?? NONE, () => new WeakMap());
    const heldKey = shapeKey(key.held);
    const found = byHeld.get(heldKey);
    if (found) return found;
    const made = encode();
    this.#encoded += 1;
    byHeld.set(heldKey, made);
    return made;
  }

  /** Interned name sets alive and responses encoded so far (for tests and status pages). */
  stats(): SharedResponseStats {
    return { nameSets: this.#names.size, encoded: this.#encoded };
  }
}
