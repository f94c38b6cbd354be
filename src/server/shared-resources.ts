// Resources identical across proxies are encoded once: a content-keyed cache of encoded Resources and of whole
// per-type resource sets, held through WeakRefs so an entry lives exactly as long as some snapshot still uses it.
import { createHash } from 'node:crypto';
import { ValidationCache } from '../validate/index.ts';
import { makeResource, typeVersion } from '../xds/index.ts';
import type { Resource, Snapshot, SnapshotType } from '../xds/index.ts';

/** A map of weakly held values that forgets a key once its value is collected. */
class WeakValues<V extends object> {
  readonly #map = new Map<string, WeakRef<V>>();
  readonly #registry = new FinalizationRegistry<string>((key) => {
    const ref = this.#map.get(key);
    if (ref && ref.deref() === undefined) this.#map.delete(key);
  });

  get(key: string): V | undefined {
    return this.#map.get(key)?.deref();
  }

  set(key: string, value: V): V {
    this.#map.set(key, new WeakRef(value));
    this.#registry.register(value, key);
    return value;
  }

  get size(): number {
    return this.#map.size;
  }
}

/** One resource to publish: its type URL and the plain object the translator built (snake_case proto fields). */
export interface PlainResource {
  readonly typeUrl: string;
  readonly value: Readonly<Record<string, unknown>>;
}

/** Counters that show the sharing works: how often an encoded copy was reused instead of encoded again. */
export interface SharingStats {
  readonly hits: number;
  readonly misses: number;
  readonly alive: number;
}

/**
 * Interns encoded resources by a hash of their plain JSON (translator output is deterministic, so equal resources
 * serialize equally) and interns per-type sets by their version, so 1,000 proxies that see the same cluster hold one
 * encoded copy of it and, when their whole CDS is equal, one shared CDS map.
 */
export class SharedResources {
  readonly #resources = new WeakValues<Resource>();
  readonly #types = new WeakValues<SnapshotType>();
  /** Interned sets by the versions of their resources in the order a caller gave them (no hashing needed). */
  readonly #typesByList = new WeakValues<SnapshotType>();
  readonly #keys = new WeakMap<object, string>();
  /** The encoded copy per plain object, so a proxy's own array of shared objects skips the content-keyed lookup. */
  readonly #byObject = new WeakMap<object, Resource>();
  #hits = 0;
  #misses = 0;

  /**
   * Per-resource validation results, keyed by the same content key as the encoded copies: a resource seen before (by
   * any proxy, in any earlier build) is not validated again; only the cross-resource checks run per proxy.
   */
  readonly validation = new ValidationCache(200_000);

  /** The content key of a plain object (type URL + sha256 of its JSON), computed once per object. */
  contentKey(typeUrl: string, value: object): string {
    let key = this.#keys.get(value);
    if (key === undefined) {
      key = `${typeUrl}\n${createHash('sha256').update(JSON.stringify(value)).digest('base64url')}`;
      this.#keys.set(value, key);
    }
    return key;
  }

  /** The encoded Resource for a plain object; throws (from makeResource) when it does not fit its message type. */
  resource(typeUrl: string, value: Readonly<Record<string, unknown>>): Resource {
    const known = this.#byObject.get(value);
    if (known && known.typeUrl === typeUrl) {
      this.#hits += 1;
      return known;
    }
    const key = this.contentKey(typeUrl, value);
    let resource = this.#resources.get(key);
    if (resource) this.#hits += 1;
    else {
      this.#misses += 1;
      resource = this.#resources.set(key, makeResource(typeUrl, value));
    }
    this.#byObject.set(value, resource);
    return resource;
  }

  /**
   * A snapshot holding these resources, every type in `typeUrls` present (empty when it has none). A type whose set
   * equals one already interned reuses that SnapshotType object. Throws when two resources of one type share a name.
   */
  snapshot(resources: readonly Resource[], typeUrls: readonly string[]): Snapshot {
    const grouped = new Map<string, Resource[]>(typeUrls.map((url) => [url, []]));
    for (const r of resources) {
      const list = grouped.get(r.typeUrl) ?? [];
      list.push(r);
      grouped.set(r.typeUrl, list);
    }
    const types = new Map<string, SnapshotType>();
    for (const url of [...grouped.keys()].sort()) types.set(url, this.snapshotType(url, grouped.get(url) ?? []));
    return { types };
  }

  /**
   * The interned SnapshotType of one type's resources (any order): an equal set seen before gives the same object.
   * Throws when two resources share a name.
   */
  snapshotType(typeUrl: string, resources: readonly Resource[]): SnapshotType {
    // Fast path: the same resources in the same order as an interned set (checked entry by entry) need no re-hash.
    let listKey = `${typeUrl}\n`;
    for (const r of resources) listKey += `${r.version},`;
    const seen = this.#typesByList.get(listKey);
    if (seen && sameEntries(seen, resources)) return seen;
    const type = this.#internType(typeUrl, resources);
    this.#typesByList.set(listKey, type);
    return type;
  }

  #internType(typeUrl: string, resources: readonly Resource[]): SnapshotType {
    const list = [...resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (let i = 1; i < list.length; i++) {
      if (list[i]?.name === list[i - 1]?.name) throw new Error(`snapshot: two ${typeUrl} resources are named "${list[i]?.name}"`);
    }
    const version = typeVersion(list);
    const key = `${typeUrl}\n${version}`;
    return this.#types.get(key) ?? this.#types.set(key, { version, resources: new Map(list.map((r) => [r.name, r])) });
  }

  /** Reuse counters and how many encoded resources are alive now. */
  stats(): SharingStats {
    return { hits: this.#hits, misses: this.#misses, alive: this.#resources.size };
  }
}

/** Whether `resources`, in this order, are exactly the set's entries (same names and versions, sorted by name). */
function sameEntries(type: SnapshotType, resources: readonly Resource[]): boolean {
  if (type.resources.size !== resources.length) return false;
  let i = 0;
  for (const [name, r] of type.resources) {
    const other = resources[i++];
    if (!other || other.name !== name || other.version !== r.version || other.typeUrl !== r.typeUrl) return false;
  }
  return true;
}

/** Whether two snapshots carry the same types with the same versions (publishing the second would send nothing). */
export function sameSnapshot(a: Snapshot | undefined, b: Snapshot): boolean {
  if (!a || a.types.size !== b.types.size) return false;
  for (const [url, type] of b.types) if (a.types.get(url)?.version !== type.version) return false;
  return true;
}
