// protoc-gen-validate rules for single values: strings, bytes, numbers, bools, enums and durations. The rules object
// is the `(validate.rules)` option as protobufjs parses it, e.g. `{ string: { min_len: 1 } }`.
import { isIP, isIPv4, isIPv6 } from 'node:net';
import type protobuf from 'protobufjs';
import { asArr, asNum, asObj, asStr, type Obj } from '../envoy-api/plain.ts';
import type { Loc, LocReport } from './problem.ts';

const NUMERIC_KINDS = new Set([
  'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'double', 'float',
]);

/** A list-valued rule (`in`, `not_in`): protobufjs gives a scalar when the proto lists one value. */
function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

function show(value: unknown): string {
  return typeof value === 'bigint' ? `${value}` : JSON.stringify(value);
}

type Bound = 'gt' | 'gte' | 'lt' | 'lte';

/** `> 1 and < 5`-style text of the bounds, joined by `joiner`. */
function boundsText<T extends number | bigint>(rules: Readonly<Partial<Record<Bound, T>>>, fmt: (v: T) => string, joiner: string): string {
  const { gt, gte, lt, lte } = rules;
  const parts = [
    gt !== undefined ? `> ${fmt(gt)}` : gte !== undefined ? `>= ${fmt(gte)}` : undefined,
    lt !== undefined ? `< ${fmt(lt)}` : lte !== undefined ? `<= ${fmt(lte)}` : undefined,
  ];
  return parts.filter((p) => p !== undefined).join(joiner);
}

/** Checks `gt/gte/lt/lte` (PGV semantics: an upper bound below the lower bound means "outside the range"). */
function checkRange<T extends number | bigint>(
  kind: string, rules: Readonly<Partial<Record<Bound, T>>>, value: T, fmt: (v: T) => string, path: Loc | undefined,
  report: LocReport,
): void {
  const { gt, gte, lt, lte } = rules;
  const aboveLower = gt !== undefined ? value > gt : gte !== undefined ? value >= gte : true;
  const belowUpper = lt !== undefined ? value < lt : lte !== undefined ? value <= lte : true;
  const lower = gt ?? gte;
  const upper = lt ?? lte;
  if (lower !== undefined && upper !== undefined && upper < lower) {
    if (!aboveLower && !belowUpper) report(path, `pgv.${kind}.range`, `must be ${boundsText(rules, fmt, ' or ')}, got ${fmt(value)}`);
    return;
  }
  if (aboveLower && belowUpper) return;
  const rule = !aboveLower ? (gt !== undefined ? 'gt' : 'gte') : lt !== undefined ? 'lt' : 'lte';
  report(path, `pgv.${kind}.${rule}`, `must be ${boundsText(rules, fmt, ' and ')}, got ${fmt(value)}`);
}

function checkInNotIn(kind: string, rules: Obj, value: unknown, path: Loc | undefined, report: LocReport): void {
  if (rules['const'] === undefined && rules['in'] === undefined && rules['not_in'] === undefined) return;
  const same = (a: unknown): boolean => a === value || (asNum(a) !== undefined && asNum(a) === asNum(value));
  if (rules['const'] !== undefined && !same(rules['const'])) {
    report(path, `pgv.${kind}.const`, `must equal ${show(rules['const'])}, got ${show(value)}`);
  }
  const allowed = listOf(rules['in']);
  if (allowed.length > 0 && !allowed.some(same)) {
    report(path, `pgv.${kind}.in`, `must be one of ${allowed.map(show).join(', ')}, got ${show(value)}`);
  }
  if (listOf(rules['not_in']).some(same)) report(path, `pgv.${kind}.not_in`, `must not be ${show(value)}`);
}

function checkNumber(kind: string, rules: Obj, value: unknown, path: Loc | undefined, report: LocReport): void {
  const n = asNum(value);
  if (n === undefined) return; // the shape check reports non-numbers
  if (rules['ignore_empty'] === true && n === 0) return;
  const bounds: Partial<Record<Bound, number>> = {};
  for (const b of ['gt', 'gte', 'lt', 'lte'] as const) {
    const limit = asNum(rules[b]);
    if (limit !== undefined) bounds[b] = limit;
  }
  checkRange(kind, bounds, n, String, path, report);
  checkInNotIn(kind, rules, n, path, report);
}

const HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const LOOSE_HEADER = /^[^\u0000\n\r]*$/;
const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;

/** The `well_known` string rules we can decide without a URI or e-mail parser. */
function wellKnownViolation(rules: Obj, s: string): string | undefined {
  const strict = rules['strict'] !== false;
  const regex = asStr(rules['well_known_regex']);
  if (regex === 'HTTP_HEADER_NAME' && !(strict ? HEADER_NAME : LOOSE_HEADER).test(s)) return 'an HTTP header name';
  if (regex === 'HTTP_HEADER_VALUE' && !(strict ? HEADER_VALUE : LOOSE_HEADER).test(s)) return 'an HTTP header value';
  if (rules['hostname'] === true && !HOSTNAME.test(s)) return 'a hostname';
  if (rules['ip'] === true && isIP(s) === 0) return 'an IP address';
  if (rules['ipv4'] === true && !isIPv4(s)) return 'an IPv4 address';
  if (rules['ipv6'] === true && !isIPv6(s)) return 'an IPv6 address';
  if (rules['address'] === true && isIP(s) === 0 && !HOSTNAME.test(s)) return 'a hostname or IP address';
  return undefined;
}

/** String length rules: rule, what it measures, how it compares, and words for the message. */
const STRING_LIMITS = [
  ['len', 'runes', 'eq', 'exactly', 'characters'],
  ['min_len', 'runes', 'min', 'at least', 'characters'],
  ['max_len', 'runes', 'max', 'at most', 'characters'],
  ['len_bytes', 'bytes', 'eq', 'exactly', 'bytes'],
  ['min_bytes', 'bytes', 'min', 'at least', 'bytes'],
  ['max_bytes', 'bytes', 'max', 'at most', 'bytes'],
] as const;

/** Unicode code points in a string (what PGV calls characters), without building an array of them. */
function runeCount(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n -= 1;
        i += 1;
      }
    }
  }
  return n;
}

function checkString(rules: Obj, value: unknown, path: Loc | undefined, report: LocReport): void {
  const s = asStr(value);
  if (s === undefined) return;
  if (rules['ignore_empty'] === true && s === '') return;
  let runes = -1;
  let bytes = -1;
  for (const [rule, measure, compare, how, unit] of STRING_LIMITS) {
    const limit = asNum(rules[rule]);
    if (limit === undefined) continue;
    if (measure === 'runes' && runes < 0) runes = runeCount(s);
    if (measure === 'bytes' && bytes < 0) bytes = Buffer.byteLength(s, 'utf8');
    const actual = measure === 'runes' ? runes : bytes;
    const ok = compare === 'eq' ? actual === limit : compare === 'min' ? actual >= limit : actual <= limit;
    if (!ok) report(path, `pgv.string.${rule}`, `must have ${how} ${limit} ${limit === 1 ? unit.slice(0, -1) : unit}, has ${actual}`);
  }
  checkStringContent(rules, s, path, report);
  checkInNotIn('string', rules, s, path, report);
}

function checkStringContent(rules: Obj, s: string, path: Loc | undefined, report: LocReport): void {
  const prefix = asStr(rules['prefix']);
  if (prefix !== undefined && !s.startsWith(prefix)) report(path, 'pgv.string.prefix', `must start with ${show(prefix)}`);
  const suffix = asStr(rules['suffix']);
  if (suffix !== undefined && !s.endsWith(suffix)) report(path, 'pgv.string.suffix', `must end with ${show(suffix)}`);
  const contains = asStr(rules['contains']);
  if (contains !== undefined && !s.includes(contains)) {
    report(path, 'pgv.string.contains', `must contain ${show(contains)}`);
  }
  const notContains = asStr(rules['not_contains']);
  if (notContains !== undefined && s.includes(notContains)) {
    report(path, 'pgv.string.not_contains', `must not contain ${show(notContains)}`);
  }
  const pattern = asStr(rules['pattern']);
  if (pattern !== undefined && !safeRegExp(pattern)?.test(s)) {
    report(path, 'pgv.string.pattern', `${show(s)} does not match ${pattern}`);
  }
  const wellKnown = wellKnownViolation(rules, s);
  if (wellKnown !== undefined) report(path, 'pgv.string.well_known', `${show(s)} is not ${wellKnown}`);
}

/** RE2 patterns in Envoy's protos are plain enough for JavaScript; one that is not is skipped, not fatal. */
function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
}

function checkBytes(rules: Obj, value: unknown, path: Loc | undefined, report: LocReport): void {
  const length =
    value instanceof Uint8Array ? value.length : typeof value === 'string' ? Buffer.from(value, 'base64').length : 0;
  if (rules['ignore_empty'] === true && length === 0) return;
  const min = asNum(rules['min_len']);
  if (min !== undefined && length < min) report(path, 'pgv.bytes.min_len', `must have at least ${min} bytes, has ${length}`);
  const max = asNum(rules['max_len']);
  if (max !== undefined && length > max) report(path, 'pgv.bytes.max_len', `must have at most ${max} bytes, has ${length}`);
}

function checkEnum(rules: Obj, value: unknown, enumType: protobuf.Enum | undefined, path: Loc | undefined, report: LocReport): void {
  const number = typeof value === 'string' ? enumType?.values[value] : asNum(value);
  if (number === undefined) return; // unknown names are a shape problem, reported by the walker
  if (rules['defined_only'] === true && enumType && enumType.valuesById[number] === undefined) {
    report(path, 'pgv.enum.defined_only', `${number} is not a value of ${enumType.name}`);
  }
  checkInNotIn('enum', rules, number, path, report);
}

/** A Duration plain object (`{ seconds, nanos }`, either may be a string) in nanoseconds. */
export function durationNanos(value: unknown): bigint | undefined {
  const o = asObj(value);
  if (!o) return undefined;
  const seconds = asNum(o['seconds'] ?? 0);
  const nanos = asNum(o['nanos'] ?? 0);
  if (seconds === undefined || nanos === undefined) return undefined;
  return BigInt(Math.trunc(seconds)) * 1_000_000_000n + BigInt(Math.trunc(nanos));
}

function formatNanos(n: bigint): string {
  const sign = n < 0n ? '-' : '';
  const abs = n < 0n ? -n : n;
  const fraction = (abs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${sign}${abs / 1_000_000_000n}${fraction === '' ? '' : `.${fraction}`}s`;
}

/** Duration `gt/gte/lt/lte/const/in/not_in`; `required` is checked by the caller, which sees presence. */
export function checkDuration(rules: Obj, value: unknown, path: Loc | undefined, report: LocReport): void {
  const n = durationNanos(value);
  if (n === undefined) return;
  const bounds: Partial<Record<Bound, bigint>> = {};
  for (const b of ['gt', 'gte', 'lt', 'lte'] as const) {
    const limit = durationNanos(rules[b]);
    if (limit !== undefined) bounds[b] = limit;
  }
  checkRange('duration', bounds, n, formatNanos, path, report);
  const constant = durationNanos(rules['const']);
  if (constant !== undefined && constant !== n) {
    report(path, 'pgv.duration.const', `must be ${formatNanos(constant)}, got ${formatNanos(n)}`);
  }
  const allowed = asArr(rules['in']).map(durationNanos);
  if (allowed.length > 0 && !allowed.includes(n)) report(path, 'pgv.duration.in', `${formatNanos(n)} is not allowed`);
  if (asArr(rules['not_in']).map(durationNanos).includes(n)) {
    report(path, 'pgv.duration.not_in', `${formatNanos(n)} is not allowed`);
  }
}

/** Applies the scalar part of a rules object (`string`, `uint32`, `enum`, ...) to one value. */
export function checkScalar(
  rules: Obj, value: unknown, enumType: protobuf.Enum | undefined, path: Loc | undefined, report: LocReport,
): void {
  for (const kind in rules) {
    const r = asObj(rules[kind]);
    if (!r) continue;
    if (kind === 'string') checkString(r, value, path, report);
    else if (kind === 'bytes') checkBytes(r, value, path, report);
    else if (kind === 'enum') checkEnum(r, value, enumType, path, report);
    else if (kind === 'bool') checkInNotIn('bool', r, value, path, report);
    else if (NUMERIC_KINDS.has(kind)) checkNumber(kind, r, value, path, report);
  }
}
