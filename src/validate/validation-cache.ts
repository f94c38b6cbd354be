// Memoised per-resource validation. The problems of one resource depend only on its type URL, its content and the
// client (Envoy or gRPC), so a server that rebuilds 1,000 alike snapshots, or the same snapshot after an unrelated
// change, validates each distinct resource once. Keys are content keys: a caller that already hashes its resources
// (the server does, to share encoded copies) passes its own; the default is a SHA-256 of a key-sorted JSON text.
import { createHash } from 'node:crypto';
import type { ResourceProblem } from '../envoy-api/problem.ts';

/** A content key of one resource: equal keys must mean equal content (the cache trusts it). */
export type KeyOf = (typeUrl: string, resource: object) => string;

const MAX_KEY_DEPTH = 200;

function writeNumber(value: number): string {
  if (Object.is(value, -0)) return '#-0';
  return Number.isFinite(value) ? String(value) : `#${value}`;
}

function writeArray(value: readonly unknown[], depth: number): string {
  let out = '[';
  for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + writeStable(value[i], depth + 1);
  return `${out}]`;
}

function writeRecord(record: Readonly<Record<string, unknown>>, depth: number): string {
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${writeStable(v, depth + 1)}`;
    first = false;
  }
  return `${out}}`;
}

/** A key-sorted JSON-like text of `value`; values JSON cannot tell apart get tokens JSON never writes. */
function writeStable(value: unknown, depth: number): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return writeNumber(value);
  if (typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object') return 'undefined';
  if (depth > MAX_KEY_DEPTH) throw new RangeError(`nests deeper than ${MAX_KEY_DEPTH} levels`);
  if (ArrayBuffer.isView(value)) return `b"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"`;
  if (Array.isArray(value)) return writeArray(value, depth);
  return writeRecord(value as Readonly<Record<string, unknown>>, depth);
}

/** A text that is equal for two values exactly when they have the same content (object key order ignored). */
export function stableJson(value: unknown): string {
  return writeStable(value, 0);
}

/** The default content key: SHA-256 of `stableJson`, so the cache holds short keys however large resources are. */
export const contentKey: KeyOf = (_typeUrl, resource) => createHash('sha256').update(stableJson(resource)).digest('base64url');

/**
 * Per-resource validation results by content key (client and type URL included by the caller of `get`/`set`),
 * bounded: past `maxEntries` the least recently used entry goes. Counters show whether it is being hit.
 */
export class ValidationCache {
  readonly maxEntries: number;
  readonly #entries = new Map<string, readonly ResourceProblem[]>();
  #hits = 0;
  #misses = 0;

  constructor(maxEntries = 100_000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`ValidationCache maxEntries must be a positive integer, got ${maxEntries}`);
    this.maxEntries = maxEntries;
  }

  /** Lookups answered from the cache. */
  get hits(): number {
    return this.#hits;
  }

  /** Lookups that had to validate. */
  get misses(): number {
    return this.#misses;
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** The remembered problems for a key (marking it recently used), or undefined, counting a hit or a miss. */
  get(key: string): readonly ResourceProblem[] | undefined {
    const found = this.#entries.get(key);
    if (found === undefined) {
      this.#misses += 1;
      return undefined;
    }
    this.#hits += 1;
    this.#entries.delete(key);
    this.#entries.set(key, found);
    return found;
  }

  /** Remembers the problems of a key, dropping the least recently used entry when full. */
  set(key: string, problems: readonly ResourceProblem[]): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, Object.freeze(problems.map((p) => Object.freeze({ ...p }))));
  }

  /** Forgets everything (counters stay). */
  clear(): void {
    this.#entries.clear();
  }
}
