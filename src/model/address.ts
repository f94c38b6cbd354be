// Parsing and ordering of IP literals. Every address in biplane passes through `parseAddress`, so families and
// spellings are decided in one place. Parsing is on every hot path of a rebuild, so plain dotted quads and hex-only
// IPv6 literals are read by hand (no regular expression) and results are memoized.
import { isIPv6 } from 'node:net';
import type { Address, IPFamily, IPMode } from './types.ts';

/** Canonical RFC 5952 text of eight IPv6 groups (lowercase, first longest run of two or more zeros compressed). */
function canonicalGroups(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += (groups[i] as number).toString(16);
  }
  return out;
}

/** Value of a hex digit's char code, or -1. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/**
 * The groups of an IPv6 literal made only of hex groups and at most one `::` (no dotted tail, no zone), or undefined
 * when it is not one: 8 groups without `::`, at most 7 with it, 1-4 hex digits each (what `net.isIPv6` accepts).
 */
function hexOnlyGroups(text: string): number[] | undefined {
  const n = text.length;
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  if (n >= 2 && text.charCodeAt(0) === 58 && text.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
  }
  while (i < n) {
    let value = 0;
    let digits = 0;
    for (let d = hexValue(text.charCodeAt(i)); d >= 0 && i < n; d = hexValue(text.charCodeAt(++i))) {
      value = value * 16 + d;
      digits++;
    }
    if (digits === 0 || digits > 4) return undefined;
    groups.push(value);
    if (i === n) break;
    if (text.charCodeAt(i) !== 58 || ++i === n) return undefined;
    if (text.charCodeAt(i) === 58) {
      if (gap >= 0) return undefined;
      gap = groups.length;
      i++;
    }
  }
  if (gap < 0) return groups.length === 8 ? groups : undefined;
  if (groups.length > 7) return undefined;
  const zeros = new Array<number>(8 - groups.length).fill(0);
  groups.splice(gap, 0, ...zeros);
  return groups;
}

/** Whether a string is a dotted-quad IPv4 literal (no leading zeros, each part 0-255), as `net.isIPv4` decides. */
function isDottedQuad(text: string): boolean {
  const n = text.length;
  if (n < 7 || n > 15) return false;
  let parts = 0;
  let i = 0;
  while (i <= n) {
    const start = i;
    let value = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && text.charCodeAt(start) === 48)) return false;
    parts++;
    if (i === n) return parts === 4;
    if (text.charCodeAt(i) !== 46 || parts === 4) return false;
    i++;
  }
  return false;
}

/** The eight 16-bit groups of a valid IPv6 literal. */
export function expandIPv6(text: string): number[] {
  const fast = hexOnlyGroups(text);
  if (fast) return fast;
  let body = text.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (dotted?.[1]) {
    const [a, b, c, d] = dotted[1].split('.').map(Number) as [number, number, number, number];
    body = body.slice(0, -dotted[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left = '', right] = body.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const l = parse(left);
  if (right === undefined) return l;
  const r = parse(right);
  return [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
}

/** Parsed literals by their text; cleared whole when it reaches MEMO_LIMIT so memory stays bounded. */
const memo = new Map<string, Address | null>();
const MEMO_LIMIT = 65_536;

/** Parses an IP literal (brackets allowed around IPv6, no zone, no port); undefined when it is not one. */
export function parseAddress(text: string): Address | undefined {
  const known = memo.get(text);
  if (known !== undefined) return known ?? undefined;
  const parsed = parseUncached(text);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(text, parsed ?? null);
  return parsed;
}

/** `parseAddress` without the memo; results are frozen because the memo hands the same object to every caller. */
function parseUncached(text: string): Address | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isDottedQuad(bare)) return Object.freeze({ ip: bare, family: 'IPv4' });
  const groups = hexOnlyGroups(bare) ?? (isIPv6(bare) && !bare.includes('%') ? expandIPv6(bare) : undefined);
  return groups ? Object.freeze({ ip: canonicalGroups(groups), family: 'IPv6' }) : undefined;
}

/** The other family. */
export function otherFamily(family: IPFamily): IPFamily {
  return family === 'IPv4' ? 'IPv6' : 'IPv4';
}

/** IP mode of a list of addresses: all IPv4, all IPv6 (IPv4-mapped IPv6 counts as IPv6), or both. Empty → IPv4. */
export function ipModeOf(addresses: readonly Address[]): IPMode {
  const v4 = addresses.some((a) => a.family === 'IPv4');
  const v6 = addresses.some((a) => a.family === 'IPv6');
  if (v4 && v6) return 'Dual';
  return v6 ? 'IPv6' : 'IPv4';
}

/** Whether a proxy in `mode` can use an address of `family`. */
export function modeAllows(mode: IPMode, family: IPFamily): boolean {
  return mode === 'Dual' || mode === family;
}

/** The families a proxy uses, its primary first. */
export function familiesFor(mode: IPMode, primary: IPFamily): IPFamily[] {
  return mode === 'Dual' ? [primary, otherFamily(primary)] : [mode];
}

/** `ip:port` as a URL authority: IPv6 bracketed. */
export function hostPort(address: Address, port: number): string {
  return address.family === 'IPv6' ? `[${address.ip}]:${port}` : `${address.ip}:${port}`;
}

/** The host part of an authority: IPv6 bracketed, IPv4 as is. */
export function bracketed(address: Address): string {
  return address.family === 'IPv6' ? `[${address.ip}]` : address.ip;
}

/** A host (name or IP literal, without brackets) and a port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Splits `host:port` or `[ipv6]:port`, the one spelling everywhere (gRPC authorities, xDS, CA, admin and webhook
 * addresses): a bracketed host must be an IPv6 literal, an unbracketed one holds no colon, and the port is decimal
 * without sign or leading zeros, 1–65535 (0 too with `anyPort`, for listen addresses). Undefined for anything else.
 */
export function splitHostPort(text: string, options: { readonly anyPort?: boolean } = {}): HostPort | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  const [host, portText] = [m?.[1], m?.[2]];
  if (host === undefined || portText === undefined) return undefined;
  if (text.startsWith('[') && !isIPv6(host)) return undefined;
  const port = Number(portText);
  const zero = options.anyPort === true && portText === '0';
  return zero || (/^[1-9]\d{0,4}$/.test(portText) && port <= 65535) ? { host, port } : undefined;
}
