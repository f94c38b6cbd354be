// The object set behind every source: keyed by (kind, namespace, name), sorted on read, with change listeners.
import type { ObjectKey, SourceObject } from '../model/types.ts';
import type { SourceChange } from './types.ts';
import { compareStrings } from '../compare-strings.ts';

/** The map key of an object: `Kind/namespace/name` (`Kind//name` when cluster-scoped). */
export function keyString(key: ObjectKey): string {
  return `${key.kind}/${key.namespace}/${key.name}`;
}

/** A mutable set of source objects that notifies listeners once per applied batch. */
export class ObjectStore {
  readonly #objects = new Map<string, SourceObject>();
  readonly #listeners = new Set<(change: SourceChange) => void>();
  #sorted: readonly SourceObject[] | undefined;

  /** Every object, sorted by kind, namespace, name; the same array until the next change. */
  objects(): readonly SourceObject[] {
    this.#sorted ??= [...this.#objects.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, o]) => o);
    return this.#sorted;
  }

  /** The object at `key`, if any. */
  get(key: ObjectKey): SourceObject | undefined {
    return this.#objects.get(keyString(key));
  }

  /** Applies upserts and deletions as one change; listeners hear of it only if something really changed. */
  apply(upserts: readonly SourceObject[], deletions: readonly ObjectKey[]): SourceChange {
    const upserted: ObjectKey[] = [];
    const deleted: ObjectKey[] = [];
    for (const obj of upserts) {
      const k = keyString(obj.key);
      const old = this.#objects.get(k);
      if (old && old.version === obj.version && sameOrigin(old, obj)) continue;
      this.#objects.set(k, obj);
      upserted.push(obj.key);
    }
    for (const key of deletions) {
      if (this.#objects.delete(keyString(key))) deleted.push(key);
    }
    const change = { upserted, deleted };
    if (upserted.length + deleted.length > 0) {
      this.#sorted = undefined;
      for (const listener of this.#listeners) listener(change);
    }
    return change;
  }

  /** Replaces the whole set (a relist): objects not in `all` are deleted, in the same single change. */
  replaceAll(all: readonly SourceObject[]): SourceChange {
    const keep = new Set(all.map((o) => keyString(o.key)));
    const gone = [...this.#objects.values()].filter((o) => !keep.has(keyString(o.key))).map((o) => o.key);
    return this.apply(all, gone);
  }

  /** Registers a listener; returns its unsubscribe function. */
  onChange(listener: (change: SourceChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

function sameOrigin(a: SourceObject, b: SourceObject): boolean {
  return a.origin.file === b.origin.file && a.origin.line === b.origin.line;
}
