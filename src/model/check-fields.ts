// Field checkers shared by the per-kind schema checks: each one reports a problem at a dotted path and returns the
// value only when it has the right type, so a check can go on without re-testing types.
import { parseAddress } from './address.ts';
import { isPort, isRecord, path, problemAt } from './json-readers.ts';
import type { Raw } from './json-readers.ts';
import type { Address, IPFamily, Origin, Problem } from './types.ts';

/** Where a schema check writes its problems: the object's origin plus the list they go to. */
export interface Sink {
  readonly base: Origin;
  readonly problems: Problem[];
}

/** Records an error at `field`. */
export function fail(sink: Sink, field: string, message: string): void {
  sink.problems.push(problemAt(sink.base, 'error', field, `${field}: ${message}`));
}

/** Records a warning at `field`. */
export function warn(sink: Sink, field: string, message: string): void {
  sink.problems.push(problemAt(sink.base, 'warning', field, `${field}: ${message}`));
}

/** Describes a JSON value's type for messages: `string "eighty"`, `number 80`, `list`, ... */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `string ${value.length <= 64 ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, 64))}… (${value.length} characters)`}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return `an ${typeof value}`;
}

/** An optional object field; an error when present with another type. */
export function optRecord(sink: Sink, parent: Raw, name: string, at: string): Raw | undefined {
  const value = parent[name];
  if (value === undefined || value === null) return undefined;
  if (isRecord(value)) return value;
  fail(sink, path(at, name), `must be an object, got ${describe(value)}`);
  return undefined;
}

/** An optional list field; an error when present with another type. */
export function optList(sink: Sink, parent: Raw, name: string, at: string): readonly unknown[] | undefined {
  const value = parent[name];
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value;
  fail(sink, path(at, name), `must be a list, got ${describe(value)}`);
  return undefined;
}

/** An optional string field; an error when present with another type. */
export function optString(sink: Sink, parent: Raw, name: string, at: string): string | undefined {
  const value = parent[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  fail(sink, path(at, name), `must be a string, got ${describe(value)}`);
  return undefined;
}

/** An optional boolean field; an error when present with another type. */
export function optBool(sink: Sink, parent: Raw, name: string, at: string): boolean | undefined {
  const value = parent[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  fail(sink, path(at, name), `must be true or false, got ${describe(value)}`);
  return undefined;
}

/** An optional string field limited to `allowed`; an error naming the allowed values otherwise. */
export function optEnum<T extends string>(
  sink: Sink,
  parent: Raw,
  name: string,
  at: string,
  allowed: readonly T[],
): T | undefined {
  const value = optString(sink, parent, name, at);
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  fail(sink, path(at, name), `unknown value ${JSON.stringify(value)} (expected one of ${allowed.join(', ')})`);
  return undefined;
}

/** A port number field (1..65535); `required` makes absence an error. */
export function portField(sink: Sink, parent: Raw, name: string, at: string, required: boolean): number | undefined {
  const value = parent[name];
  if (value === undefined || value === null) {
    if (required) fail(sink, path(at, name), 'is required');
    return undefined;
  }
  if (isPort(value)) return value;
  fail(sink, path(at, name), `must be a port number 1..65535, got ${describe(value)}`);
  return undefined;
}

/** A map of strings (labels, annotations, selector); an error for a non-object or a non-string value. */
export function stringMapField(sink: Sink, parent: Raw, name: string, at: string): void {
  const map = optRecord(sink, parent, name, at);
  if (!map) return;
  for (const key of Object.keys(map).sort()) {
    const value = map[key];
    if (typeof value !== 'string') fail(sink, path(path(at, name), key), `must be a string, got ${describe(value)}`);
  }
}

/** An IP literal at `field`, optionally of one family; an error naming the bad literal otherwise. */
export function ipLiteral(sink: Sink, value: unknown, field: string, family?: IPFamily): Address | undefined {
  if (typeof value !== 'string') {
    fail(sink, field, `must be an IP address string, got ${describe(value)}`);
    return undefined;
  }
  const address = parseAddress(value);
  if (!address) {
    fail(sink, field, `${JSON.stringify(value)} is not an IP address`);
    return undefined;
  }
  if (family && address.family !== family) {
    fail(sink, field, `${JSON.stringify(value)} is ${address.family}, expected ${family}`);
    return undefined;
  }
  return address;
}

/** Each element of an optional list that is an object, with its path; an error for elements of another type. */
export function eachRecord(
  sink: Sink,
  parent: Raw,
  name: string,
  at: string,
): { readonly item: Raw; readonly at: string }[] {
  const list = optList(sink, parent, name, at) ?? [];
  const out: { item: Raw; at: string }[] = [];
  list.forEach((item, i) => {
    const itemAt = `${path(at, name)}[${i}]`;
    if (isRecord(item)) out.push({ item, at: itemAt });
    else fail(sink, itemAt, `must be an object, got ${describe(item)}`);
  });
  return out;
}
