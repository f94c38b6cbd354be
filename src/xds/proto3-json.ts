// Canonical proto3 JSON of any message in Envoy's API, as Envoy's admin prints it: proto field names, fields in
// field-number order, implicit-presence defaults left out, well-known types in their JSON forms, `@type` on every Any.
// One printer for every place biplane shows Envoy resources (translate, config dumps, golden files).
import protobuf from 'protobufjs';
import { envoyRoot, messageType } from '../envoy-api/protos.ts';
import {
  bytesText,
  durationText,
  fieldMaskPathText,
  floatJson,
  Proto3JsonError,
  timestampText,
  type JsonValue,
} from './proto3-json-text.ts';

export { Proto3JsonError, type JsonValue } from './proto3-json-text.ts';

type Msg = Record<string, unknown>;
type Json = { [key: string]: JsonValue };

const WKT = '.google.protobuf.';
const WRAPPERS = ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((w) => `${w}Value`);
const SPECIAL = new Set([...WRAPPERS, 'Any', 'Duration', 'Timestamp', 'FieldMask', 'Struct', 'Value', 'ListValue'].map((w) => `${WKT}${w}`));

/** Whether a message type has a JSON form other than an object of its fields (so inside an Any it sits in `value`). */
export function hasSpecialJson(type: protobuf.Type): boolean {
  return SPECIAL.has(type.fullName);
}

const sorted = new WeakMap<protobuf.Type, readonly protobuf.Field[]>();

/** A type's fields, resolved, in field-number order (the order Envoy's printer uses). */
export function fieldsInOrder(type: protobuf.Type): readonly protobuf.Field[] {
  let fields = sorted.get(type);
  if (!fields) {
    fields = type.fieldsArray.map((f) => f.resolve()).sort((a, b) => a.id - b.id);
    sorted.set(type, fields);
  }
  return fields;
}

/** The field with number `id` (well-known types are looked up by number: protobufjs spells some in camelCase). */
export function fieldNumbered(type: protobuf.Type, id: number): protobuf.Field {
  const field = type.fieldsById[id];
  if (!field) throw new Proto3JsonError(`${type.fullName} has no field ${id}`);
  return field.resolve();
}

/** The message type an Any's type URL names (everything after the last `/`). */
export function anyType(typeUrl: string): protobuf.Type {
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const found = name ? envoyRoot().lookup(name) : null;
  if (!(found instanceof protobuf.Type)) throw new Proto3JsonError(`Any names a type biplane does not know: ${JSON.stringify(typeUrl)}`);
  return found;
}

/** Whether a 64-bit value (protobufjs Long, number or string) is zero. */
function isZeroLong(v: unknown): boolean {
  return typeof v === 'object' && v !== null ? (v as protobuf.Long).low === 0 && (v as protobuf.Long).high === 0 : Number(v) === 0;
}

/**
 * Whether a field is printed: repeated and map fields when not empty, messages and oneof members (explicit presence)
 * when set on the message itself (protobufjs puts defaults on the prototype), other scalars when not the default.
 */
function present(field: protobuf.Field, msg: Msg): boolean {
  const v = msg[field.name];
  if (v === null || v === undefined) return false;
  if (field.map) return Object.keys(v).length > 0;
  if (field.repeated) return (v as unknown[]).length > 0;
  if (field.partOf || field.resolvedType instanceof protobuf.Type) return Object.prototype.hasOwnProperty.call(msg, field.name);
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v !== '';
  if (typeof v === 'boolean') return v;
  if (typeof v === 'object' && 'length' in v) return (v as ArrayLike<number>).length > 0;
  return !isZeroLong(v);
}

/** A 64-bit integer as its decimal string, whatever protobufjs holds it as (Long, number or string). */
function longText(v: unknown, unsigned: boolean): string {
  if (typeof v === 'object' && v !== null) {
    const { low, high } = v as protobuf.Long;
    const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
    return (unsigned ? bits : BigInt.asIntN(64, bits)).toString();
  }
  return String(v);
}

/** One value of a field (an element, for repeated and map fields) as JSON. */
function valueJson(field: protobuf.Field, v: unknown): JsonValue {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return messageJson(t, v as Msg);
  if (t instanceof protobuf.Enum) return t.fullName === '.google.protobuf.NullValue' ? null : (t.valuesById[v as number] ?? (v as number));
  switch (field.type) {
    case 'double':
    case 'float':
      return floatJson(v as number, field.type === 'float');
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return longText(v, false);
    case 'uint64':
    case 'fixed64':
      return longText(v, true);
    case 'bytes':
      return bytesText(bytesOf(v));
    default:
      return v as number | string | boolean;
  }
}

/** Bytes as protobufjs may hold them: a Uint8Array or Buffer, a plain array (its default), or base64 text. */
function bytesOf(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  return typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'base64')) : Uint8Array.from(v as ArrayLike<number>);
}

/** A map key as JSON's string key (protobufjs keys 64-bit maps by an 8-character hash). */
function mapKey(field: protobuf.MapField, key: string): string {
  if (key.length === 8 && /64$/.test(field.keyType)) {
    const { lo, hi } = protobuf.util.LongBits.fromHash(key);
    return longText({ low: lo, high: hi }, /^u|^fixed/.test(field.keyType));
  }
  return key;
}

/** A present field's JSON. */
function fieldJson(field: protobuf.Field, v: unknown): JsonValue {
  if (field.map) {
    const out: Json = {};
    for (const [k, x] of Object.entries(v as Msg)) out[mapKey(field as unknown as protobuf.MapField, k)] = valueJson(field, x);
    return out;
  }
  if (field.repeated) return (v as unknown[]).map((x) => valueJson(field, x));
  return valueJson(field, v);
}

/** A message's JSON: a well-known type's own form, else its present fields by proto name. */
function messageJson(type: protobuf.Type, msg: Msg): JsonValue {
  const special = type.fullName.startsWith(WKT) ? SPECIAL_WRITERS[type.fullName.slice(WKT.length)] : undefined;
  if (special) return special(type, msg);
  const out: Json = {};
  for (const field of fieldsInOrder(type)) {
    if (present(field, msg)) out[field.name] = fieldJson(field, msg[field.name]);
  }
  return out;
}

/** The value of a well-known type's field `id`, or that field's default when it is unset. */
function wktField(type: protobuf.Type, msg: Msg, id: number): { field: protobuf.Field; value: unknown } {
  const field = fieldNumbered(type, id);
  const value = msg[field.name];
  return { field, value: value ?? field.typeDefault };
}

function seconds(type: protobuf.Type, msg: Msg): { s: bigint; n: number } {
  return { s: BigInt(longText(wktField(type, msg, 1).value, false)), n: Number(wktField(type, msg, 2).value ?? 0) };
}

/** The Value oneof's JSON; NaN and infinities have none. */
function valueMessageJson(type: protobuf.Type, msg: Msg): JsonValue {
  for (const id of [1, 2, 3, 4, 5, 6]) {
    const field = fieldNumbered(type, id);
    const v = msg[field.name];
    if (v === undefined || v === null || !Object.prototype.hasOwnProperty.call(msg, field.name)) continue;
    if (id === 2 && !Number.isFinite(v)) throw new Proto3JsonError(`google.protobuf.Value cannot hold ${String(v)}`);
    return valueJson(field, v);
  }
  throw new Proto3JsonError('google.protobuf.Value with no kind set has no JSON form');
}

/** An Any as `{"@type": url, ...fields}`, or `{"@type": url, "value": json}` for a well-known type. */
function anyJson(type: protobuf.Type, msg: Msg): JsonValue {
  const url = String(wktField(type, msg, 1).value ?? '');
  const bytes = (wktField(type, msg, 2).value ?? new Uint8Array()) as Uint8Array;
  if (url === '') {
    if (bytes.length > 0) throw new Proto3JsonError('Any with a value but no type URL');
    return {};
  }
  const inner = anyType(url);
  const json = messageJson(inner, inner.decode(bytes) as unknown as Msg);
  return hasSpecialJson(inner) ? { '@type': url, value: json } : { '@type': url, ...(json as Json) };
}

const SPECIAL_WRITERS: Readonly<Record<string, (type: protobuf.Type, msg: Msg) => JsonValue>> = {
  Any: anyJson,
  Duration: (type, msg) => {
    const { s, n } = seconds(type, msg);
    return durationText(s, n);
  },
  Timestamp: (type, msg) => {
    const { s, n } = seconds(type, msg);
    return timestampText(s, n);
  },
  FieldMask: (type, msg) => ((wktField(type, msg, 1).value ?? []) as string[]).map(fieldMaskPathText).join(','),
  Struct: (type, msg) => {
    const { field, value } = wktField(type, msg, 1);
    return fieldJson(field, value ?? {});
  },
  Value: valueMessageJson,
  ListValue: (type, msg) => {
    const { field, value } = wktField(type, msg, 1);
    return fieldJson(field, value ?? []);
  },
  ...Object.fromEntries(
    WRAPPERS.map((name) => [
      name,
      (type: protobuf.Type, msg: Msg): JsonValue => {
        const { field, value } = wktField(type, msg, 1);
        return valueJson(field, value);
      },
    ]),
  ),
};

/** Canonical proto3 JSON of a message given as its encoded bytes, or as a plain object in the encoder's shape. */
export function toProto3Json(typeNameOrUrl: string, message: Uint8Array | object): JsonValue {
  const type = messageType(typeNameOrUrl);
  const decoded = message instanceof Uint8Array ? type.decode(message) : type.fromObject(message as Msg);
  return messageJson(type, decoded as unknown as Msg);
}
