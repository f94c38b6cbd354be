// Safe reads from resources given as untyped plain objects (a wrong shape yields "absent", never a crash), and how a
// path inside one is spelled. Validation and the xDS layer read resources through these.

/** A plain object seen as a read-only record. */
export type Obj = Readonly<Record<string, unknown>>;

/** The value as a record when it is a non-array object. */
export function asObj(value: unknown): Obj | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value)
    ? (value as Obj)
    : undefined;
}

/** The value as an array (empty when it is not one). */
export function asArr(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value when it is a string. */
export function asStr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The value as a number when it is a finite number or a decimal string (int64 fields may be strings). */
export function asNum(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

/** Follows a dotted chain of object fields; undefined as soon as one is missing. */
export function dig(value: unknown, ...fields: readonly string[]): unknown {
  let current: unknown = value;
  for (const f of fields) {
    const o = asObj(current);
    if (!o) return undefined;
    current = o[f];
  }
  return current;
}

/** Whether a plain-object field counts as set (protobufjs treats null like absent). */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** The fully-qualified message name at the end of a type URL (`type.googleapis.com/a.b.C` → `a.b.C`). */
export function typeNameOf(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

/** The message name an `Any` plain object carries in `@type`, or undefined. */
export function anyTypeName(value: unknown): string | undefined {
  const url = asStr(asObj(value)?.['@type']);
  return url === undefined ? undefined : typeNameOf(url);
}

/** The resource name a checker shows: `name`, or `cluster_name` for a ClusterLoadAssignment. */
export function resourceName(resource: unknown): string {
  const o = asObj(resource);
  return asStr(o?.['name']) ?? asStr(o?.['cluster_name']) ?? '';
}

/** `base.field`, or `field` at the root. */
export function fieldPath(base: string, field: string): string {
  return base === '' ? field : `${base}.${field}`;
}

/** `base[index]`. */
export function indexPath(base: string, index: number): string {
  return `${base}[${index}]`;
}

/** `base["key"]`, for map entries. */
export function keyPath(base: string, key: string): string {
  return `${base}[${JSON.stringify(key)}]`;
}
