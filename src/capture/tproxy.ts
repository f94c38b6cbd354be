// Inbound capture in TPROXY mode (Istio's `interceptionMode: TPROXY`), for iptables (mangle table, per family) and
// nftables (chains of the one `inet` table). A new inbound TCP connection is handed by the TPROXY target to the
// transparent listener on `inboundPort` without any address rewriting, so the proxy sees the client's real source
// and the original destination. The proxy then connects to the app from the client's address with the mark set;
// the mark is saved on that connection and restored on the app's replies, and the policy route (`routing.ts`)
// delivers those replies to the proxy instead of sending them out towards the client.
import type { IPFamily } from '../model/types.ts';
import type { CaptureConfig, ResolvedCapture } from './config.ts';
import { CHAINS, FAMILY_ADDRESSES } from './names.ts';

const ALL_BITS = '0xffffffff';

function hex(mark: number): string {
  return `0x${mark.toString(16)}`;
}

/** The mangle table for `family`: declarations, the two hooks, and the inbound, divert, TPROXY and restore chains. */
export function tproxyMangleLines(config: CaptureConfig, resolved: ResolvedCapture, family: IPFamily): string[] {
  const mark = hex(config.tproxyMark);
  const onIp = family === 'IPv4' ? '0.0.0.0' : '::';
  const { inbound, divert, tproxy, restoreMark } = CHAINS;
  const masks = `--nfmask ${ALL_BITS} --ctmask ${ALL_BITS}`;
  return [
    ...[divert, inbound, restoreMark, tproxy].map((name) => `:${name} - [0:0]`),
    `-A PREROUTING -p tcp -j ${inbound}`,
    `-A OUTPUT -p tcp -j ${restoreMark}`,
    // The proxy's own original-source packets come back in through lo already marked: remember the mark on the
    // connection so the app's replies can get it back.
    `-A ${inbound} -p tcp -m mark --mark ${mark} -j CONNMARK --save-mark ${masks}`,
    // Pod-local traffic (the proxy to the app, 127.0.0.6 / ::6 passthrough, the app to itself) is never captured.
    `-A ${inbound} -i lo -j RETURN`,
    ...resolved.excludeInboundPorts.map((p) => `-A ${inbound} -p tcp -m tcp --dport ${p} -j RETURN`),
    `-A ${inbound} -p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j ${divert}`,
    `-A ${inbound} -p tcp -j ${tproxy}`,
    `-A ${divert} -j MARK --set-xmark ${mark}/${ALL_BITS}`,
    `-A ${divert} -j ACCEPT`,
    `-A ${tproxy} ! -d ${FAMILY_ADDRESSES[family].loopback} -p tcp -j TPROXY --on-port ${config.inboundPort} ` +
      `--on-ip ${onIp} --tproxy-mark ${mark}/${ALL_BITS}`,
    `-A ${restoreMark} -p tcp -m connmark --mark ${mark} -j CONNMARK --restore-mark ${masks}`,
  ];
}

/** One nftables chain: a base chain has a hook (type, hook point, priority), a regular chain has none. */
export interface NftChain {
  readonly name: string;
  readonly base?: { readonly type: 'filter' | 'nat' | 'route'; readonly hook: string; readonly priority: number };
  readonly rules: readonly string[];
}

const NFT_MATCH: Readonly<Record<IPFamily, { proto: string; nfproto: string; loopback: string }>> = {
  IPv4: { proto: 'ip', nfproto: 'ipv4', loopback: '127.0.0.1' },
  IPv6: { proto: 'ip6', nfproto: 'ipv6', loopback: '::1' },
};

/** The same capture as `tproxyMangleLines`, as chains of the `inet` table. The output hook is a `route` chain: only
 * that chain type re-routes a packet whose mark it changed, which is what sends the app's replies to the proxy. */
export function tproxyNftChains(
  config: CaptureConfig,
  resolved: ResolvedCapture,
  families: readonly IPFamily[],
): NftChain[] {
  const mark = config.tproxyMark;
  const only = families.length === 1 && families[0] ? `meta nfproto ${NFT_MATCH[families[0]].nfproto} ` : '';
  const ports = resolved.excludeInboundPorts;
  const tproxy = families.map((f) => {
    const { proto, loopback } = NFT_MATCH[f];
    const target = `tproxy ${proto} to :${config.inboundPort}`;
    return `${proto} daddr != ${loopback} meta l4proto tcp ${target} meta mark set ${mark} accept`;
  });
  const prerouting = { type: 'filter', hook: 'prerouting', priority: -150 } as const;
  const output = { type: 'route', hook: 'output', priority: -150 } as const;
  return [
    { name: 'mangle_prerouting', base: prerouting, rules: [`${only}meta l4proto tcp jump inbound`] },
    { name: 'mangle_output', base: output, rules: [`${only}meta l4proto tcp ct mark ${mark} meta mark set ct mark`] },
    {
      name: 'inbound',
      rules: [
        `meta mark ${mark} ct mark set meta mark`,
        'iifname "lo" return',
        `tcp dport ${ports.length === 1 ? String(ports[0]) : `{ ${ports.join(', ')} }`} return`,
        'ct state established,related jump inbound_divert',
        'jump inbound_tproxy',
      ],
    },
    { name: 'inbound_divert', rules: [`meta mark set ${mark} accept`] },
    { name: 'inbound_tproxy', rules: tproxy },
  ];
}
