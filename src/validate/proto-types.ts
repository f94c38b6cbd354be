// protobufjs reflection, looked up once: a type URL resolves to its Type once, a Type's fields, oneofs and PGV rules
// are read into a plain table once, and names that protobufjs rebuilds on every read (`fullName`) are kept. The walker
// and the round trip run over these tables, so validating a resource never searches the namespace tree.
import protobuf from 'protobufjs';
import { envoyRoot, messageType } from '../envoy-api/protos.ts';
import { typeNameOf, type Obj } from '../envoy-api/plain.ts';
import { fieldRules, fullNameOf, oneofRequired } from './pgv.ts';

export { fullNameOf };

/** One field of a message type, with what the checks ask about it precomputed. */
export interface FieldInfo {
  readonly field: protobuf.Field;
  readonly name: string;
  readonly map: boolean;
  readonly repeated: boolean;
  /** The message type of a message field. */
  readonly message: protobuf.Type | undefined;
  /** The enum of an enum field. */
  readonly enumType: protobuf.Enum | undefined;
  /** The proto scalar type (`string`, `uint32`, ...), or the type name of a message/enum field. */
  readonly scalar: string;
  /** The field's merged `(validate.rules)`, or undefined when it has none. */
  readonly rules: Obj | undefined;
  /** Whether the PGV rules must be applied even when the field is absent (a default value, min_items, required). */
  readonly checkUnset: boolean;
}

/** One oneof of a message type. */
export interface OneofInfo {
  readonly name: string;
  readonly members: readonly string[];
  readonly required: boolean;
}

/** A message type as the checks read it. */
export interface TypeInfo {
  readonly type: protobuf.Type;
  readonly name: string;
  readonly fullName: string;
  readonly isAny: boolean;
  readonly fields: readonly FieldInfo[];
  /** Own fields by name (a plain object's `constructor` key is not a field). */
  readonly byName: ReadonlyMap<string, FieldInfo>;
  readonly oneofs: readonly OneofInfo[];
}

const infos = new WeakMap<protobuf.Type, TypeInfo>();
const byUrl = new Map<string, protobuf.Type | null>();
const resourceTypes = new Map<string, protobuf.Type | null>();
/** Type URLs come from resources (`@type`), so the memo of URL lookups is bounded against garbage URLs. */
const MAX_URLS = 10_000;

function remember<V>(memo: Map<string, V>, key: string, value: V): void {
  if (memo.size >= MAX_URLS) memo.clear();
  memo.set(key, value);
}

function fieldInfo(field: protobuf.Field): FieldInfo {
  const rt = field.resolvedType;
  const rules = fieldRules(field);
  const scalarOneof = field.partOf !== null && !field.map && !field.repeated;
  return {
    field,
    name: field.name,
    map: field.map,
    repeated: field.repeated,
    message: rt instanceof protobuf.Type ? rt : undefined,
    enumType: rt instanceof protobuf.Enum ? rt : undefined,
    scalar: field.type,
    rules,
    checkUnset: rules !== undefined && !scalarOneof,
  };
}

/** The precomputed table of a message type. */
export function typeInfo(type: protobuf.Type): TypeInfo {
  let info = infos.get(type);
  if (info) return info;
  const fields = type.fieldsArray.map(fieldInfo);
  info = {
    type,
    name: type.name,
    fullName: fullNameOf(type),
    isAny: fullNameOf(type) === '.google.protobuf.Any',
    fields,
    byName: new Map(fields.map((f) => [f.name, f] as const)),
    oneofs: type.oneofsArray.map((o) => ({ name: o.name, members: o.fieldsArray.map((f) => f.name), required: oneofRequired(o) })),
  };
  infos.set(type, info);
  return info;
}

/** The message type named by an Any's type URL (or a bare name), or undefined when the loaded API lacks it. */
export function lookupMessage(typeUrlOrName: string): protobuf.Type | undefined {
  const cached = byUrl.get(typeUrlOrName);
  if (cached !== undefined) return cached ?? undefined;
  let found: protobuf.Type | null = null;
  try {
    const object = envoyRoot().lookup(typeNameOf(typeUrlOrName));
    if (object instanceof protobuf.Type) found = object;
  } catch {
    found = null;
  }
  remember(byUrl, typeUrlOrName, found);
  return found ?? undefined;
}

/** The message type of a resource's type URL (as `messageType` resolves it), or undefined when there is none. */
export function resourceType(typeUrl: string): protobuf.Type | undefined {
  const cached = resourceTypes.get(typeUrl);
  if (cached !== undefined) return cached ?? undefined;
  let found: protobuf.Type | null;
  try {
    found = messageType(typeUrl);
  } catch {
    found = null;
  }
  remember(resourceTypes, typeUrl, found);
  return found ?? undefined;
}
