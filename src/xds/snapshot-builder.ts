// The one way snapshots are built: plain objects encoded into Resources, grouped per type URL with a content version,
// checked with `consistent()` and handed to a cache. A builder interns what it makes by content and holds it weakly,
// so resources and whole per-type sets identical across nodes are encoded and stored once, for as long as some
// snapshot still uses them. `makeSnapshot` is a throwaway builder's `snapshot()`.
import { compareStrings } from '../compare-strings.ts';
import { createHash } from 'node:crypto';
import { TypeUrl } from '../envoy-api/protos.ts';
import { makeResource } from './resource.ts';
import type { Resource } from './resource.ts';
import { consistent, typeVersion } from './snapshot.ts';
import type { Snapshot, SnapshotType } from './snapshot.ts';
import type { ResourceProblem } from '../envoy-api/problem.ts';
import { WeakValues } from './weak-values.ts';

/** The four types a snapshot carries by default, present even when empty (SotW clients then learn all are gone). */
export const DEFAULT_TYPE_URLS: readonly string[] = [TypeUrl.Listener, TypeUrl.Cluster, TypeUrl.RouteConfiguration, TypeUrl.ClusterLoadAssignment];

/** Options for `makeSnapshot` and `SnapshotBuilder.snapshot`. */
export interface MakeSnapshotOptions {
  /** Per-type version to use instead of the one derived from the resources' content (such a type is not interned). */
  readonly versions?: Readonly<Record<string, string>>;
}

/** Counters that show the sharing works: how often an encoded copy was reused instead of encoded again. */
export interface SharingStats {
  readonly hits: number;
  readonly misses: number;
  readonly alive: number;
}

/** Where a builder publishes: any cache that takes a snapshot per key (a `SnapshotCache`). */
export interface SnapshotSink {
  setSnapshot(key: string, snapshot: Snapshot): void;
}

/** What `consistent()` said about one exact combination of types (keyed by their identity, in snapshot order). */
interface Checked {
  readonly urls: string;
  /** Each type, or its name set (see `check`); held weakly, so a remembered check never keeps an old set alive. */
  readonly keys: readonly WeakRef<object>[];
  readonly problems: readonly ResourceProblem[];
}

/**
 * Builds snapshots, interning encoded resources by a hash of their plain JSON (translator output is deterministic,
 * so equal resources serialize equally) and per-type sets by their version, so 1,000 nodes that see the same cluster
 * hold one encoded copy of it and, when their whole CDS is equal, one shared CDS map. Owns all its state: two
 * builders (or two servers) share nothing.
 */
export class SnapshotBuilder {
  readonly #resources = new WeakValues<Resource>();
  readonly #types = new WeakValues<SnapshotType>();
  /** Interned sets by the versions of their resources in the order a caller gave them (no hashing needed). */
  readonly #typesByList = new WeakValues<SnapshotType>();
  readonly #keys = new WeakMap<object, string>();
  /** The encoded copy per plain object, so a node's own array of shared objects skips the content-keyed lookup. */
  readonly #byObject = new WeakMap<object, Resource>();
  /** `consistent()` results by the identity of a snapshot's types (see `check`): a re-check is a lookup. */
  readonly #checked = new WeakMap<object, Checked[]>();
  /** Name sets as objects: one per distinct set of resource names, and each type's. */
  readonly #names = new WeakValues<object>();
  readonly #nameTokens = new WeakMap<SnapshotType, object>();
  #hits = 0;
  #misses = 0;

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
  snapshot(resources: Iterable<Resource>, typeUrls: Iterable<string> = DEFAULT_TYPE_URLS, options: MakeSnapshotOptions = {}): Snapshot {
    const grouped = new Map<string, Resource[]>();
    for (const url of typeUrls) grouped.set(url, []);
    for (const r of resources) {
      const list = grouped.get(r.typeUrl);
      if (list) list.push(r);
      else grouped.set(r.typeUrl, [r]);
    }
    const types = new Map<string, SnapshotType>();
    for (const url of [...grouped.keys()].sort()) {
      const list = grouped.get(url) ?? [];
      const version = options.versions?.[url];
      types.set(url, version === undefined ? this.snapshotType(url, list) : { version, resources: byName(url, list) });
    }
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
    const sorted = byName(typeUrl, resources);
    const version = typeVersion(sorted.values());
    const key = `${typeUrl}\n${version}`;
    const type = this.#types.get(key) ?? this.#types.set(key, { version, resources: sorted });
    this.#typesByList.set(listKey, type);
    return type;
  }

  /**
   * `consistent(snapshot)`, remembered by the identity of the snapshot's types: nodes whose snapshots share their
   * interned types share one check, and a snapshot made of types checked together before costs a lookup. A
   * ClusterLoadAssignment refers to nothing, so only its names count: new endpoints under the same names (a pod came
   * or went) reuse the last answer instead of decoding every cluster and listener again.
   */
  check(snapshot: Snapshot): readonly ResourceProblem[] {
    const keys = [...snapshot.types].map(([url, type]) => (url === TypeUrl.ClusterLoadAssignment ? this.#namesOf(type) : type));
    const first = keys[0];
    if (first === undefined) return [];
    const urls = [...snapshot.types.keys()].join('\n');
    const seen = this.#checked.get(first) ?? [];
    const found = seen.find((c) => c.urls === urls && c.keys.every((k, i) => k.deref() === keys[i]));
    if (found) return found.problems;
    const checked: Checked = { urls, keys: keys.map((k) => new WeakRef(k)), problems: consistent(snapshot) };
    // Few combinations share a first key at once (one per view and generation); the oldest are forgotten.
    this.#checked.set(first, [checked, ...seen.slice(0, 7)]);
    return checked.problems;
  }

  /** One object per distinct set of names, the same for every type holding exactly those names. */
  #namesOf(type: SnapshotType): object {
    let token = this.#nameTokens.get(type);
    if (!token) {
      const key = [...type.resources.keys()].join('\n');
      token = this.#names.get(key) ?? this.#names.set(key, {});
      this.#nameTokens.set(type, token);
    }
    return token;
  }

  /**
   * Publishes through `consistent()`: hands the snapshot to the cache under `key` only when it is consistent, and
   * returns the problems otherwise (the cache keeps the key's previous snapshot).
   */
  publish(cache: SnapshotSink, key: string, snapshot: Snapshot): readonly ResourceProblem[] {
    const problems = this.check(snapshot);
    if (problems.length === 0) cache.setSnapshot(key, snapshot);
    return problems;
  }

  /** Reuse counters and how many encoded resources are alive now. */
  stats(): SharingStats {
    return { hits: this.#hits, misses: this.#misses, alive: this.#resources.size };
  }
}

/**
 * Groups resources by type URL with a content version per type (or the given one). Throws when two resources of one
 * type share a name. `typeUrls` lists types that must appear even when empty (so SotW clients learn everything of that
 * type is gone). The simplest use of a `SnapshotBuilder`: nothing is shared beyond this call.
 */
export function makeSnapshot(resources: Iterable<Resource>, options: MakeSnapshotOptions = {}, typeUrls: Iterable<string> = DEFAULT_TYPE_URLS): Snapshot {
  return new SnapshotBuilder().snapshot(resources, typeUrls, options);
}

/** Whether two snapshots carry the same types with the same versions (publishing the second would send nothing). */
export function sameSnapshot(a: Snapshot | undefined, b: Snapshot): boolean {
  if (!a || a.types.size !== b.types.size) return false;
  for (const [url, type] of b.types) if (a.types.get(url)?.version !== type.version) return false;
  return true;
}

/** One type's resources sorted by name; throws when two share a name. */
function byName(typeUrl: string, resources: readonly Resource[]): ReadonlyMap<string, Resource> {
  const list = [...resources].sort((a, b) => compareStrings(a.name, b.name));
  for (let i = 1; i < list.length; i++) {
    if (list[i]?.name === list[i - 1]?.name) throw new Error(`snapshot: two ${typeUrl} resources are named "${list[i]?.name}"`);
  }
  return new Map(list.map((r) => [r.name, r]));
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
