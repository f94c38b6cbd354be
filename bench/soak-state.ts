// The soak's accounting, pure: what each stream holds (resource name → content hash, per type), built from raw
// (Delta)DiscoveryResponse bytes, and how a stream's holdings compare with a fresh subscriber's (the expected state).
import { createHash } from 'node:crypto';
import { TypeUrl } from '../src/envoy-api/protos.ts';
import { varint } from './wire.ts';

/** Type URL → resource name → hash of the resource's bytes. */
export type Holdings = Map<string, Map<string, string>>;

/** Types whose SotW responses carry the complete set (EDS and RDS ones carry only what changed). */
const COMPLETE_IN_SOTW = new Set<string>([TypeUrl.Cluster, TypeUrl.Listener]);

type Field = { readonly field: number; readonly bytes: Uint8Array };

/** The length-delimited fields of one message, in order (varints are skipped; other wire types are an error). */
export function lengthFields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = varint(buf, pos);
    if ((key & 7) === 0) {
      pos = varint(buf, afterKey)[1];
      continue;
    }
    if ((key & 7) !== 2) throw new Error(`unexpected wire type ${key & 7}`);
    const [length, start] = varint(buf, afterKey);
    out.push({ field: Math.floor(key / 8), bytes: buf.subarray(start, start + length) });
    pos = start + length;
  }
  return out;
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
/** A singular field's value: the last occurrence wins, as protobuf parsers do (the server appends each stream's nonce). */
const first = (fields: readonly Field[], n: number): Uint8Array | undefined => fields.findLast((f) => f.field === n)?.bytes;
const hash = (b: Uint8Array): string => createHash('sha1').update(b).digest('hex').slice(0, 16);

/** A resource's name: field 1 of Listener, Cluster, RouteConfiguration and ClusterLoadAssignment alike. */
function resourceName(value: Uint8Array): string {
  return text(first(lengthFields(value), 1) ?? new Uint8Array());
}

/** What one response says: its type, nonce and version, resources (name → hash) and removed names. */
export interface ParsedResponse {
  readonly typeUrl: string;
  readonly version: string;
  readonly nonce: string;
  readonly resources: ReadonlyMap<string, string>;
  readonly removed: readonly string[];
}

/** Reads a SotW DiscoveryResponse (2 resources as Any, 4 type_url, 5 nonce, 1 version_info). */
export function parseSotw(buf: Uint8Array): ParsedResponse {
  const fields = lengthFields(buf);
  const resources = new Map<string, string>();
  for (const f of fields.filter((x) => x.field === 2)) {
    const value = first(lengthFields(f.bytes), 2) ?? new Uint8Array();
    resources.set(resourceName(value), hash(value));
  }
  return { typeUrl: text(first(fields, 4) ?? new Uint8Array()), version: text(first(fields, 1) ?? new Uint8Array()), nonce: text(first(fields, 5) ?? new Uint8Array()), resources, removed: [] };
}

/** Reads a DeltaDiscoveryResponse (2 Resource{3 name, 2 Any}, 4 type_url, 5 nonce, 6 removed_resources). */
export function parseDelta(buf: Uint8Array): ParsedResponse {
  const fields = lengthFields(buf);
  const resources = new Map<string, string>();
  for (const f of fields.filter((x) => x.field === 2)) {
    const inner = lengthFields(f.bytes);
    const value = first(lengthFields(first(inner, 2) ?? new Uint8Array()), 2) ?? new Uint8Array();
    resources.set(text(first(inner, 3) ?? new Uint8Array()), hash(value));
  }
  const removed = fields.filter((x) => x.field === 6).map((x) => text(x.bytes));
  return { typeUrl: text(first(fields, 4) ?? new Uint8Array()), version: text(first(fields, 1) ?? new Uint8Array()), nonce: text(first(fields, 5) ?? new Uint8Array()), resources, removed };
}

/** Applies one response to a stream's holdings: SotW CDS/LDS replace the type, EDS/RDS and delta merge (delta removes). */
export function applyResponse(held: Holdings, kind: 'sotw' | 'delta', r: ParsedResponse): void {
  const complete = kind === 'sotw' && COMPLETE_IN_SOTW.has(r.typeUrl);
  const type = complete ? new Map<string, string>() : new Map(held.get(r.typeUrl) ?? []);
  for (const [name, h] of r.resources) type.set(name, h);
  for (const name of r.removed) type.delete(name);
  held.set(r.typeUrl, type);
}

/**
 * How `held` differs from `expected` (a fresh subscriber's holdings), as readable lines; empty means equal. SotW
 * streams may keep EDS/RDS resources the expected state no longer has (the protocol never removes them there).
 */
export function divergence(held: Holdings, expected: Holdings, kind: 'sotw' | 'delta'): string[] {
  const out: string[] = [];
  for (const [url, want] of expected) {
    const have = held.get(url) ?? new Map<string, string>();
    const short = url.split('.').at(-1);
    for (const [name, h] of want) {
      if (!have.has(name)) out.push(`${short} ${name}: missing`);
      else if (have.get(name) !== h) out.push(`${short} ${name}: stale`);
    }
    const extrasAllowed = kind === 'sotw' && !COMPLETE_IN_SOTW.has(url);
    if (!extrasAllowed) for (const name of have.keys()) if (!want.has(name)) out.push(`${short} ${name}: not withdrawn`);
  }
  return out;
}

/** The figures of a list of numbers the report prints: count, max and median (0 for none). */
export function summarize(values: readonly number[]): { readonly count: number; readonly max: number; readonly median: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, max: sorted.at(-1) ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0 };
}
