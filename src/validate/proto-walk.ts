// Walks a plain object against its protobufjs message type: finds what `fromObject` would silently drop or coerce
// (unknown field names, wrong value kinds, unknown enum names, unresolvable Any types, two members of one oneof)
// and applies the PGV rules of every field on the way, descending into nested messages and Any payloads. Types are
// read through the precomputed tables of proto-types.ts, and paths are spelled out only for a reported problem.
import protobuf from 'protobufjs';
import { asObj, asStr, isSet, type Obj } from '../envoy-api/plain.ts';
import { checkFieldRules } from './pgv.ts';
import { locField, locIndex, locKey, locReport, type Loc, type LocReport, type Report } from './problem.ts';
import { lookupMessage, typeInfo, type FieldInfo, type TypeInfo } from './proto-types.ts';

const MAX_DEPTH = 100;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const INT_LIMITS: Readonly<Record<string, readonly [number, number]>> = {
  int32: [-(2 ** 31), 2 ** 31 - 1], sint32: [-(2 ** 31), 2 ** 31 - 1], sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1], fixed32: [0, 2 ** 32 - 1],
  int64: [-(2 ** 63), 2 ** 63], sint64: [-(2 ** 63), 2 ** 63], sfixed64: [-(2 ** 63), 2 ** 63],
  uint64: [0, 2 ** 64], fixed64: [0, 2 ** 64],
};

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

function checkValue(field: FieldInfo, value: unknown, path: Loc | undefined, depth: number, report: LocReport): boolean {
  if (field.message) return checkMessageAt(typeInfo(field.message), value, path, depth + 1, report);
  const e = field.enumType;
  if (e) {
    if (typeof value === 'string' && e.values[value] !== undefined) return true;
    if (typeof value === 'number' && Number.isInteger(value)) return true;
    const names = Object.keys(e.values).join(', ');
    report(path, 'proto.enum', `${describe(value)} is not a value of enum ${e.name} (${names})`);
    return false;
  }
  if (scalarOk(field.scalar, value)) return true;
  report(path, 'proto.type', `must be a ${field.scalar === 'bytes' ? 'bytes (base64 text or Uint8Array)' : field.scalar}, got ${describe(value)}`);
  return false;
}

function checkFieldShape(field: FieldInfo, value: unknown, path: Loc, depth: number, report: LocReport): boolean {
  if (field.map) {
    const entries = asObj(value);
    if (!entries) {
      report(path, 'proto.type', `must be a map (an object), got ${describe(value)}`);
      return false;
    }
    let ok = true;
    for (const k of Object.keys(entries)) ok = checkValue(field, entries[k], locKey(path, k), depth, report) && ok;
    return ok;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) {
      report(path, 'proto.type', `must be an array, got ${describe(value)}`);
      return false;
    }
    let ok = true;
    for (let i = 0; i < value.length; i++) ok = checkValue(field, value[i], locIndex(path, i), depth, report) && ok;
    return ok;
  }
  return checkValue(field, value, path, depth, report);
}

function checkAny(any: Obj, path: Loc | undefined, depth: number, report: LocReport): boolean {
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
  const info = typeInfo(inner);
  if (info.isAny) {
    report(path, 'proto.any_type', 'an Any needs "@type" naming its message');
    return false;
  }
  return checkFields(info, any, '@type', path, depth, report);
}

function unknownFieldHint(info: TypeInfo, key: string): string {
  const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return snake !== key && info.byName.has(snake) ? ` (did you mean ${snake}?)` : '';
}

function checkOneofs(info: TypeInfo, message: Obj, path: Loc | undefined, report: LocReport): void {
  for (const oneof of info.oneofs) {
    let count = 0;
    for (const member of oneof.members) if (isSet(message[member])) count += 1;
    if (count > 1) {
      const set = oneof.members.filter((m) => isSet(message[m]));
      report(path, 'proto.oneof_multiple', `sets ${set.join(' and ')}, members of one oneof ${oneof.name}`);
    }
    if (count === 0 && oneof.required) {
      report(path, 'pgv.oneof.required', `needs one of ${oneof.members.join(', ')} (oneof ${oneof.name} is required)`);
    }
  }
}

function checkMessageAt(info: TypeInfo, value: unknown, path: Loc | undefined, depth: number, report: LocReport): boolean {
  const message = asObj(value);
  if (!message) {
    report(path, 'proto.type', `must be a ${info.name} message (an object), got ${describe(value)}`);
    return false;
  }
  if (depth > MAX_DEPTH) {
    report(path, 'proto.depth', `nests deeper than ${MAX_DEPTH} messages`);
    return false;
  }
  if (info.isAny) return checkAny(message, path, depth, report);
  return checkFields(info, message, undefined, path, depth, report);
}

/** Unknown keys, oneofs, then every field in declaration order; `skip` is the Any's `@type` key of a payload. */
function checkFields(info: TypeInfo, message: Obj, skip: string | undefined, path: Loc | undefined, depth: number, report: LocReport): boolean {
  let ok = true;
  for (const key of Object.keys(message)) {
    if (key === skip || info.byName.has(key) || !isSet(message[key])) continue;
    report(locField(path, key), 'proto.unknown_field', `${info.name} has no field ${key}${unknownFieldHint(info, key)}`);
    ok = false;
  }
  if (info.oneofs.length > 0) checkOneofs(info, message, path, report);
  for (const field of info.fields) {
    const v = message[field.name];
    const set = isSet(v);
    if (!set && !field.checkUnset) continue;
    const fp = locField(path, field.name);
    const shapeOk = !set || checkFieldShape(field, v, fp, depth, report);
    if (shapeOk && field.rules) checkFieldRules(field.field, v, fp, report);
    ok = shapeOk && ok;
  }
  return ok;
}

/** Checks a plain object against a message type and its PGV rules; true when its shape encodes faithfully. */
export function checkMessage(type: protobuf.Type, value: unknown, report: Report): boolean {
  return checkMessageAt(typeInfo(type), value, undefined, 0, locReport(report));
}
