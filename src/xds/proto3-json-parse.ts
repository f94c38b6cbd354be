// The inverse of `toProto3Json`: proto3 JSON (proto or lowerCamelCase field names, every well-known type's JSON
// form, `@type` on Any) read into a message and encoded, so a printed dump can be fed back to the encoder. Defaults of
// implicit-presence fields are dropped, so the bytes are the canonical encoding any conformant encoder produces.
import protobuf from 'protobufjs';
import { anyType, fieldNumbered, fieldsInOrder, hasSpecialJson } from './proto3-json.ts';
import {
  fieldMaskPathOf,
  parseBytes,
  parseDuration,
  parseFloatJson,
  parseIntegerJson,
  parseTimestamp,
  Proto3JsonError,
  type JsonValue,
} from './proto3-json-text.ts';
import { messageType } from '../envoy-api/protos.ts';

type Obj = Record<string, unknown>;
type JsonObject = { readonly [key: string]: JsonValue };

const byJsonName = new WeakMap<protobuf.Type, ReadonlyMap<string, protobuf.Field>>();

/** A type's fields by every name proto3 JSON accepts: the proto name and the JSON (lowerCamelCase) name. */
function fieldsByName(type: protobuf.Type): ReadonlyMap<string, protobuf.Field> {
  let names = byJsonName.get(type);
  if (!names) {
    const map = new Map<string, protobuf.Field>();
    for (const f of fieldsInOrder(type)) {
      map.set(f.name, f);
      const json = (f.options?.['json_name'] as string | undefined) ?? f.name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      map.set(json, f);
    }
    names = map;
    byJsonName.set(type, names);
  }
  return names;
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function expectObject(v: JsonValue, where: string): JsonObject {
  if (!isObject(v)) throw new Proto3JsonError(`${where}: expected an object, got ${JSON.stringify(v)}`);
  return v;
}

/** Whether a parsed scalar is its type's default, which an implicit-presence field does not encode. */
function isDefault(v: unknown): boolean {
  return v === 0 || v === false || v === '' || v === '0' || (v instanceof Uint8Array && v.length === 0);
}

/** A scalar or enum in protobufjs' `fromObject` shape (64-bit integers as decimal strings). */
function scalarValue(field: protobuf.Field, v: JsonValue, where: string): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Enum) {
    if (t.fullName === '.google.protobuf.NullValue' && v === null) return 0;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    const n = typeof v === 'string' ? t.values[v] : undefined;
    if (n === undefined) throw new Proto3JsonError(`${where}: ${JSON.stringify(v)} is not a value of ${t.fullName.slice(1)}`);
    return n;
  }
  switch (field.type) {
    case 'double':
    case 'float':
      return parseFloatJson(v, field.type === 'float');
    case 'bool':
      if (typeof v !== 'boolean') throw new Proto3JsonError(`${where}: expected true or false, got ${JSON.stringify(v)}`);
      return v;
    case 'string':
      if (typeof v !== 'string') throw new Proto3JsonError(`${where}: expected a string, got ${JSON.stringify(v)}`);
      return v;
    case 'bytes':
      return parseBytes(v);
    default: {
      const n = parseIntegerJson(v, field.type);
      return /64$/.test(field.type) ? n.toString() : Number(n);
    }
  }
}

/** One element of a field (a repeated element, map value or the singular value). */
function elementValue(field: protobuf.Field, v: JsonValue, where: string): unknown {
  const t = field.resolvedType;
  return t instanceof protobuf.Type ? messageObject(t, v, where) : scalarValue(field, v, where);
}

/** A map key from its JSON string, checked against the key type. */
function mapKey(field: protobuf.MapField, key: string, where: string): string {
  if (field.keyType === 'string') return key;
  if (field.keyType === 'bool') {
    if (key !== 'true' && key !== 'false') throw new Proto3JsonError(`${where}: bad bool map key ${JSON.stringify(key)}`);
    return key;
  }
  return parseIntegerJson(key, field.keyType).toString();
}

/** A field's value, or undefined when it is left out (null, empty, or an implicit-presence default). */
function fieldValue(field: protobuf.Field, v: JsonValue, where: string): unknown {
  const valueType = field.resolvedType instanceof protobuf.Type ? field.resolvedType.fullName : '';
  const nullable = valueType === '.google.protobuf.Value' || field.resolvedType?.fullName === '.google.protobuf.NullValue';
  if (v === null && !(nullable && !field.repeated && !field.map)) return undefined;
  if (field.map) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(expectObject(v, where))) {
      out[mapKey(field as unknown as protobuf.MapField, k, where)] = elementValue(field, x, `${where}[${JSON.stringify(k)}]`);
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (field.repeated) {
    if (!Array.isArray(v)) throw new Proto3JsonError(`${where}: expected an array, got ${JSON.stringify(v)}`);
    const list = (v as readonly JsonValue[]).map((x, i) => elementValue(field, x, `${where}[${i}]`));
    return list.length > 0 ? list : undefined;
  }
  const value = elementValue(field, v, where);
  return field.partOf || field.resolvedType instanceof protobuf.Type || !isDefault(value) ? value : undefined;
}

/** The value of a well-known type's field `id` as `{ name: value }`, empty when it is the default. */
function wkt(type: protobuf.Type, id: number, value: unknown): Obj {
  return isDefault(value) ? {} : { [fieldNumbered(type, id).name]: value };
}

/** A Value from any JSON. */
function valueOf(type: protobuf.Type, v: JsonValue, where: string): Obj {
  const kind = v === null ? 1 : typeof v === 'number' ? 2 : typeof v === 'string' ? 3 : typeof v === 'boolean' ? 4 : Array.isArray(v) ? 6 : 5;
  return { [fieldNumbered(type, kind).name]: kind === 1 ? 0 : elementValue(fieldNumbered(type, kind), v, where) };
}

/** An Any: the payload type from `@type`, its fields inline or, for a well-known type, under `value`. */
function anyOf(type: protobuf.Type, v: JsonValue, where: string): Obj {
  const json = expectObject(v, where);
  const url = json['@type'];
  if (url === undefined && Object.keys(json).length === 0) return {};
  if (typeof url !== 'string') throw new Proto3JsonError(`${where}: an Any needs "@type"`);
  const inner = anyType(url);
  const { '@type': _, ...rest } = json;
  let payload: JsonValue;
  if (hasSpecialJson(inner)) {
    if (Object.keys(rest).some((k) => k !== 'value') || !('value' in rest)) {
      throw new Proto3JsonError(`${where}: an Any of ${url} holds exactly "@type" and "value"`);
    }
    payload = rest['value'] as JsonValue;
  } else payload = rest;
  const bytes = inner.encode(inner.fromObject(messageObject(inner, payload, `${where}<${inner.name}>`))).finish();
  return { ...wkt(type, 1, url), ...wkt(type, 2, bytes) };
}

const WKT = '.google.protobuf.';

const SPECIAL_READERS: Readonly<Record<string, (type: protobuf.Type, v: JsonValue, where: string) => Obj>> = {
  Any: anyOf,
  Duration: (type, v) => {
    const d = parseDuration(typeof v === 'string' ? v : JSON.stringify(v));
    return { ...wkt(type, 1, d.seconds.toString()), ...wkt(type, 2, d.nanos) };
  },
  Timestamp: (type, v) => {
    const t = parseTimestamp(typeof v === 'string' ? v : JSON.stringify(v));
    return { ...wkt(type, 1, t.seconds.toString()), ...wkt(type, 2, t.nanos) };
  },
  FieldMask: (type, v, where) => {
    if (typeof v !== 'string') throw new Proto3JsonError(`${where}: a FieldMask is a string`);
    const paths = v === '' ? [] : v.split(',').map(fieldMaskPathOf);
    return paths.length > 0 ? { [fieldNumbered(type, 1).name]: paths } : {};
  },
  Struct: (type, v, where) => {
    const fields = fieldValue(fieldNumbered(type, 1), expectObject(v, where), where);
    return fields === undefined ? {} : { [fieldNumbered(type, 1).name]: fields };
  },
  Value: valueOf,
  ListValue: (type, v, where) => {
    if (!Array.isArray(v)) throw new Proto3JsonError(`${where}: a ListValue is an array`);
    const values = fieldValue(fieldNumbered(type, 1), v, where);
    return values === undefined ? {} : { [fieldNumbered(type, 1).name]: values };
  },
};

/** A message in protobufjs' `fromObject` shape from its proto3 JSON. */
function messageObject(type: protobuf.Type, v: JsonValue, where: string): Obj {
  const name = type.fullName.startsWith(WKT) ? type.fullName.slice(WKT.length) : '';
  const special = SPECIAL_READERS[name];
  if (special) return special(type, v, where);
  if (/^(Double|Float|U?Int(32|64)|Bool|String|Bytes)Value$/.test(name)) return wkt(type, 1, scalarValue(fieldNumbered(type, 1), v, where));
  const out: Obj = {};
  const names = fieldsByName(type);
  const oneofs = new Map<string, string>();
  for (const [key, value] of Object.entries(expectObject(v, where))) {
    const field = names.get(key);
    if (!field) throw new Proto3JsonError(`${where}: ${type.fullName.slice(1)} has no field ${JSON.stringify(key)}`);
    if (field.name in out) throw new Proto3JsonError(`${where}: field ${field.name} given twice`);
    const parsed = fieldValue(field, value, `${where}.${field.name}`);
    if (parsed === undefined) continue;
    const other = field.partOf ? oneofs.get(field.partOf.name) : undefined;
    if (other) throw new Proto3JsonError(`${where}: ${field.name} and ${other} are in the same oneof`);
    if (field.partOf) oneofs.set(field.partOf.name, field.name);
    out[field.name] = parsed;
  }
  return out;
}

/** Reads proto3 JSON as the message `typeNameOrUrl` and returns its canonical encoding. */
export function fromProto3Json(typeNameOrUrl: string, json: JsonValue): Uint8Array {
  const type = messageType(typeNameOrUrl);
  return type.encode(type.fromObject(messageObject(type, json, type.name))).finish();
}
