// What a sidecar's traffic capture needs to know, and the checks that make a config safe to turn into rules.
// Every value is plain data; `validateCaptureConfig` returns every problem, naming the field and the bad value.
import { parseAddress } from '../model/address.ts';
import type { Address, IPFamily, Problem } from '../model/types.ts';
import { parseCidr } from './rule-ranges.ts';
import type { Cidr } from './rule-ranges.ts';

/** Which packet filter the rules are written for. */
export type CaptureBackend = 'iptables' | 'nftables';

/** How inbound TCP reaches the proxy: NAT `REDIRECT` (Istio's default) or `TPROXY`, which keeps the original
 * destination on the accepted socket and lets the proxy connect upstream from the client's own address. */
export type CaptureMode = 'redirect' | 'tproxy';

/** Everything the rule generators read: the pod's IPs, the proxy's identity and ports, and what to leave alone. */
export interface CaptureConfig {
  /** The pod's IPs; a family gets rules only when the pod has an address of it. */
  readonly ips: readonly Address[];
  readonly backend: CaptureBackend;
  /** Inbound interception; outbound is always REDIRECT, as in Istio's TPROXY mode. */
  readonly mode: CaptureMode;
  /** TPROXY mode: the packet mark of intercepted inbound packets and of the proxy's original-source upstreams. */
  readonly tproxyMark: number;
  /** TPROXY mode: the routing table that delivers marked packets locally (`ip rule fwmark MARK lookup TABLE`). */
  readonly tproxyRouteTable: number;
  /** Traffic from this uid or gid (the proxy itself) is never captured. */
  readonly proxyUid: number;
  readonly proxyGid: number;
  /** Where outbound TCP goes (Envoy's `virtualOutbound`). */
  readonly outboundPort: number;
  /** Where inbound TCP goes (Envoy's `virtualInbound`). */
  readonly inboundPort: number;
  /** Where captured DNS (UDP and TCP 53) goes. */
  readonly dnsPort: number;
  /** Outbound destinations to capture; `*` anywhere means all. CIDRs of a family the pod lacks are ignored. */
  readonly includeCidrs: readonly string[];
  /** Outbound destinations never captured (checked before `includeCidrs`). */
  readonly excludeCidrs: readonly string[];
  /** Inbound destination ports never captured, on top of `PROXY_OWN_PORTS`. */
  readonly excludeInboundPorts: readonly number[];
  /** Outbound destination ports never captured. */
  readonly excludeOutboundPorts: readonly number[];
  /** Redirect UDP and TCP port 53 to `dnsPort` (both families), except the proxy's own queries. */
  readonly captureDns: boolean;
}

/** The proxy's own inbound ports, never captured: 15020 (agent / merged metrics), 15021 (readiness), 15090 (Prometheus). */
export const PROXY_OWN_PORTS: readonly number[] = [15020, 15021, 15090];

/** Istio-compatible defaults, so `biplane capture --ips ...` alone is a working sidecar setup. */
export const DEFAULT_CAPTURE: Omit<CaptureConfig, 'ips'> = {
  backend: 'iptables',
  mode: 'redirect',
  tproxyMark: 1337,
  tproxyRouteTable: 133,
  proxyUid: 1337,
  proxyGid: 1337,
  outboundPort: 15001,
  inboundPort: 15006,
  dnsPort: 15053,
  includeCidrs: ['*'],
  excludeCidrs: [],
  excludeInboundPorts: [],
  excludeOutboundPorts: [],
  captureDns: false,
};

/** A config after validation: CIDRs parsed, canonical, deduplicated and sorted; ports sorted and deduplicated. */
export interface ResolvedCapture {
  readonly families: readonly IPFamily[];
  readonly includeAll: boolean;
  readonly include: readonly Cidr[];
  readonly exclude: readonly Cidr[];
  readonly excludeInboundPorts: readonly number[];
  readonly excludeOutboundPorts: readonly number[];
}

function problem(field: string, message: string): Problem {
  return { severity: 'error', message: `${field}: ${message}`, origin: { source: 'generated', field } };
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** Routing tables the kernel owns (unspec, default, main, local): a TPROXY table must be none of them. */
const RESERVED_TABLES = new Set([0, 253, 254, 255]);

function isId(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xfffffffe;
}

function checkCidrs(field: string, list: readonly string[], allowStar: boolean, out: Problem[]): void {
  for (const text of list) {
    if (allowStar && text === '*') continue;
    const r = parseCidr(text);
    if ('error' in r) out.push(problem(field, `'${text}' is not a valid CIDR: ${r.error}`));
  }
}

function checkInterception(config: CaptureConfig, out: Problem[]): void {
  if (config.mode !== 'redirect' && config.mode !== 'tproxy') {
    out.push(problem('mode', `'${String(config.mode)}' is not one of redirect, tproxy`));
  }
  if (!Number.isInteger(config.tproxyMark) || config.tproxyMark < 1 || config.tproxyMark > 0xffffffff) {
    out.push(problem('tproxyMark', `'${config.tproxyMark}' is not a packet mark (1-4294967295)`));
  }
  const table = config.tproxyRouteTable;
  if (!Number.isInteger(table) || table < 1 || table > 0xffffffff || RESERVED_TABLES.has(table)) {
    out.push(problem('tproxyRouteTable', `'${table}' is not a free routing table (1-4294967295, not 253, 254 or 255)`));
  }
}

/** Every problem with `config`; empty means `captureRules` will accept it. */
export function validateCaptureConfig(config: CaptureConfig): Problem[] {
  const out: Problem[] = [];
  if (config.ips.length === 0) out.push(problem('ips', 'the pod has no IPs, so no family would be captured'));
  config.ips.forEach((a, i) => {
    const parsed = parseAddress(a.ip);
    if (!parsed || parsed.family !== a.family) out.push(problem(`ips[${i}]`, `'${a.ip}' is not an ${a.family} address`));
  });
  if (config.backend !== 'iptables' && config.backend !== 'nftables') {
    out.push(problem('backend', `'${String(config.backend)}' is not one of iptables, nftables`));
  }
  checkInterception(config, out);
  if (!isId(config.proxyUid)) out.push(problem('proxyUid', `'${config.proxyUid}' is not a uid`));
  if (!isId(config.proxyGid)) out.push(problem('proxyGid', `'${config.proxyGid}' is not a gid`));
  for (const field of ['outboundPort', 'inboundPort', 'dnsPort'] as const) {
    if (!isPort(config[field])) out.push(problem(field, `'${config[field]}' is not a port (1-65535)`));
  }
  for (const field of ['excludeInboundPorts', 'excludeOutboundPorts'] as const) {
    for (const p of config[field]) if (!isPort(p)) out.push(problem(field, `'${p}' is not a port (1-65535)`));
  }
  checkCidrs('includeCidrs', config.includeCidrs, true, out);
  checkCidrs('excludeCidrs', config.excludeCidrs, false, out);
  return out;
}

function cidrList(list: readonly string[]): Cidr[] {
  const seen = new Map<string, Cidr>();
  for (const text of list) {
    const r = parseCidr(text);
    if (!('error' in r)) seen.set(r.text, r);
  }
  return [...seen.values()].sort(compareCidr);
}

function compareCidr(a: Cidr, b: Cidr): number {
  if (a.family !== b.family) return a.family < b.family ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : a.prefix - b.prefix;
}

function portList(list: readonly number[]): number[] {
  return [...new Set(list)].sort((a, b) => a - b);
}

/** Validates `config` and returns its canonical form; throws one error listing every problem. */
export function resolveCapture(config: CaptureConfig): ResolvedCapture {
  const problems = validateCaptureConfig(config);
  if (problems.length > 0) throw new Error(`invalid capture config:\n  ${problems.map((p) => p.message).join('\n  ')}`);
  const families = (['IPv4', 'IPv6'] as const).filter((f) => config.ips.some((a) => a.family === f));
  return {
    families,
    includeAll: config.includeCidrs.includes('*'),
    include: cidrList(config.includeCidrs.filter((c) => c !== '*')),
    exclude: cidrList(config.excludeCidrs),
    excludeInboundPorts: portList([...PROXY_OWN_PORTS, ...config.excludeInboundPorts]),
    excludeOutboundPorts: portList(config.excludeOutboundPorts),
  };
}
