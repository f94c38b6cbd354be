// An independent proto3 JSON implementation for tests: @bufbuild/protobuf (fully conformant) over a registry built
// from the same protobufjs descriptors biplane encodes with, so our printer and parser can be checked against it.
// protobufjs' own descriptor export groups a whole package into one file without imports and writes relative type
// names, which bufbuild's registry rejects; so the descriptors are built here, one file per .proto file.
import { create, createFileRegistry, fromBinary, fromJson, toBinary, toJson, type DescMessage, type JsonValue } from '@bufbuild/protobuf';
import type { Registry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import protobuf from 'protobufjs';
import { envoyRoot } from '../../src/envoy-api/protos.ts';

type Init = Record<string, unknown>;
interface FileInit {
  name: string;
  package: string;
  syntax: string;
  dependency: Set<string>;
  messageType: Init[];
  enumType: Init[];
}

const SCALAR: Record<string, number> = {
  double: 1, float: 2, int64: 3, uint64: 4, int32: 5, fixed64: 6, fixed32: 7, bool: 8, string: 9, bytes: 12, uint32: 13,
  sfixed32: 15, sfixed64: 16, sint32: 17, sint64: 18,
};

/** The .proto file a top-level type or enum came from (protobufjs' built-in well-known types have none). */
function fileOf(obj: protobuf.ReflectionObject): string {
  let top = obj;
  while (top.parent && (top.parent instanceof protobuf.Type || top.parent instanceof protobuf.Enum)) top = top.parent;
  return top.filename ?? `${top.parent?.fullName.slice(1).replace(/\./g, '/') ?? ''}/builtin.proto`;
}

/** protobufjs spells some built-in well-known types' fields in camelCase; descriptors use the proto names. */
function protoName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function enumDescriptor(e: protobuf.Enum): Init {
  const values = Object.entries(e.values).map(([name, number]) => ({ name, number }));
  const aliased = new Set(values.map((v) => v.number)).size < values.length;
  return { name: e.name, value: values, ...(aliased ? { options: { allowAlias: true } } : {}) };
}

function fieldDescriptor(t: protobuf.Type, f: protobuf.Field, oneofs: readonly protobuf.OneOf[], file: FileInit): Init {
  f.resolve();
  const entry = `${f.name.replace(/(?:^|_)([a-z0-9])/g, (_, c: string) => c.toUpperCase())}Entry`;
  const target = f.map ? undefined : f.resolvedType;
  if (target && fileOf(target) !== file.name) file.dependency.add(fileOf(target));
  const type = f.map ? 11 : target instanceof protobuf.Type ? 11 : target instanceof protobuf.Enum ? 14 : SCALAR[f.type];
  return {
    name: protoName(f.name),
    number: f.id,
    label: f.repeated || f.map ? 3 : f.required ? 2 : 1,
    type,
    ...(f.map ? { typeName: `${t.fullName}.${entry}` } : target ? { typeName: target.fullName } : {}),
    ...(f.partOf ? { oneofIndex: oneofs.indexOf(f.partOf) } : {}),
    ...(f.options?.['proto3_optional'] ? { proto3Optional: true } : {}),
  };
}

function mapEntry(t: protobuf.Type, f: protobuf.MapField, file: FileInit): Init {
  const value = new protobuf.Field('value', 2, f.type);
  value.parent = t; // resolves the value type from the map field's scope
  const entry = `${f.name.replace(/(?:^|_)([a-z0-9])/g, (_, c: string) => c.toUpperCase())}Entry`;
  return {
    name: entry,
    options: { mapEntry: true },
    field: [{ name: 'key', number: 1, label: 1, type: SCALAR[f.keyType] }, fieldDescriptor(t, value, [], file)],
  };
}

function messageDescriptor(t: protobuf.Type, file: FileInit): Init {
  const real = t.oneofsArray.filter((o) => !(o.fieldsArray.length === 1 && o.fieldsArray[0]?.options?.['proto3_optional']));
  const oneofs = [...real, ...t.oneofsArray.filter((o) => !real.includes(o))];
  const own = t.fieldsArray.filter((f) => !f.declaringField && !f.name.startsWith('.'));
  return {
    name: t.name,
    field: own.map((f) => fieldDescriptor(t, f, oneofs, file)),
    nestedType: [
      ...own.filter((f) => f.map).map((f) => mapEntry(t, f as unknown as protobuf.MapField, file)),
      ...t.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type).map((n) => messageDescriptor(n, file)),
    ],
    enumType: t.nestedArray.filter((n): n is protobuf.Enum => n instanceof protobuf.Enum).map(enumDescriptor),
    oneofDecl: oneofs.map((o) => ({ name: o.name })),
  };
}

function collect(ns: protobuf.NamespaceBase, files: Map<string, FileInit>): void {
  for (const n of ns.nestedArray) {
    if (!(n instanceof protobuf.Type) && !(n instanceof protobuf.Enum)) {
      if (n instanceof protobuf.Namespace) collect(n, files);
      continue;
    }
    const name = fileOf(n);
    let file = files.get(name);
    if (!file) {
      const edition = (n as unknown as { _edition?: string })._edition;
      file = { name, package: ns.fullName.slice(1), syntax: edition === 'proto2' ? 'proto2' : 'proto3', dependency: new Set(), messageType: [], enumType: [] };
      files.set(name, file);
    }
    if (n instanceof protobuf.Type) file.messageType.push(messageDescriptor(n, file));
    else file.enumType.push(enumDescriptor(n));
  }
}

/** Files in an order where each comes after every file it imports. */
function dependencyOrder(files: Map<string, FileInit>): FileInit[] {
  const out: FileInit[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (f: FileInit): void => {
    if (state.get(f.name) === 'done') return;
    if (state.get(f.name) === 'visiting') throw new Error(`import cycle through ${f.name}`);
    state.set(f.name, 'visiting');
    for (const d of f.dependency) visit(files.get(d) as FileInit);
    state.set(f.name, 'done');
    out.push(f);
  };
  for (const f of files.values()) visit(f);
  return out;
}

let cached: Registry | undefined;

/** A bufbuild registry holding every type in biplane's protobufjs root. */
export function conformantRegistry(): Registry {
  if (cached) return cached;
  const files = new Map<string, FileInit>();
  collect(envoyRoot(), files);
  const set = create(FileDescriptorSetSchema, {
    file: dependencyOrder(files).map((f) => ({ ...f, dependency: [...f.dependency] })) as never,
  });
  cached = createFileRegistry(set);
  return cached;
}

function schema(typeName: string): DescMessage {
  const name = typeName.slice(typeName.lastIndexOf('/') + 1);
  const found = conformantRegistry().getMessage(name);
  if (!found) throw new Error(`no ${name} in the conformant registry`);
  return found;
}

/** bufbuild's canonical proto3 JSON (proto field names) of encoded bytes. */
export function conformantJson(typeName: string, bytes: Uint8Array): JsonValue {
  const s = schema(typeName);
  return toJson(s, fromBinary(s, bytes), { registry: conformantRegistry(), useProtoFieldName: true });
}

/** bufbuild's parse of proto3 JSON, encoded. */
export function conformantBytes(typeName: string, json: unknown): Uint8Array {
  const s = schema(typeName);
  return toBinary(s, fromJson(s, json as JsonValue, { registry: conformantRegistry() }));
}
