// The names biplane owns in the packet filters, and the per-family addresses every generator uses: one place, so
// the generators, the clean-up and the tests agree on what is "ours".
import type { IPFamily } from '../model/types.ts';

/** biplane's chains; every name starts with `CHAIN_PREFIX`, which is how `--clean` finds them. `inbound` is a nat
 * chain in REDIRECT mode and a mangle chain in TPROXY mode; `divert`, `tproxy` and `restoreMark` are mangle only. */
export const CHAINS = {
  inbound: 'BIPLANE_INBOUND',
  inRedirect: 'BIPLANE_IN_REDIRECT',
  output: 'BIPLANE_OUTPUT',
  redirect: 'BIPLANE_REDIRECT',
  dns: 'BIPLANE_DNS',
  divert: 'BIPLANE_DIVERT',
  tproxy: 'BIPLANE_TPROXY',
  restoreMark: 'BIPLANE_RESTORE_MARK',
} as const;

/** The prefix shared by every biplane chain. */
export const CHAIN_PREFIX = 'BIPLANE_';

/** The iptables tables biplane writes, in the order a restore input holds them. */
export const TABLES = ['mangle', 'nat'] as const;

/** One of `TABLES`. */
export type IptablesTable = (typeof TABLES)[number];

/** Rule lines (chain declarations first) per table, without the `*table` / `COMMIT` frame. */
export type TableLines = Partial<Record<IptablesTable, readonly string[]>>;

/** The table biplane owns in nftables; `--clean` deletes exactly this table. */
export const NFT_TABLE = 'inet biplane';

/** Per-family constants from the spec: inbound passthrough source and loopback destination. */
export const FAMILY_ADDRESSES: Readonly<Record<IPFamily, { passthrough: string; loopback: string }>> = {
  IPv4: { passthrough: '127.0.0.6/32', loopback: '127.0.0.1/32' },
  IPv6: { passthrough: '::6/128', loopback: '::1/128' },
};
