// iptables-restore input for one family. The rules live in biplane's own nat chains, hooked from PREROUTING and
// OUTPUT by one jump each, so they can be replaced or removed without touching anyone else's rules. Lines are
// spelled exactly as iptables-save prints them, so applied state can be compared with generated text.
import type { IPFamily } from '../model/types.ts';
import type { CaptureConfig, ResolvedCapture } from './config.ts';

/** biplane's chains in the nat table; every name starts with `CHAIN_PREFIX`, which is how `--clean` finds them. */
export const CHAINS = {
  inbound: 'BIPLANE_INBOUND',
  inRedirect: 'BIPLANE_IN_REDIRECT',
  output: 'BIPLANE_OUTPUT',
  redirect: 'BIPLANE_REDIRECT',
  dns: 'BIPLANE_DNS',
} as const;

/** The prefix shared by every biplane chain. */
export const CHAIN_PREFIX = 'BIPLANE_';

/** Per-family constants from the spec: inbound passthrough source and loopback destination. */
export const FAMILY_ADDRESSES: Readonly<Record<IPFamily, { passthrough: string; loopback: string }>> = {
  IPv4: { passthrough: '127.0.0.6/32', loopback: '127.0.0.1/32' },
  IPv6: { passthrough: '::6/128', loopback: '::1/128' },
};

function chainNames(config: CaptureConfig): string[] {
  const names: string[] = [CHAINS.inbound, CHAINS.inRedirect, CHAINS.output, CHAINS.redirect];
  if (config.captureDns) names.push(CHAINS.dns);
  return names.sort();
}

function ownerReturns(chain: string, config: CaptureConfig): string[] {
  return [
    `-A ${chain} -m owner --uid-owner ${config.proxyUid} -j RETURN`,
    `-A ${chain} -m owner --gid-owner ${config.proxyGid} -j RETURN`,
  ];
}

function inboundLines(config: CaptureConfig, resolved: ResolvedCapture): string[] {
  return [
    ...resolved.excludeInboundPorts.map((p) => `-A ${CHAINS.inbound} -p tcp -m tcp --dport ${p} -j RETURN`),
    `-A ${CHAINS.inbound} -p tcp -j ${CHAINS.inRedirect}`,
    `-A ${CHAINS.inRedirect} -p tcp -j REDIRECT --to-ports ${config.inboundPort}`,
  ];
}

function outboundLines(config: CaptureConfig, resolved: ResolvedCapture, family: IPFamily): string[] {
  const { passthrough, loopback } = FAMILY_ADDRESSES[family];
  const chain = CHAINS.output;
  const include = resolved.include.filter((c) => c.family === family);
  const redirects = resolved.includeAll
    ? [`-A ${chain} -j ${CHAINS.redirect}`]
    : include.map((c) => `-A ${chain} -d ${c.text} -j ${CHAINS.redirect}`);
  return [
    `-A ${chain} -s ${passthrough} -o lo -j RETURN`,
    ...ownerReturns(chain, config),
    `-A ${chain} -d ${loopback} -j RETURN`,
    ...resolved.excludeOutboundPorts.map((p) => `-A ${chain} -p tcp -m tcp --dport ${p} -j RETURN`),
    ...resolved.exclude.filter((c) => c.family === family).map((c) => `-A ${chain} -d ${c.text} -j RETURN`),
    ...redirects,
    `-A ${CHAINS.redirect} -p tcp -j REDIRECT --to-ports ${config.outboundPort}`,
  ];
}

function dnsLines(config: CaptureConfig): string[] {
  if (!config.captureDns) return [];
  return [
    ...ownerReturns(CHAINS.dns, config),
    `-A ${CHAINS.dns} -p udp -j REDIRECT --to-ports ${config.dnsPort}`,
    `-A ${CHAINS.dns} -p tcp -j REDIRECT --to-ports ${config.dnsPort}`,
  ];
}

/** The jumps from the built-in chains into biplane's chains, in the order they must run. */
export function hookLines(config: CaptureConfig): string[] {
  const dns = config.captureDns
    ? [`-A OUTPUT -p udp -m udp --dport 53 -j ${CHAINS.dns}`, `-A OUTPUT -p tcp -m tcp --dport 53 -j ${CHAINS.dns}`]
    : [];
  return [`-A PREROUTING -p tcp -j ${CHAINS.inbound}`, ...dns, `-A OUTPUT -p tcp -j ${CHAINS.output}`];
}

/** The chain declarations and rules for `family`, without the `*nat` / `COMMIT` frame. */
export function iptablesBody(config: CaptureConfig, resolved: ResolvedCapture, family: IPFamily): string[] {
  return [
    ...chainNames(config).map((name) => `:${name} - [0:0]`),
    ...hookLines(config),
    ...inboundLines(config, resolved),
    ...outboundLines(config, resolved, family),
    ...dnsLines(config),
  ];
}

/** A complete `iptables-restore --noflush` input: `lines` (cleanup first, then rules) inside one nat transaction. */
export function natTransaction(family: IPFamily, lines: readonly string[]): string {
  const tool = family === 'IPv4' ? 'iptables-restore' : 'ip6tables-restore';
  const header = `# biplane traffic capture, ${family}: input for '${tool} --noflush'; 'biplane capture --clean' removes it`;
  return [header, '*nat', ...lines, 'COMMIT', ''].join('\n');
}
