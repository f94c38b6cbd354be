// Bookkeeping of a ModelBuilder: what it remembers per source object (by identity: sources keep the same instance
// while an object is unchanged) and, per kind, which objects came and went since the previous update.
import type { SliceInfo } from './endpoints.ts';
import type { NodeInfo } from './pods.ts';
import type { Locality, Pod, Problem, Service, SourceObject } from './types.ts';

/** What a builder keeps about one source object; the parts that depend on no other object are built at most once. */
export interface Converted {
  /** Schema errors of the object (an object with errors is left out of the model). */
  readonly errors: readonly Problem[];
  /** The update number the object was last seen in. */
  seen: number;
  node?: NodeInfo;
  /** The model pod, and the node locality it was built with (rebuilt when its node's locality changes). */
  pod?: Pod;
  podLocality?: Locality | undefined;
  service?: Service;
  slice?: SliceInfo;
}

/** What changed in one kind's list between two updates. */
export interface KindChange {
  /** Keys of objects added or removed (by identity); every key, old and new, after `rekeyed`. */
  readonly keys: ReadonlySet<string>;
  /** Whether the per-key map was rebuilt from the list: the list has (or had) two objects under one key. */
  readonly rekeyed: boolean;
  readonly added: readonly SourceObject[];
  readonly removed: readonly SourceObject[];
}

/**
 * The objects of one kind, in input order, and the last one per key (as a one-shot build's maps keep the last).
 * `advance` moves to a new list and tells which keys changed; a list equal element by element is no change.
 */
export class KindTracker {
  #list: readonly SourceObject[] = [];
  readonly #byKey = new Map<string, SourceObject>();
  #duplicates = false;

  constructor(private readonly keyOf: (o: SourceObject) => string) {}

  /** The objects of the latest update, input order. */
  get list(): readonly SourceObject[] {
    return this.#list;
  }

  /** The last object per key. */
  get byKey(): ReadonlyMap<string, SourceObject> {
    return this.#byKey;
  }

  /** Whether the latest list has two objects under one key (the builder then redoes every service). */
  get duplicates(): boolean {
    return this.#duplicates;
  }

  /**
   * Moves to `next`; `added` are the objects of `next` not in the previous update (by identity), `repeated` whether
   * `next` holds one object twice, `seenNow` whether an object is in `next`. Undefined when nothing changed.
   */
  advance(
    next: readonly SourceObject[],
    added: readonly SourceObject[],
    repeated: boolean,
    seenNow: (o: SourceObject) => boolean,
  ): KindChange | undefined {
    const previous = this.#list;
    if (added.length === 0 && next.length === previous.length && next.every((o, i) => o === previous[i])) return undefined;
    const exact = next.length - added.length === previous.length && !this.#duplicates && !repeated;
    const removed = exact ? [] : previous.filter((o) => !seenNow(o));
    const keys = new Set<string>();
    for (const o of removed) {
      const key = this.keyOf(o);
      keys.add(key);
      if (this.#byKey.get(key) === o) this.#byKey.delete(key);
    }
    for (const o of added) {
      const key = this.keyOf(o);
      keys.add(key);
      this.#byKey.set(key, o);
    }
    this.#list = next;
    const rekeyed = this.#duplicates || this.#byKey.size !== next.length;
    if (rekeyed) {
      for (const key of this.#byKey.keys()) keys.add(key);
      this.#byKey.clear();
      for (const o of next) this.#byKey.set(this.keyOf(o), o);
      for (const key of this.#byKey.keys()) keys.add(key);
      this.#duplicates = this.#byKey.size !== next.length;
    }
    return { keys, rekeyed, added, removed };
  }
}
