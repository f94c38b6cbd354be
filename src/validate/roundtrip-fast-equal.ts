// The fast half of the round trip: decides, without building anything, whether the decoded object equals what the
// input was meant to encode to (the rules of roundtrip.ts: empty lists dropped, enum numbers as names, int64 text as
// numbers, bytes as base64, floats rounded). It answers "equal" only when the slow comparison would find no
// difference; any doubt answers "not equal" and the slow comparison then finds (or clears) the difference.
import { asObj, isSet, type Obj } from '../envoy-api/plain.ts';
import { lookupMessage, typeInfo, type FieldInfo, type TypeInfo } from './proto-types.ts';

function sameScalar(field: FieldInfo, value: unknown, decoded: unknown): boolean {
  if (field.message) {
    const message = asObj(value);
    return message !== undefined && sameMessage(typeInfo(field.message), message, decoded);
  }
  let expected = value;
  if (field.enumType) {
    if (typeof value === 'number') expected = field.enumType.valuesById[value] ?? value;
  } else if (field.scalar === 'bytes') {
    if (value instanceof Uint8Array) expected = Buffer.from(value).toString('base64');
  } else if (field.scalar === 'float') {
    if (typeof value === 'number') expected = Math.fround(value);
  } else if (field.scalar.endsWith('64') && field.scalar !== 'double' && typeof value === 'string') {
    expected = Number(value);
  }
  if (typeof expected === 'object' && expected !== null) return false;
  return Object.is(expected, decoded) || expected === decoded;
}

function sameList(field: FieldInfo, value: unknown, decoded: unknown): boolean {
  if (!Array.isArray(value) || value.length === 0) return decoded === undefined;
  if (!Array.isArray(decoded) || decoded.length !== value.length) return false;
  for (let i = 0; i < value.length; i++) if (!sameScalar(field, value[i], decoded[i])) return false;
  return true;
}

function sameMap(field: FieldInfo, value: unknown, decoded: unknown): boolean {
  const entries = asObj(value) ?? {};
  const keys = Object.keys(entries);
  if (keys.length === 0) return decoded === undefined;
  const got = asObj(decoded);
  if (!got || Object.keys(got).length !== keys.length) return false;
  for (const key of keys) if (!sameScalar(field, entries[key], got[key])) return false;
  return true;
}

function definedKeys(object: Obj): number {
  let n = 0;
  for (const key in object) if (object[key] !== undefined) n += 1;
  return n;
}

/** Every set field of `message` (but `skip`) matches `decoded`, and `decoded` holds nothing else. */
function sameFields(info: TypeInfo, message: Obj, skip: string | undefined, decoded: Obj, counted: number): boolean {
  let expected = counted;
  for (const key of Object.keys(message)) {
    if (key === skip) continue;
    const value = message[key];
    if (!isSet(value)) continue;
    const field = info.byName.get(key);
    if (!field) return false;
    const got = decoded[key];
    if (field.map ? !sameMap(field, value, got) : field.repeated ? !sameList(field, value, got) : !sameScalar(field, value, got)) return false;
    if (got !== undefined) expected += 1;
  }
  return definedKeys(decoded) === expected;
}

/** Whether `decoded` (protobufjs `toObject` output, JSON style) is exactly what `message` should decode to. */
export function sameMessage(info: TypeInfo, message: Obj, decoded: unknown): boolean {
  const got = asObj(decoded);
  if (!got) return false;
  if (!info.isAny) return sameFields(info, message, undefined, got, 0);
  const url = message['@type'];
  const inner = typeof url === 'string' ? lookupMessage(url) : undefined;
  if (!inner || got['@type'] !== url) return false;
  return sameFields(typeInfo(inner), message, '@type', got, 1);
}
