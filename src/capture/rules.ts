// The pure entry point: a capture config in, rule text out. No I/O, no clock, sorted inputs, so the same config
// always gives byte-identical rules and a golden diff means a behaviour change.
import type { CaptureConfig } from './config.ts';
import { resolveCapture } from './config.ts';
import { FAMILY_ADDRESSES, iptablesBody, natTransaction } from './iptables.ts';
import { nftablesFile } from './nftables.ts';

/** Rule text per backend: iptables-restore input per family the pod has, or one nft file for both families. */
export interface CaptureRules {
  readonly iptables?: { readonly v4?: string; readonly v6?: string };
  readonly nftables?: string;
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
  if (config.backend === 'nftables') return { nftables: nftablesFile(config, resolved) };
  const has = (f: 'IPv4' | 'IPv6'): boolean => resolved.families.includes(f);
  return {
    iptables: {
      ...(has('IPv4') ? { v4: natTransaction('IPv4', iptablesBody(config, resolved, 'IPv4')) } : {}),
      ...(has('IPv6') ? { v6: natTransaction('IPv6', iptablesBody(config, resolved, 'IPv6')) } : {}),
    },
  };
}
