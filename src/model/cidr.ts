// CIDR literals as ServiceEntry `addresses` may hold them: `10.1.2.3/32`, `2001:db8::1/128`, or a wider range.
import { parseAddress } from './address.ts';
import type { Address } from './types.ts';

/** An address with a prefix length; a plain IP literal has the full length (32 or 128). */
export interface Prefix {
  readonly address: Address;
  readonly length: number;
}

/** Parses `ip` or `ip/len`; undefined when the IP or the length is not valid for its family. */
export function parsePrefix(text: string): Prefix | undefined {
  const slash = text.indexOf('/');
  const address = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const max = address.family === 'IPv4' ? 32 : 128;
  if (slash < 0) return { address, length: max };
  const lengthText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText)) return undefined;
  const length = Number(lengthText);
  return length <= max ? { address, length } : undefined;
}

/** Whether a prefix names exactly one host (/32 for IPv4, /128 for IPv6). */
export function isHostPrefix(prefix: Prefix): boolean {
  return prefix.length === (prefix.address.family === 'IPv4' ? 32 : 128);
}
