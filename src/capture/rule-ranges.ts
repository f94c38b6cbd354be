// Canonical network ranges for capture rules, read with the model's one CIDR parser (`model/cidr.ts`): the family
// decides which table a range goes to, and the text is canonical (host bits cleared, IPv6 compressed) so the
// generated rules are the same whatever spelling the user chose.
import { expandIPv6, parseAddress } from '../model/address.ts';
import { readPrefix } from '../model/cidr.ts';
import type { IPFamily } from '../model/types.ts';

/** A canonical network range. */
export interface Cidr {
  readonly family: IPFamily;
  /** Network address with host bits cleared, canonical spelling. */
  readonly network: string;
  readonly prefix: number;
  /** `network/prefix`. */
  readonly text: string;
  /** Fixed-width hex of the network, for numeric sorting. */
  readonly key: string;
}

function maskBits(groups: readonly number[], width: number, prefix: number): number[] {
  return groups.map((g, i) => {
    const keep = Math.max(0, Math.min(width, prefix - i * width));
    const mask = keep === 0 ? 0 : ((0xffffffff << (width - keep)) >>> 0) & ((1 << width) - 1);
    return g & mask;
  });
}

/** Parses `a.b.c.d/n`, `x:y::/n` or a bare address (a single host) with the model's parser; host bits are cleared. */
export function parseCidr(text: string): Cidr | { readonly error: string } {
  const parsed = readPrefix(text.trim());
  if ('error' in parsed) return parsed;
  const { address, length: prefix } = parsed;
  if (address.family === 'IPv4') {
    const octets = maskBits(address.ip.split('.').map(Number), 8, prefix);
    const network = octets.join('.');
    const key = octets.map((o) => o.toString(16).padStart(2, '0')).join('');
    return { family: 'IPv4', network, prefix, text: `${network}/${prefix}`, key };
  }
  const groups = maskBits(expandIPv6(address.ip), 16, prefix);
  const network = parseAddress(groups.map((g) => g.toString(16)).join(':'))?.ip ?? address.ip;
  const key = groups.map((g) => g.toString(16).padStart(4, '0')).join('');
  return { family: 'IPv6', network, prefix, text: `${network}/${prefix}`, key };
}
