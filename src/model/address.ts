// Parsing and ordering of IP literals. Every address in biplane passes through `parseAddress`, so families and
// spellings are decided in one place.
import { isIPv4, isIPv6 } from 'node:net';
import type { Address, IPFamily, IPMode } from './types.ts';

/** Canonical RFC 5952 text of an IPv6 literal (lowercase, longest zero run compressed, dotted tail kept as hex). */
function canonicalIPv6(text: string): string {
  const groups = expandIPv6(text);
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
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** The eight 16-bit groups of a valid IPv6 literal. */
export function expandIPv6(text: string): number[] {
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

/** Parses an IP literal (brackets allowed around IPv6, no zone, no port); undefined when it is not one. */
export function parseAddress(text: string): Address | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIPv4(bare)) return { ip: bare, family: 'IPv4' };
  if (isIPv6(bare) && !bare.includes('%')) return { ip: canonicalIPv6(bare), family: 'IPv6' };
  return undefined;
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

/** A stable sort of addresses: `primary` family first, original order kept within a family. */
export function orderByFamily(addresses: readonly Address[], primary: IPFamily): Address[] {
  return [...addresses.filter((a) => a.family === primary), ...addresses.filter((a) => a.family !== primary)];
}

/** `ip:port` as a URL authority: IPv6 bracketed. */
export function hostPort(address: Address, port: number): string {
  return address.family === 'IPv6' ? `[${address.ip}]:${port}` : `${address.ip}:${port}`;
}

/** The host part of an authority: IPv6 bracketed, IPv4 as is. */
export function bracketed(address: Address): string {
  return address.family === 'IPv6' ? `[${address.ip}]` : address.ip;
}
