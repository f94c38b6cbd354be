// iptables-restore input for one family. The rules live in biplane's own chains, hooked from the built-in chains by
// one jump each, so they can be replaced or removed without touching anyone else's rules: nat chains for outbound
// (and for inbound in REDIRECT mode), mangle chains for inbound in TPROXY mode. Lines are spelled exactly as
// iptables-save prints them, so applied state can be compared with generated text.
import type { IPFamily } from '../model/types.ts';
import type { CaptureConfig, ResolvedCapture } from './config.ts';
import { CHAINS, FAMILY_ADDRESSES, TABLES } from './names.ts';
import type { TableLines } from './names.ts';
import { tproxyMangleLines } from './tproxy.ts';

function natChainNames(config: CaptureConfig): string[] {
  const names: string[] = [CHAINS.output, CHAINS.redirect];
  if (config.mode === 'redirect') names.push(CHAINS.inbound, CHAINS.inRedirect);
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
  if (config.mode === 'tproxy') return [];
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

/** The jumps from the built-in nat chains into biplane's chains, in the order they must run. */
export function hookLines(config: CaptureConfig): string[] {
  const dns = config.captureDns
    ? [`-A OUTPUT -p udp -m udp --dport 53 -j ${CHAINS.dns}`, `-A OUTPUT -p tcp -m tcp --dport 53 -j ${CHAINS.dns}`]
    : [];
  const inbound = config.mode === 'redirect' ? [`-A PREROUTING -p tcp -j ${CHAINS.inbound}`] : [];
  return [...inbound, ...dns, `-A OUTPUT -p tcp -j ${CHAINS.output}`];
}

/** The nat chain declarations and rules for `family`, without the `*nat` / `COMMIT` frame. */
export function iptablesBody(config: CaptureConfig, resolved: ResolvedCapture, family: IPFamily): string[] {
  return [
    ...natChainNames(config).map((name) => `:${name} - [0:0]`),
    ...hookLines(config),
    ...inboundLines(config, resolved),
    ...outboundLines(config, resolved, family),
    ...dnsLines(config),
  ];
}

/** Every table's lines for `family`: nat always, mangle in TPROXY mode. */
export function iptablesTables(config: CaptureConfig, resolved: ResolvedCapture, family: IPFamily): TableLines {
  const nat = iptablesBody(config, resolved, family);
  return config.mode === 'tproxy' ? { mangle: tproxyMangleLines(config, resolved, family), nat } : { nat };
}

/** A complete `iptables-restore --noflush` input: each table's lines (cleanup first, then rules) in `TABLES` order.
 * The restore tool commits table by table, so `apply.ts` rolls back when a later table fails. */
export function restoreInput(family: IPFamily, tables: TableLines): string {
  const tool = family === 'IPv4' ? 'iptables-restore' : 'ip6tables-restore';
  const header = `# biplane traffic capture, ${family}: input for '${tool} --noflush'; 'biplane capture --clean' removes it`;
  const sections = TABLES.flatMap((t) => {
    const lines = tables[t];
    return lines === undefined ? [] : [`*${t}`, ...lines, 'COMMIT'];
  });
  return [header, ...sections, ''].join('\n');
}
