// The RFC 6902 JSON Patch that turns one JSON value into another, as an admission webhook answers: objects are
// walked key by key (added, removed, replaced), anything else that differs (arrays included) is replaced whole.
import { isDeepStrictEqual } from 'node:util';

/** One JSON Patch operation (only the three a diff needs). */
export type PatchOperation =
  | { readonly op: 'add' | 'replace'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON Pointer segment for `key` (RFC 6901: `~` as `~0`, `/` as `~1`). */
export function pointerSegment(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** The operations that make `before` equal `after`, parents before children; empty when they are equal. */
export function jsonPatch(before: unknown, after: unknown, path = ''): PatchOperation[] {
  if (isDeepStrictEqual(before, after)) return [];
  if (!isRecord(before) || !isRecord(after)) return [{ op: 'replace', path, value: after }];
  const ops: PatchOperation[] = [];
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) ops.push({ op: 'remove', path: `${path}/${pointerSegment(key)}` });
  }
  for (const [key, value] of Object.entries(after)) {
    const at = `${path}/${pointerSegment(key)}`;
    if (!Object.hasOwn(before, key)) ops.push({ op: 'add', path: at, value });
    else ops.push(...jsonPatch(before[key], value, at));
  }
  return ops;
}
