// Auto-allocated ServiceEntry VIPs: one IPv4 from 240.240.0.0/16 and one IPv6 from 2001:2::/48 per host that has no
// `spec.addresses`, stable without any stored state.
//
// The rule, per family:
// 1. Each host has a natural slot: a SHA-256 hash of the host name, modulo the pool size. IPv4 slots skip last octets
//    .0 and .255 (240.240.x.1-254); IPv6 slots are 2001:2::<32 bits>, never ::0.
// 2. Claims are ranked oldest first (ServiceEntry `metadata.creationTimestamp`; claims without one after those with
//    one), then by host, then by namespace. Input order never matters.
// 3. In rank order, each claim takes its natural slot if it is free; explicit ServiceEntry addresses inside a pool are
//    taken before anything else.
// 4. Then, in rank order, each claim that lost its natural slot takes the next free slot after it (wrapping).
// So a new host never moves an older host that holds its natural slot (with timestamps, never at all; without
// them only when the newcomer hashes to the same slot and sorts first), and hosts that do not collide never move.
import { createHash } from 'node:crypto';
import { expandIPv6 } from './address.ts';
import { problemAt } from './json-readers.ts';
import { compareStrings } from '../compare-strings.ts';
import type { Address, IPFamily, Origin, Problem } from './types.ts';

/** A range VIPs are handed out from, seen as numbered slots. */
export interface VipPool {
  readonly family: IPFamily;
  readonly size: number;
  /** Which 32-bit word of the host's hash picks the natural slot (so the families collide independently). */
  readonly hashWord: number;
  readonly address: (slot: number) => Address;
  /** The slot of an address inside the pool, undefined outside it. */
  readonly slotOf: (address: Address) => number | undefined;
}

/** 240.240.0.0/16 without the .0 and .255 of each /24: 256 × 254 slots. */
export const IPV4_POOL: VipPool = {
  family: 'IPv4',
  size: 256 * 254,
  hashWord: 0,
  address: (slot) => ({ ip: `240.240.${Math.floor(slot / 254)}.${(slot % 254) + 1}`, family: 'IPv4' }),
  slotOf: (address) => {
    const [a, b, c, d] = address.ip.split('.').map(Number);
    if (address.family !== 'IPv4' || a !== 240 || b !== 240 || c === undefined || d === undefined) return undefined;
    return d >= 1 && d <= 254 ? c * 254 + d - 1 : undefined;
  },
};

/** 2001:2::1 to 2001:2::ffff:ffff (the low 32 bits of 2001:2::/48, zero excluded). */
export const IPV6_POOL: VipPool = {
  family: 'IPv6',
  size: 0xffffffff,
  hashWord: 1,
  address: (slot) => {
    const value = slot + 1;
    const high = Math.floor(value / 0x10000).toString(16);
    const low = (value % 0x10000).toString(16);
    return { ip: high === '0' ? `2001:2::${low}` : `2001:2::${high}:${low}`, family: 'IPv6' };
  },
  slotOf: (address) => {
    if (address.family !== 'IPv6') return undefined;
    const g = expandIPv6(address.ip);
    if (g[0] !== 0x2001 || g[1] !== 2 || g.slice(2, 6).some((x) => x !== 0)) return undefined;
    const value = (g[6] ?? 0) * 0x10000 + (g[7] ?? 0);
    return value === 0 ? undefined : value - 1;
  },
};

/** One host asking for VIPs. `key` identifies it in the result (`namespace/host`). */
export interface VipClaim {
  readonly key: string;
  readonly host: string;
  readonly namespace: string;
  readonly families: readonly IPFamily[];
  /** `metadata.creationTimestamp` of its ServiceEntry, when known. */
  readonly created?: string;
  readonly origin: Origin;
}

/** Reads the `biplane.io/auto-allocate` value: `none`, `IPv4`, `IPv6` or both comma-separated; undefined if invalid. */
export function parseAutoAllocate(text: string): IPFamily[] | undefined {
  const parts = text.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
  if (parts.length === 1 && parts[0] === 'none') return [];
  const families: IPFamily[] = [];
  for (const part of parts) {
    const family: IPFamily | undefined = part === 'ipv4' ? 'IPv4' : part === 'ipv6' ? 'IPv6' : undefined;
    if (!family || families.includes(family)) return undefined;
    families.push(family);
  }
  return families.length > 0 ? families.sort() : undefined;
}

/** Allocates VIPs for every claim (IPv4 first); `reserved` addresses are never handed out. */
export function allocateVips(
  claims: readonly VipClaim[],
  reserved: readonly Address[],
  pools: readonly VipPool[] = [IPV4_POOL, IPV6_POOL],
): { vips: Map<string, Address[]>; problems: Problem[] } {
  const ranked = [...claims].sort(compareClaims);
  const vips = new Map<string, Address[]>(ranked.map((c) => [c.key, []]));
  const problems: Problem[] = [];
  for (const pool of pools) {
    const wanting = ranked.filter((c) => c.families.includes(pool.family));
    for (const [key, address] of allocateFamily(wanting, reserved, pool, problems)) vips.get(key)?.push(address);
  }
  return { vips, problems };
}

/** Claims ranked: oldest first (no timestamp last), then host, then namespace. */
function compareClaims(a: VipClaim, b: VipClaim): number {
  const ta = a.created ?? '\uffff';
  const tb = b.created ?? '\uffff';
  return compareStrings(ta, tb) || compareStrings(a.host, b.host) || compareStrings(a.namespace, b.namespace);
}

/** Natural slots first, then linear probing for the claims that lost theirs, both in rank order. */
function allocateFamily(
  ranked: readonly VipClaim[],
  reserved: readonly Address[],
  pool: VipPool,
  problems: Problem[],
): Map<string, Address> {
  const taken = new Set<number>();
  for (const address of reserved) {
    const slot = pool.slotOf(address);
    if (slot !== undefined) taken.add(slot);
  }
  const out = new Map<string, Address>();
  const losers: VipClaim[] = [];
  for (const claim of ranked) {
    const slot = naturalSlot(claim.host, pool);
    if (taken.has(slot)) {
      losers.push(claim);
      continue;
    }
    taken.add(slot);
    out.set(claim.key, pool.address(slot));
  }
  for (const claim of losers) {
    const slot = nextFree(naturalSlot(claim.host, pool), taken, pool.size);
    if (slot === undefined) {
      const message = `no ${pool.family} VIP left to allocate for ${claim.host} (pool of ${pool.size} is full)`;
      problems.push(problemAt(claim.origin, 'warning', 'spec.hosts', message));
      continue;
    }
    taken.add(slot);
    out.set(claim.key, pool.address(slot));
  }
  return out;
}

/** The first free slot after `start` (wrapping), or undefined when every slot is taken. */
function nextFree(start: number, taken: ReadonlySet<number>, size: number): number | undefined {
  if (taken.size >= size) return undefined;
  for (let step = 1; step <= size; step++) {
    const slot = (start + step) % size;
    if (!taken.has(slot)) return slot;
  }
  return undefined;
}

/** The slot a host's hash points at in `pool`. */
export function naturalSlot(host: string, pool: VipPool): number {
  const digest = createHash('sha256').update(host.toLowerCase()).digest();
  return digest.readUInt32BE(pool.hashWord * 4) % pool.size;
}
