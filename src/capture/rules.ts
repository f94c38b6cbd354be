// The pure entry point: a capture config in, rule text out. No I/O, no clock, sorted inputs, so the same config
// always gives byte-identical rules and a golden diff means a behaviour change.
import type { CaptureConfig } from './config.ts';
import { resolveCapture } from './config.ts';
import { iptablesBody, natTransaction } from './iptables.ts';
import { nftablesFile } from './nftables.ts';

/** Rule text per backend: iptables-restore input per family the pod has, or one nft file for both families. */
export interface CaptureRules {
  readonly iptables?: { readonly v4?: string; readonly v6?: string };
  readonly nftables?: string;
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
