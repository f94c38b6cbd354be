// A Resource is one xDS object encoded once: its bytes and content version are shared by every snapshot that holds it.
import { createHash } from 'node:crypto';
import type protobuf from 'protobufjs';
import { TypeUrl, messageType } from '../envoy-api/protos.ts';

/** One encoded xDS resource; immutable, so the same object can sit in many nodes' snapshots without copies. */
export interface Resource {
  readonly name: string;
  readonly typeUrl: string;
  readonly bytes: Uint8Array;
  /** Content hash of `bytes`: equal bytes give an equal version, on every run. */
  readonly version: string;
}

/** A short, URL-safe content hash (sha256, base64url, 16 characters = 96 bits). */
export function contentVersion(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('base64url').slice(0, 16);
}

/** The field that names a resource of this type: `cluster_name` for endpoints, `name` everywhere else. */
function nameOf(typeUrl: string, value: Readonly<Record<string, unknown>>): unknown {
  return typeUrl === TypeUrl.ClusterLoadAssignment ? value['cluster_name'] : value['name'];
}

/** Options for `makeResource`. */
export interface MakeResourceOptions {
  /** Resource name when the message has no `name` field (or to override it). */
  readonly name?: string;
  /** Reject fields the message type does not have (default true): protobufjs would drop them silently. */
  readonly strict?: boolean;
}

/**
 * Encodes a plain object (snake_case fields, `@type` on every Any) into a Resource.
 * Throws an Error naming the type, the resource and the field path when the object does not fit the message.
 */
export function makeResource(typeUrl: string, value: Readonly<Record<string, unknown>>, options: MakeResourceOptions = {}): Resource {
  const name = options.name ?? nameOf(typeUrl, value);
  if (typeof name !== 'string' || name === '') {
    throw new Error(`${typeUrl}: resource has no name (set "${typeUrl === TypeUrl.ClusterLoadAssignment ? 'cluster_name' : 'name'}" or options.name)`);
  }
  let type: protobuf.Type;
  try {
    type = messageType(typeUrl);
  } catch {
    throw new Error(`${typeUrl} "${name}": no such message type in the loaded Envoy API`);
  }
  if (options.strict !== false) {
    const problem = unknownField(type, value, '');
    if (problem !== undefined) throw new Error(`${typeUrl} "${name}": unknown field ${problem}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = type.encode(type.fromObject(value)).finish();
  } catch (err) {
    throw new Error(`${typeUrl} "${name}": cannot encode: ${(err as Error).message}`);
  }
  return { name, typeUrl, bytes, version: contentVersion(bytes) };
}

/** Wraps bytes that were encoded elsewhere (e.g. by another encoder) as a Resource, without decoding them. */
export function resourceFromBytes(typeUrl: string, name: string, bytes: Uint8Array): Resource {
  return { name, typeUrl, bytes, version: contentVersion(bytes) };
}

/** Message types whose JSON form protobufjs maps by itself, so their plain-object shape is not checked here. */
const OPAQUE = new Set(['.google.protobuf.Struct', '.google.protobuf.Value', '.google.protobuf.ListValue']);

/** The path of the first field the message type lacks (following `@type` into Any), or undefined. */
function unknownField(type: protobuf.Type, value: unknown, at: string): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) return undefined;
  if (OPAQUE.has(type.fullName)) return undefined;
  if (type.fullName === '.google.protobuf.Any') return unknownInAny(value as Record<string, unknown>, at);
  for (const [key, child] of Object.entries(value)) {
    const field = type.fields[key];
    if (!field) return `${at}${key}`;
    const resolved = field.resolvedType;
    if (!resolved || !('fields' in resolved)) continue;
    const childType = resolved as protobuf.Type;
    const items: unknown[] = field.map ? Object.values(child as object) : Array.isArray(child) ? child : [child];
    for (let i = 0; i < items.length; i++) {
      const suffix = field.repeated ? `[${i}]` : '';
      const problem = unknownField(childType, items[i], `${at}${key}${suffix}.`);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

function unknownInAny(value: Readonly<Record<string, unknown>>, at: string): string | undefined {
  const url = value['@type'];
  if (typeof url !== 'string') return undefined;
  let inner: protobuf.Type;
  try {
    inner = messageType(url);
  } catch {
    return `${at}@type (no message ${url})`;
  }
  const { '@type': _drop, ...rest } = value;
  return unknownField(inner, rest, at);
}
