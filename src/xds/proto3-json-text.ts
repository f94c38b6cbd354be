// The proto3 JSON text forms of the well-known types that print as strings (Duration, Timestamp, FieldMask), of
// 64-bit integers, floats and bytes: both directions, as pure functions on plain numbers and strings.

/** A JSON value as JSON.parse returns it. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Thrown for a value that has no proto3 JSON form (printing) or is not valid proto3 JSON (parsing). */
export class Proto3JsonError extends Error {
  override name = 'Proto3JsonError';
}

const MAX_DURATION_SECONDS = 315_576_000_000n;
const MIN_TIMESTAMP_SECONDS = -62_135_596_800n; // 0001-01-01T00:00:00Z
const MAX_TIMESTAMP_SECONDS = 253_402_300_799n; // 9999-12-31T23:59:59Z

/** Nanoseconds as the shortest of 0, 3, 6 or 9 fractional digits, with the dot (empty for 0). */
function fraction(nanos: number): string {
  if (nanos === 0) return '';
  const nine = String(nanos).padStart(9, '0');
  return `.${nanos % 1_000_000 === 0 ? nine.slice(0, 3) : nanos % 1_000 === 0 ? nine.slice(0, 6) : nine}`;
}

/** `fraction` read back: up to nine digits after a dot as nanoseconds. */
function nanosOf(digits: string | undefined): number {
  return digits ? Number(digits.padEnd(9, '0')) : 0;
}

/** A google.protobuf.Duration as `"1.500s"`; seconds and nanos must agree in sign and be in proto3's range. */
export function durationText(seconds: bigint, nanos: number): string {
  const negative = seconds < 0n || nanos < 0;
  if (seconds > MAX_DURATION_SECONDS || seconds < -MAX_DURATION_SECONDS || Math.abs(nanos) > 999_999_999) {
    throw new Proto3JsonError(`Duration out of range: ${seconds}s ${nanos}ns`);
  }
  if ((seconds < 0n && nanos > 0) || (seconds > 0n && nanos < 0)) throw new Proto3JsonError(`Duration with mixed signs: ${seconds}s ${nanos}ns`);
  const abs = seconds < 0n ? -seconds : seconds;
  return `${negative ? '-' : ''}${abs}${fraction(Math.abs(nanos))}s`;
}

/** `durationText` read back. */
export function parseDuration(text: string): { seconds: bigint; nanos: number } {
  const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
  if (!m) throw new Proto3JsonError(`not a Duration: ${JSON.stringify(text)}`);
  const sign = m[1] ? -1 : 1;
  const seconds = BigInt(m[2] ?? '0');
  if (seconds > MAX_DURATION_SECONDS) throw new Proto3JsonError(`Duration out of range: ${text}`);
  const nanos = nanosOf(m[3]);
  return { seconds: sign < 0 ? -seconds : seconds, nanos: sign < 0 && nanos !== 0 ? -nanos : nanos };
}

/** A google.protobuf.Timestamp as RFC 3339 in UTC (`2024-01-02T03:04:05.250Z`), years 1 to 9999 only. */
export function timestampText(seconds: bigint, nanos: number): string {
  if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS || nanos < 0 || nanos > 999_999_999) {
    throw new Proto3JsonError(`Timestamp out of range: ${seconds}s ${nanos}ns`);
  }
  const iso = new Date(Number(seconds) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ for years 0-9999
  return `${iso.slice(0, 19)}${fraction(nanos)}Z`;
}

/** `timestampText` read back; any RFC 3339 offset is accepted and folded into UTC. */
export function parseTimestamp(text: string): { seconds: bigint; nanos: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) throw new Proto3JsonError(`not an RFC 3339 Timestamp: ${JSON.stringify(text)}`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // setUTCFullYear keeps years below 100 as they are
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new Proto3JsonError(`not a valid date and time: ${JSON.stringify(text)}`);
  }
  const zone = m[8] ?? 'Z';
  const offset = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60);
  const seconds = BigInt(date.getTime() / 1000 - offset);
  if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS) throw new Proto3JsonError(`Timestamp out of range: ${text}`);
  return { seconds, nanos: nanosOf(m[7]) };
}

/** A FieldMask path in lowerCamelCase; a path that could not be read back the same way has no JSON form. */
export function fieldMaskPathText(path: string): string {
  const camel = path.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  if (/[A-Z]/.test(path) || fieldMaskPathOf(camel) !== path) throw new Proto3JsonError(`FieldMask path has no JSON form: ${path}`);
  return camel;
}

/** `fieldMaskPathText` read back: lowerCamelCase to the proto field path. */
export function fieldMaskPathOf(text: string): string {
  if (text.includes('_')) throw new Proto3JsonError(`FieldMask JSON path must be lowerCamelCase: ${text}`);
  return text.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A double or float as JSON: non-finite values as the strings proto3 names; floats at their shortest exact text. */
export function floatJson(value: number, single: boolean): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (!single) return value;
  const target = Math.fround(value);
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(target.toPrecision(digits));
    if (Math.fround(shorter) === target) return shorter;
  }
  return Number(target.toPrecision(9));
}

/** A JSON number or string read as a double or float (`"NaN"`, `"Infinity"`, numeric strings). */
export function parseFloatJson(value: JsonValue, single: boolean): number {
  const n = value === 'NaN' ? NaN : value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity
    : typeof value === 'number' ? value
    : typeof value === 'string' && value.trim() === value && value !== '' ? Number(value) : undefined;
  if (n === undefined || (Number.isNaN(n) && value !== 'NaN')) throw new Proto3JsonError(`not a number: ${JSON.stringify(value)}`);
  if (single && Number.isFinite(n) && Math.abs(n) > 3.4028234663852886e38) throw new Proto3JsonError(`float out of range: ${value}`);
  return n;
}

/** The ranges of each integer type, for parsing. */
const INT_RANGE: Record<string, readonly [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

/** A JSON number or decimal string read as an integer of the proto scalar type `type`, range-checked. */
export function parseIntegerJson(value: JsonValue, type: string): bigint {
  const range = INT_RANGE[type];
  if (!range) throw new Proto3JsonError(`not an integer type: ${type}`);
  let n: bigint | undefined;
  if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value)) n = BigInt(value);
  if (n === undefined) throw new Proto3JsonError(`not an integer: ${JSON.stringify(value)}`);
  if (n < range[0] || n > range[1]) throw new Proto3JsonError(`${type} out of range: ${value}`);
  return n;
}

/** Bytes as standard base64 with padding. */
export function bytesText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Standard or URL-safe base64, padding optional, read back as bytes. */
export function parseBytes(text: JsonValue): Uint8Array {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) throw new Proto3JsonError(`not base64: ${JSON.stringify(text)}`);
  return new Uint8Array(Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}
