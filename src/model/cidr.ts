// CIDR literals as ServiceEntry `addresses` may hold them: `10.1.2.3/32`, `2001:db8::1/128`, or a wider range.
import { expandIPv6, parseAddress } from './address.ts';
import type { Address } from './types.ts';

/** An address with a prefix length; a plain IP literal has the full length (32 or 128). */
export interface Prefix {
  readonly address: Address;
  readonly length: number;
}

/** Parses `ip` or `ip/len`, saying what is wrong when it cannot: the one CIDR parser (capture rules read it too). */
export function readPrefix(text: string): Prefix | { readonly error: string } {
  const [ipText = '', lengthText, extra] = text.split('/');
  if (extra !== undefined) return { error: 'more than one /' };
  const address = parseAddress(ipText);
  if (!address) return { error: `'${ipText}' is not an IP address` };
  const max = address.family === 'IPv4' ? 32 : 128;
  if (lengthText === undefined) return { address, length: max };
  if (!/^\d{1,3}$/.test(lengthText)) return { error: `prefix '${lengthText}' is not a number` };
  const length = Number(lengthText);
  return length <= max ? { address, length } : { error: `prefix /${length} is longer than ${max}` };
}

/** Parses `ip` or `ip/len`; undefined when the IP or the length is not valid for its family. */
export function parsePrefix(text: string): Prefix | undefined {
  const prefix = readPrefix(text);
  return 'error' in prefix ? undefined : prefix;
}

/** Whether a prefix names exactly one host (/32 for IPv4, /128 for IPv6). */
export function isHostPrefix(prefix: Prefix): boolean {
  return prefix.length === (prefix.address.family === 'IPv4' ? 32 : 128);
}

/** The address as a string of its 32 (IPv4) or 128 (IPv6) bits, for prefix comparisons. */
export function addressBits(address: Address): string {
  if (address.family === 'IPv4') return address.ip.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
  return expandIPv6(address.ip).map((g) => g.toString(2).padStart(16, '0')).join('');
}

/** Whether `address` lies in `network/length`; a range never holds an address of the other family. */
export function prefixContains(network: Address, length: number, address: Address): boolean {
  if (network.family !== address.family) return false;
  return addressBits(network).slice(0, length) === addressBits(address).slice(0, length);
}
