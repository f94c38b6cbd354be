// The pure entry point: a capture config in, rule text out. No I/O, no clock, sorted inputs, so the same config
// always gives byte-identical rules and a golden diff means a behaviour change.
import type { IPFamily } from '../model/types.ts';
import type { CaptureConfig } from './config.ts';
import { resolveCapture } from './config.ts';
import { iptablesTables, restoreInput } from './iptables.ts';
import { FAMILY_ADDRESSES } from './names.ts';
import type { TableLines } from './names.ts';
import { nftablesFile } from './nftables.ts';
import { policyRoutes } from './routing.ts';
import type { PolicyRoute } from './routing.ts';

/** Rule text per backend: iptables-restore input per family the pod has, or one nft file for both families; in
 * TPROXY mode also the policy routing each family needs, whichever backend. */
export interface CaptureRules {
  readonly iptables?: { readonly v4?: string; readonly v6?: string };
  readonly nftables?: string;
  readonly routes?: { readonly v4?: readonly PolicyRoute[]; readonly v6?: readonly PolicyRoute[] };
}

/** One family's iptables rules, per table, for `apply.ts` to join with its clean-up lines. */
export interface FamilyTables {
  readonly family: IPFamily;
  readonly tables: TableLines;
}

/** The iptables rules of `config` per family the pod has, as table lines; throws like `captureRules`. */
export function iptablesFamilies(config: CaptureConfig): FamilyTables[] {
  const resolved = resolveCapture(config);
  return resolved.families.map((family) => ({ family, tables: iptablesTables(config, resolved, family) }));
}

/** The policy routing of `config` per family the pod has: none in REDIRECT mode. */
export function routesOf(config: CaptureConfig): CaptureRules['routes'] {
  if (config.mode !== 'tproxy') return undefined;
  const routing = { mark: config.tproxyMark, table: config.tproxyRouteTable };
  const families = resolveCapture(config).families;
  return {
    ...(families.includes('IPv4') ? { v4: policyRoutes('IPv4', routing) } : {}),
    ...(families.includes('IPv6') ? { v6: policyRoutes('IPv6', routing) } : {}),
  };
}

/**
 * Loopback addresses the sidecar binds as its inbound passthrough source and the kernel does not already provide:
 * `::6/128` when the pod has IPv6 (`127.0.0.6` lies in `127.0.0.0/8`, which lo always holds). Without it every
 * IPv6 connection from the sidecar to its app fails to bind.
 */
export function loopbackAddresses(config: Pick<CaptureConfig, 'ips'>): string[] {
  return config.ips.some((a) => a.family === 'IPv6') ? [FAMILY_ADDRESSES.IPv6.passthrough] : [];
}

/** Generates the capture rules for `config`; throws one error naming every invalid field and value. */
export function captureRules(config: CaptureConfig): CaptureRules {
  const resolved = resolveCapture(config);
  const routes = routesOf(config);
  const withRoutes = routes ? { routes } : {};
  if (config.backend === 'nftables') return { nftables: nftablesFile(config, resolved), ...withRoutes };
  const text = (f: FamilyTables): string => restoreInput(f.family, f.tables);
  const byFamily = new Map(iptablesFamilies(config).map((f) => [f.family, text(f)]));
  const v4 = byFamily.get('IPv4');
  const v6 = byFamily.get('IPv6');
  return { iptables: { ...(v4 !== undefined ? { v4 } : {}), ...(v6 !== undefined ? { v6 } : {}) }, ...withRoutes };
}
