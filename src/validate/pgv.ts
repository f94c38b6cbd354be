// protoc-gen-validate rules read from the loaded Envoy protos (`(validate.rules)` on fields, `(validate.required)` on
// oneofs), applied to one field of a plain object. Nothing here is a hand-written table: the protos are the source.
import protobuf from 'protobufjs';
import { asArr, asObj, isSet, type Obj } from '../envoy-api/plain.ts';
import { checkDuration, checkScalar } from './pgv-scalar.ts';
import { locIndex, locKey, type Loc, type LocReport } from './problem.ts';

const rulesCache = new WeakMap<protobuf.Field, Obj | null>();
const fullNames = new WeakMap<protobuf.ReflectionObject, string>();

/** `fullName` of a reflection object, computed once (protobufjs walks the parents on every read). */
export function fullNameOf(object: protobuf.ReflectionObject): string {
  let name = fullNames.get(object);
  if (name === undefined) {
    name = object.fullName;
    fullNames.set(object, name);
  }
  return name;
}

function mergeDeep(into: Record<string, unknown>, from: Obj): void {
  for (const [k, v] of Object.entries(from)) {
    const existing = asObj(into[k]);
    const incoming = asObj(v);
    if (existing && incoming) {
      const merged = { ...existing };
      mergeDeep(merged, incoming);
      into[k] = merged;
    } else {
      into[k] = v;
    }
  }
}

/** The field's `(validate.rules)` as one nested object (protobufjs may split it over several parsed options). */
export function fieldRules(field: protobuf.Field): Obj | undefined {
  const cached = rulesCache.get(field);
  if (cached !== undefined) return cached ?? undefined;
  let rules: Record<string, unknown> | null = null;
  for (const option of (field.parsedOptions ?? []) as readonly Obj[]) {
    const r = asObj(option['(validate.rules)']);
    if (!r) continue;
    rules ??= {};
    mergeDeep(rules, r);
  }
  rulesCache.set(field, rules);
  return rules ?? undefined;
}

/** Whether a oneof is annotated `(validate.required) = true`: exactly one member must be set. */
export function oneofRequired(oneof: protobuf.OneOf): boolean {
  return oneof.options?.['(validate.required)'] === true;
}

const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((n) => `.google.protobuf.${n}Value`),
);

/** The value proto3 reads for an unset scalar field, which PGV validates like any other value. */
function scalarDefault(field: protobuf.Field): unknown {
  if (field.resolvedType instanceof protobuf.Enum) return 0;
  if (field.type === 'string' || field.type === 'bytes') return '';
  if (field.type === 'bool') return false;
  return 0;
}

function checkMessageRules(rules: Obj, type: protobuf.Type, value: unknown, path: Loc | undefined, report: LocReport): void {
  const set = isSet(value);
  for (const kind of ['message', 'duration', 'timestamp', 'any'] as const) {
    if (asObj(rules[kind])?.['required'] === true && !set) report(path, `pgv.${kind}.required`, 'is required');
  }
  if (!set) return;
  if (fullNameOf(type) === '.google.protobuf.Duration' && asObj(rules['duration'])) {
    checkDuration(asObj(rules['duration']) ?? {}, value, path, report);
  }
  const any = asObj(rules['any']);
  if (fullNameOf(type) === '.google.protobuf.Any' && any) {
    const url = asObj(value)?.['@type'];
    const allowed = asArr(any['in']);
    if (allowed.length > 0 && !allowed.includes(url)) report(path, 'pgv.any.in', `type ${String(url)} is not allowed`);
    if (asArr(any['not_in']).includes(url)) report(path, 'pgv.any.not_in', `type ${String(url)} is not allowed`);
  }
  if (WRAPPERS.has(fullNameOf(type))) {
    const inner = asObj(value)?.['value'];
    const valueField = type.fields['value'];
    checkScalar(rules, isSet(inner) || !valueField ? inner : scalarDefault(valueField), undefined, path, report);
  }
}

function checkRepeated(rules: Obj, field: protobuf.Field, items: readonly unknown[], path: Loc | undefined, report: LocReport): void {
  const r = asObj(rules['repeated']);
  if (!r) return;
  const min = r['min_items'];
  if (typeof min === 'number' && items.length < min) {
    report(path, 'pgv.repeated.min_items', `must have at least ${min} item(s), has ${items.length}`);
  }
  const max = r['max_items'];
  if (typeof max === 'number' && items.length > max) {
    report(path, 'pgv.repeated.max_items', `must have at most ${max} item(s), has ${items.length}`);
  }
  if (r['unique'] === true) {
    const seen = new Set<string>();
    for (let i = 0; i < items.length; i++) {
      const key = JSON.stringify(items[i]);
      if (seen.has(key)) report(locIndex(path, i), 'pgv.repeated.unique', `repeats an earlier item ${key}`);
      seen.add(key);
    }
  }
  const itemRules = asObj(r['items']);
  if (!itemRules) return;
  const rt = field.resolvedType;
  for (let i = 0; i < items.length; i++) {
    if (rt instanceof protobuf.Type) checkMessageRules(itemRules, rt, items[i], locIndex(path, i), report);
    else checkScalar(itemRules, items[i], rt instanceof protobuf.Enum ? rt : undefined, locIndex(path, i), report);
  }
}

function checkMap(rules: Obj, field: protobuf.Field, entries: Obj, path: Loc | undefined, report: LocReport): void {
  const r = asObj(rules['map']);
  if (!r) return;
  const count = Object.keys(entries).length;
  const min = r['min_pairs'];
  if (typeof min === 'number' && count < min) report(path, 'pgv.map.min_pairs', `must have at least ${min} entries`);
  const max = r['max_pairs'];
  if (typeof max === 'number' && count > max) report(path, 'pgv.map.max_pairs', `must have at most ${max} entries`);
  const keys = asObj(r['keys']);
  const values = asObj(r['values']);
  const rt = field.resolvedType;
  for (const [key, value] of Object.entries(entries)) {
    if (keys) checkScalar(keys, key, undefined, locKey(path, key), report);
    if (!values) continue;
    if (rt instanceof protobuf.Type) checkMessageRules(values, rt, value, locKey(path, key), report);
    else checkScalar(values, value, rt instanceof protobuf.Enum ? rt : undefined, locKey(path, key), report);
  }
}

/** Applies a field's PGV rules to its value in a plain object (`undefined` when the field is absent). */
export function checkFieldRules(field: protobuf.Field, value: unknown, path: Loc | undefined, report: LocReport): void {
  const rules = fieldRules(field);
  if (!rules) return;
  if (field.map) return checkMap(rules, field, asObj(value) ?? {}, path, report);
  if (field.repeated) return checkRepeated(rules, field, asArr(value), path, report);
  // A oneof member or proto3 `optional` field is validated only when set; a plain scalar always has a value.
  if (!isSet(value) && field.partOf) return;
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return checkMessageRules(rules, rt, value, path, report);
  const enumType = rt instanceof protobuf.Enum ? rt : undefined;
  checkScalar(rules, isSet(value) ? value : scalarDefault(field), enumType, path, report);
}
