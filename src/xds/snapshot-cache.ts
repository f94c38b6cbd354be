// What the ADS streams read (`XdsCache`: the current snapshot of a key, and a watch for the next one), and the cache
// that holds one snapshot per key, `SnapshotCache`. The streams depend only on the interface.
import type { Snapshot } from './snapshot.ts';

/** Called with the node's new snapshot; each stream works out itself which types and resources differ. */
export type SnapshotWatcher = (snapshot: Snapshot) => void;

/**
 * What `XdsServer` and its streams need from a cache (go-control-plane's `Cache` in spirit: fetch the current state,
 * watch for the next): a stream reads its key's snapshot once and is handed every later one, and works out itself
 * which types and resources differ. `SnapshotCache` is the one implementation; a cache of one type shared by every
 * node (go-control-plane's linear cache) or one that routes types to several caches (its mux cache) would implement
 * this too, answering every key with one snapshot or merging their types.
 */
export interface XdsCache {
  /** The key's current snapshot, if it has one. */
  getSnapshot(key: string): Snapshot | undefined;
  /** Calls `watcher` with each later snapshot of the key; returns the function that stops it. */
  watch(key: string, watcher: SnapshotWatcher): () => void;
}

/** Holds the current snapshot of every node id and tells that node's streams when it changes. */
export class SnapshotCache implements XdsCache {
  readonly #snapshots = new Map<string, Snapshot>();
  readonly #watchers = new Map<string, Set<SnapshotWatcher>>();

  /** Stores the snapshot for a node and notifies every stream of that node; the same object again is a no-op. */
  setSnapshot(nodeId: string, snapshot: Snapshot): void {
    if (this.#snapshots.get(nodeId) === snapshot) return;
    this.#snapshots.set(nodeId, snapshot);
    const watchers = this.#watchers.get(nodeId);
    if (!watchers) return;
    for (const watcher of [...watchers]) {
      try {
        watcher(snapshot);
      } catch {
        // A failing watcher must not keep the others from hearing about the change.
      }
    }
  }

  /** The node's current snapshot, if one was set. */
  getSnapshot(nodeId: string): Snapshot | undefined {
    return this.#snapshots.get(nodeId);
  }

  /** Forgets the node's snapshot; its open streams keep what they have and wait for the next one. */
  clearSnapshot(nodeId: string): void {
    this.#snapshots.delete(nodeId);
  }

  /** Node ids with a snapshot, sorted. */
  nodeIds(): string[] {
    return [...this.#snapshots.keys()].sort();
  }

  /** Registers a watcher for a node id; returns the function that removes it. */
  watch(nodeId: string, watcher: SnapshotWatcher): () => void {
    let set = this.#watchers.get(nodeId);
    if (!set) this.#watchers.set(nodeId, (set = new Set()));
    set.add(watcher);
    return () => {
      const current = this.#watchers.get(nodeId);
      if (!current) return;
      current.delete(watcher);
      if (current.size === 0) this.#watchers.delete(nodeId);
    };
  }

  /** How many streams watch the node (for status pages and tests). */
  watcherCount(nodeId: string): number {
    return this.#watchers.get(nodeId)?.size ?? 0;
  }
}
