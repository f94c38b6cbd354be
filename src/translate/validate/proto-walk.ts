// Walks a plain object against its protobufjs message type: finds what `fromObject` would silently drop or coerce
// (unknown field names, wrong value kinds, unknown enum names, unresolvable Any types, two members of one oneof)
// and applies the PGV rules of every field on the way, descending into nested messages and Any payloads.
import protobuf from 'protobufjs';
import { envoyRoot } from '../../xds/protos.ts';
import { asObj, asStr, isSet, typeNameOf, type Obj } from './access.ts';
import { checkFieldRules, oneofRequired } from './pgv.ts';
import { fieldPath, indexPath, keyPath, type Report } from './problem.ts';

const MAX_DEPTH = 100;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const INT_LIMITS: Readonly<Record<string, readonly [number, number]>> = {
  int32: [-(2 ** 31), 2 ** 31 - 1], sint32: [-(2 ** 31), 2 ** 31 - 1], sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1], fixed32: [0, 2 ** 32 - 1],
  int64: [-(2 ** 63), 2 ** 63], sint64: [-(2 ** 63), 2 ** 63], sfixed64: [-(2 ** 63), 2 ** 63],
  uint64: [0, 2 ** 64], fixed64: [0, 2 ** 64],
};

/** The message type named by an Any's type URL, or undefined when the loaded API does not have it. */
export function lookupMessage(typeUrlOrName: string): protobuf.Type | undefined {
  try {
    const found = envoyRoot().lookup(typeNameOf(typeUrlOrName));
    return found instanceof protobuf.Type ? found : undefined;
  } catch {
    return undefined;
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Whether a scalar value is something protobufjs encodes faithfully for the proto type. */
function scalarOk(type: string, value: unknown): boolean {
  if (type === 'string') return typeof value === 'string';
  if (type === 'bool') return typeof value === 'boolean';
  if (type === 'bytes') return (typeof value === 'string' && BASE64.test(value)) || value instanceof Uint8Array;
  if (type === 'double' || type === 'float') {
    return typeof value === 'number' || value === 'NaN' || value === 'Infinity' || value === '-Infinity';
  }
  const limits = INT_LIMITS[type];
  if (!limits) return true;
  const is64 = type.endsWith('64');
  const n = typeof value === 'number' ? value : is64 && typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= limits[0] && n <= limits[1];
}

function checkValue(field: protobuf.Field, value: unknown, path: string, depth: number, report: Report): boolean {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return checkMessageAt(rt, value, path, depth + 1, report);
  if (rt instanceof protobuf.Enum) {
    if (typeof value === 'string' && rt.values[value] !== undefined) return true;
    if (typeof value === 'number' && Number.isInteger(value)) return true;
    const names = Object.keys(rt.values).join(', ');
    report(path, 'proto.enum', `${describe(value)} is not a value of enum ${rt.name} (${names})`);
    return false;
  }
  if (scalarOk(field.type, value)) return true;
  report(path, 'proto.type', `must be a ${field.type === 'bytes' ? 'bytes (base64 text or Uint8Array)' : field.type}, got ${describe(value)}`);
  return false;
}

function checkFieldShape(field: protobuf.Field, value: unknown, path: string, depth: number, report: Report): boolean {
  if (field.map) {
    const entries = asObj(value);
    if (!entries) {
      report(path, 'proto.type', `must be a map (an object), got ${describe(value)}`);
      return false;
    }
    let ok = true;
    for (const [k, v] of Object.entries(entries)) ok = checkValue(field, v, keyPath(path, k), depth, report) && ok;
    return ok;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) {
      report(path, 'proto.type', `must be an array, got ${describe(value)}`);
      return false;
    }
    let ok = true;
    value.forEach((item, i) => {
      ok = checkValue(field, item, indexPath(path, i), depth, report) && ok;
    });
    return ok;
  }
  return checkValue(field, value, path, depth, report);
}

function checkAny(any: Obj, path: string, depth: number, report: Report): boolean {
  const url = asStr(any['@type']);
  if (url === undefined) {
    report(path, 'proto.any_type', 'an Any needs "@type" naming its message');
    return false;
  }
  const inner = lookupMessage(url);
  if (!inner) {
    report(path, 'proto.any_type', `"@type" ${url} is not a message of the loaded Envoy API`);
    return false;
  }
  const { '@type': _url, ...payload } = any;
  return checkMessageAt(inner, payload, path, depth, report);
}

function unknownFieldHint(type: protobuf.Type, key: string): string {
  const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return snake !== key && type.fields[snake] ? ` (did you mean ${snake}?)` : '';
}

function checkOneofs(type: protobuf.Type, message: Obj, path: string, report: Report): void {
  for (const oneof of type.oneofsArray) {
    const set = oneof.fieldsArray.filter((f) => isSet(message[f.name])).map((f) => f.name);
    if (set.length > 1) report(path, 'proto.oneof_multiple', `sets ${set.join(' and ')}, members of one oneof ${oneof.name}`);
    if (set.length === 0 && oneofRequired(oneof)) {
      const names = oneof.fieldsArray.map((f) => f.name).join(', ');
      report(path, 'pgv.oneof.required', `needs one of ${names} (oneof ${oneof.name} is required)`);
    }
  }
}

function checkMessageAt(type: protobuf.Type, value: unknown, path: string, depth: number, report: Report): boolean {
  const message = asObj(value);
  if (!message) {
    report(path, 'proto.type', `must be a ${type.name} message (an object), got ${describe(value)}`);
    return false;
  }
  if (depth > MAX_DEPTH) {
    report(path, 'proto.depth', `nests deeper than ${MAX_DEPTH} messages`);
    return false;
  }
  if (type.fullName === '.google.protobuf.Any') return checkAny(message, path, depth, report);
  let ok = true;
  for (const key of Object.keys(message)) {
    if (type.fields[key] || !isSet(message[key])) continue;
    report(fieldPath(path, key), 'proto.unknown_field', `${type.name} has no field ${key}${unknownFieldHint(type, key)}`);
    ok = false;
  }
  checkOneofs(type, message, path, report);
  for (const field of type.fieldsArray) {
    const v = message[field.name];
    const fp = fieldPath(path, field.name);
    const shapeOk = !isSet(v) || checkFieldShape(field, v, fp, depth, report);
    if (shapeOk) checkFieldRules(field, v, fp, report);
    ok = shapeOk && ok;
  }
  return ok;
}

/** Checks a plain object against a message type and its PGV rules; true when its shape encodes faithfully. */
export function checkMessage(type: protobuf.Type, value: unknown, path: string, report: Report): boolean {
  return checkMessageAt(type, value, path, 0, report);
}

/** The name of an enum value a plain object carries as a name or a number; `fallback` when the field is unset. */
export function enumName(enumFullName: string, value: unknown, fallback: string): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'number') return fallback;
  return envoyRoot().lookupEnum(enumFullName).valuesById[value] ?? String(value);
}
