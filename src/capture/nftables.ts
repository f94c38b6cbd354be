// One nftables `inet` table that captures both families. The file first declares and deletes the table, then
// defines it again: nft applies a file as one transaction, so applying twice replaces instead of duplicating.
// TPROXY mode puts its mangle-priority chains (`tproxy.ts`) in the same table, so it is still one transaction.
import type { IPFamily } from '../model/types.ts';
import type { Cidr } from './rule-ranges.ts';
import type { CaptureConfig, ResolvedCapture } from './config.ts';
import { FAMILY_ADDRESSES, NFT_TABLE } from './names.ts';
import { tproxyNftChains } from './tproxy.ts';
import type { NftChain } from './tproxy.ts';

const MATCH: Readonly<Record<IPFamily, { proto: string; nfproto: string }>> = {
  IPv4: { proto: 'ip', nfproto: 'ipv4' },
  IPv6: { proto: 'ip6', nfproto: 'ipv6' },
};

function hostOrNet(cidr: string): string {
  return cidr.endsWith('/32') || cidr.endsWith('/128') ? cidr.slice(0, cidr.lastIndexOf('/')) : cidr;
}

function portSet(ports: readonly number[]): string {
  return ports.length === 1 ? String(ports[0]) : `{ ${ports.join(', ')} }`;
}

function daddr(c: Cidr): string {
  return `${MATCH[c.family].proto} daddr ${hostOrNet(c.text)}`;
}

function render(c: NftChain): string[] {
  const b = c.base;
  const head = b ? [`\t\ttype ${b.type} hook ${b.hook} priority ${b.priority}; policy accept;`] : [];
  return [`\tchain ${c.name} {`, ...head, ...c.rules.map((r) => `\t\t${r}`), '\t}'];
}

function chain(name: string, rules: readonly string[], hook?: string): string[] {
  return render({ name, rules, ...(hook ? { base: { type: 'nat', hook, priority: -100 } } : {}) });
}

function hookChains(config: CaptureConfig, families: readonly IPFamily[]): string[] {
  const only = families.length === 1 && families[0] ? `meta nfproto ${MATCH[families[0]].nfproto} ` : '';
  const dns = config.captureDns ? [`${only}udp dport 53 jump dns_capture`, `${only}tcp dport 53 jump dns_capture`] : [];
  const jumpInbound = [`${only}meta l4proto tcp jump inbound`];
  const inbound = config.mode === 'redirect' ? chain('nat_prerouting', jumpInbound, 'prerouting') : [];
  return [...inbound, ...chain('nat_output', [...dns, `${only}meta l4proto tcp jump outbound`], 'output')];
}

function inboundChains(config: CaptureConfig, resolved: ResolvedCapture): string[] {
  if (config.mode === 'tproxy') return tproxyNftChains(config, resolved, resolved.families).flatMap(render);
  return [
    ...chain('inbound', [`tcp dport ${portSet(resolved.excludeInboundPorts)} return`, 'jump inbound_redirect']),
    ...chain('inbound_redirect', [`meta l4proto tcp redirect to :${config.inboundPort}`]),
  ];
}

function outboundRules(config: CaptureConfig, resolved: ResolvedCapture, families: readonly IPFamily[]): string[] {
  const ours = (c: Cidr): boolean => families.includes(c.family);
  const perFamily = (f: (family: IPFamily) => string): string[] => families.map(f);
  const ports = resolved.excludeOutboundPorts;
  return [
    ...perFamily((f) => `oifname "lo" ${MATCH[f].proto} saddr ${hostOrNet(FAMILY_ADDRESSES[f].passthrough)} return`),
    `meta skuid ${config.proxyUid} return`,
    `meta skgid ${config.proxyGid} return`,
    ...perFamily((f) => `${MATCH[f].proto} daddr ${hostOrNet(FAMILY_ADDRESSES[f].loopback)} return`),
    ...(ports.length > 0 ? [`tcp dport ${portSet(ports)} return`] : []),
    ...resolved.exclude.filter(ours).map((c) => `${daddr(c)} return`),
    ...(resolved.includeAll
      ? ['jump outbound_redirect']
      : resolved.include.filter(ours).map((c) => `${daddr(c)} jump outbound_redirect`)),
  ];
}

function dnsChain(config: CaptureConfig): string[] {
  if (!config.captureDns) return [];
  return chain('dns_capture', [
    `meta skuid ${config.proxyUid} return`,
    `meta skgid ${config.proxyGid} return`,
    `meta l4proto udp redirect to :${config.dnsPort}`,
    `meta l4proto tcp redirect to :${config.dnsPort}`,
  ]);
}

/** The `nft -f` input: replace-or-create biplane's table with rules for the pod's families. */
export function nftablesFile(config: CaptureConfig, resolved: ResolvedCapture): string {
  const families = resolved.families;
  const body = [
    ...hookChains(config, families),
    ...inboundChains(config, resolved),
    ...chain('outbound', outboundRules(config, resolved, families)),
    ...chain('outbound_redirect', [`meta l4proto tcp redirect to :${config.outboundPort}`]),
    ...dnsChain(config),
  ];
  return [
    `# biplane traffic capture (${families.join(' + ')}): input for 'nft -f'; 'biplane capture --clean' removes it`,
    `table ${NFT_TABLE}`,
    `delete table ${NFT_TABLE}`,
    `table ${NFT_TABLE} {`,
    ...body,
    '}',
    '',
  ].join('\n');
}

/** The `nft -f` input that removes biplane's table, and succeeds when it is already gone. */
export function nftablesCleanFile(): string {
  return [`table ${NFT_TABLE}`, `delete table ${NFT_TABLE}`, ''].join('\n');
}
