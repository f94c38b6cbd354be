// The one interface both sources (a manifest folder, a live cluster) implement: a set of raw objects that changes over
// time, plus the problems found reading them. The pipeline debounces `onChange` and rebuilds the model from `objects()`.
import type { ObjectKey, Problem, SourceObject } from '../model/types.ts';

/** What changed in one step: the keys added, updated or deleted. A full resync lists every key it touched. */
export interface SourceChange {
  readonly upserted: readonly ObjectKey[];
  readonly deleted: readonly ObjectKey[];
}

/** Whether a source is keeping `objects()` current: synced and applying, or why not (a failing request, a stuck read). */
export type SourceHealth = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** A running source of Kubernetes-shaped objects. */
export interface Source {
  /** Loads (lists) everything once and begins watching; resolves when the first full view is in `objects()`. */
  start(): Promise<void>;
  /** Stops watching and releases every handle (timers, sockets, file watchers). */
  stop(): Promise<void>;
  /** Every good object now known, deterministic order (kind, namespace, name). */
  objects(): readonly SourceObject[];
  /** Problems found in the input now (bad documents, failed requests): current, not a log. */
  problems(): readonly Problem[];
  /** Whether the source is synced and applying changes now; absent means always healthy once started. */
  health?(): SourceHealth;
  /** Called after each change is applied to `objects()`. Returns an unsubscribe function. */
  onChange(listener: (change: SourceChange) => void): () => void;
}
