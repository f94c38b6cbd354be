// The last word on encodability: encode with the real protobufjs encoder, decode, and compare with what was meant.
// The expected decoding is derived from the input and its type (empty lists dropped, enums as names, int64 as
// numbers, bytes as base64), so any field the encoder lost or changed shows up as a difference with its path. The
// comparison first runs without building anything (roundtrip-fast-equal.ts); only a resource that differs is compared the
// slow way, which finds the path of the first difference.
import protobuf from 'protobufjs';
import { messageType } from '../envoy-api/protos.ts';
import { asObj, fieldPath, indexPath, isSet, keyPath, type Obj } from '../envoy-api/plain.ts';
import type { Report } from './problem.ts';
import { lookupMessage, resourceType, typeInfo } from './proto-types.ts';
import { sameMessage } from './roundtrip-fast-equal.ts';

/** How the decoded message is turned back into a plain object: the shape `encodeMessage` takes. */
const TO_OBJECT: protobuf.IConversionOptions = { enums: String, longs: Number, json: true, defaults: false };

function expectedScalar(field: protobuf.Field, value: unknown): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return expectedMessage(rt, value);
  if (rt instanceof protobuf.Enum) return typeof value === 'number' ? (rt.valuesById[value] ?? value) : value;
  if (field.type === 'bytes') return value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;
  if (field.type === 'float' && typeof value === 'number') return Math.fround(value);
  if (field.type.endsWith('64') && field.type !== 'double' && typeof value === 'string') return Number(value);
  return value;
}

function expectedMessage(type: protobuf.Type, value: unknown): unknown {
  const message = asObj(value);
  if (!message) return value;
  if (typeInfo(type).isAny) {
    const { '@type': url, ...payload } = message;
    const inner = typeof url === 'string' ? lookupMessage(url) : undefined;
    return inner ? { '@type': url, ...(expectedMessage(inner, payload) as Obj) } : message;
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(message)) if (!type.fields[key] && isSet(v)) out[key] = v; // lost on encoding
  for (const field of type.fieldsArray) {
    const v = message[field.name];
    if (!isSet(v)) continue;
    if (field.map) {
      const entries = Object.entries(asObj(v) ?? {}).map(([k, e]) => [k, expectedScalar(field, e)] as const);
      if (entries.length > 0) out[field.name] = Object.fromEntries(entries);
    } else if (field.repeated) {
      if (Array.isArray(v) && v.length > 0) out[field.name] = v.map((item) => expectedScalar(field, item));
    } else {
      out[field.name] = expectedScalar(field, v); // protobufjs writes explicitly set defaults too
    }
  }
  return out;
}

/** The path of the first place two plain values differ, or undefined when they are equal. */
function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return path;
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], indexPath(path, i));
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const oa = asObj(a);
  const ob = asObj(b);
  if (oa || ob) {
    if (!oa || !ob) return path;
    for (const k of [...new Set([...Object.keys(oa), ...Object.keys(ob)])].sort()) {
      const child = k.startsWith('@') || !/^\w+$/.test(k) ? keyPath(path, k) : fieldPath(path, k);
      const d = firstDifference(oa[k], ob[k], child);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return Object.is(a, b) || a === b ? undefined : path;
}

function at(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const part of path.match(/[^.[\]"]+/g) ?? []) {
    current = Array.isArray(current) ? current[Number(part)] : asObj(current)?.[part];
  }
  return current;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Encodes and decodes the resource with the real encoder; reports a throw or any field that did not survive. */
export function checkRoundTrip(typeUrl: string, resource: object, report: Report): void {
  let decoded: unknown;
  let type: protobuf.Type;
  try {
    type = resourceType(typeUrl) ?? messageType(typeUrl);
    decoded = type.toObject(type.decode(type.encode(type.fromObject(resource)).finish()), TO_OBJECT);
  } catch (error) {
    report('', 'proto.encode', `the protobuf encoder rejected it: ${errorText(error)}`);
    return;
  }
  const message = asObj(resource);
  if (message && sameMessage(typeInfo(type), message, decoded)) return;
  const expected = expectedMessage(type, resource);
  const diff = firstDifference(expected, decoded, '');
  if (diff === undefined) return;
  const sent = JSON.stringify(at(expected, diff)) ?? 'nothing';
  const got = JSON.stringify(at(decoded, diff)) ?? 'nothing';
  report(diff, 'proto.roundtrip', `did not survive encoding: sent ${sent}, decoded ${got}`);
}
