// Command-line flags of `biplane capture`, turned into plain data. Parsing is pure so it can be tested without a
// process; every bad value produces an error naming the flag and the value.
import { parseArgs } from 'node:util';
import { parseAddress } from '../model/address.ts';
import type { Address } from '../model/types.ts';
import type { CaptureBackend, CaptureConfig, CaptureMode } from './config.ts';
import { splitList } from './pod.ts';

/** What the command should do with the rules. */
export type CaptureAction = 'print' | 'apply' | 'clean';

/** Parsed flags: the action, where IPs come from, and only the config fields the user set explicitly. */
export interface CaptureFlags {
  readonly action: CaptureAction;
  readonly help: boolean;
  readonly manifests?: string;
  readonly pod?: { readonly namespace: string; readonly name: string };
  readonly explicit: Partial<CaptureConfig>;
}

/** `biplane capture --help`. */
export const CAPTURE_USAGE = `usage: biplane capture --ips IP[,IP] [flags] [--print | --apply | --clean]
       biplane capture --manifests DIR --pod NAMESPACE/NAME [flags] [--print | --apply | --clean]

Generates (and optionally applies in the current network namespace) the sidecar traffic capture rules for a pod:
iptables + ip6tables rules for each family the pod has, or one nftables 'inet' table for both.

  --ips LIST                   the pod's IPs, primary first (IPv4 and/or IPv6)
  --manifests DIR --pod NS/NAME  take the IPs, traffic.sidecar.istio.io/* and sidecar.istio.io/interceptionMode
                               annotations from a pod in DIR
  --backend iptables|nftables  rule flavour (default iptables)
  --mode redirect|tproxy       inbound interception: NAT REDIRECT, or TPROXY keeping the client's address and the
                               original destination (mangle table + policy routing); outbound is REDIRECT either way
  --tproxy-mark N              TPROXY packet mark (default 1337)
  --tproxy-route-table N       TPROXY routing table delivering marked packets locally (default 133)
  --proxy-uid N, --proxy-gid N the proxy's uid / gid; its own traffic is never captured (default 1337)
  --outbound-port N            where outbound TCP is redirected (default 15001)
  --inbound-port N             where inbound TCP is redirected (default 15006)
  --include-cidrs LIST         outbound destinations to capture; '*' = all (default *)
  --exclude-cidrs LIST         outbound destinations never captured
  --exclude-inbound-ports LIST inbound ports never captured (15020, 15021, 15090 are always excluded)
  --exclude-outbound-ports LIST outbound destination ports never captured
  --capture-dns                redirect DNS (UDP and TCP 53, both families) to --dns-port
  --dns-port N                 (default 15053)
  --print                      print the rules (default)
  --apply                      apply them atomically per family, replacing earlier biplane rules; a pod with
                               IPv6 also gets ::6/128 on lo (the sidecar's IPv6 inbound passthrough source)
  --clean                      remove biplane's chains and jumps (iptables) or its table (nftables) and its TPROXY
                               policy routes (for --tproxy-mark / --tproxy-route-table) and ::6 from lo, nothing
                               else

LISTs are comma-separated. CIDRs of a family the pod does not have are ignored. Explicit flags win over annotations.`;

const OPTIONS = {
  ips: { type: 'string' },
  manifests: { type: 'string' },
  pod: { type: 'string' },
  backend: { type: 'string' },
  mode: { type: 'string' },
  'tproxy-mark': { type: 'string' },
  'tproxy-route-table': { type: 'string' },
  'proxy-uid': { type: 'string' },
  'proxy-gid': { type: 'string' },
  'outbound-port': { type: 'string' },
  'inbound-port': { type: 'string' },
  'dns-port': { type: 'string' },
  'include-cidrs': { type: 'string' },
  'exclude-cidrs': { type: 'string' },
  'exclude-inbound-ports': { type: 'string' },
  'exclude-outbound-ports': { type: 'string' },
  'capture-dns': { type: 'boolean' },
  print: { type: 'boolean' },
  apply: { type: 'boolean' },
  clean: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function integer(flag: string, text: string, min: number, max: number): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new Error(`--${flag}: '${text}' is not a number from ${min} to ${max}`);
  }
  return Number(text);
}

const BACKENDS: readonly CaptureBackend[] = ['iptables', 'nftables'];
const MODES: readonly CaptureMode[] = ['redirect', 'tproxy'];

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === text);
  if (found === undefined) throw new Error(`--${flag}: '${text}' is not one of ${allowed.join(', ')}`);
  return found;
}

function addresses(text: string): Address[] {
  return splitList(text).map((ip) => {
    const a = parseAddress(ip);
    if (!a) throw new Error(`--ips: '${ip}' is not an IP address`);
    return a;
  });
}

function action(values: { print?: boolean; apply?: boolean; clean?: boolean }): CaptureAction {
  const chosen = (['print', 'apply', 'clean'] as const).filter((a) => values[a] === true);
  if (chosen.length > 1) throw new Error(`--${chosen.join(' and --')} cannot be combined`);
  return chosen[0] ?? 'print';
}

function podRef(text: string): { namespace: string; name: string } {
  const [namespace, name, extra] = text.split('/');
  if (!namespace || !name || extra !== undefined) throw new Error(`--pod: '${text}' is not NAMESPACE/NAME`);
  return { namespace, name };
}

/** Parses `argv` (after `capture`); throws an Error whose message names the bad flag. */
export function parseCaptureFlags(argv: readonly string[]): CaptureFlags {
  const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
  if (positionals.length > 0) throw new Error(`unexpected argument '${positionals[0]}'`);
  const ports = (flag: string, text: string): number[] => splitList(text).map((p) => integer(flag, p, 1, 65535));
  const e: { -readonly [K in keyof CaptureConfig]?: CaptureConfig[K] } = {};
  if (values.ips !== undefined) e.ips = addresses(values.ips);
  if (values.backend !== undefined) e.backend = oneOf('backend', values.backend, BACKENDS);
  if (values.mode !== undefined) e.mode = oneOf('mode', values.mode, MODES);
  const mark = values['tproxy-mark'];
  if (mark !== undefined) e.tproxyMark = integer('tproxy-mark', mark, 1, 0xffffffff);
  const table = values['tproxy-route-table'];
  if (table !== undefined) e.tproxyRouteTable = integer('tproxy-route-table', table, 1, 0xffffffff);
  if (values['proxy-uid'] !== undefined) e.proxyUid = integer('proxy-uid', values['proxy-uid'], 0, 0xfffffffe);
  if (values['proxy-gid'] !== undefined) e.proxyGid = integer('proxy-gid', values['proxy-gid'], 0, 0xfffffffe);
  if (values['outbound-port'] !== undefined) e.outboundPort = integer('outbound-port', values['outbound-port'], 1, 65535);
  if (values['inbound-port'] !== undefined) e.inboundPort = integer('inbound-port', values['inbound-port'], 1, 65535);
  if (values['dns-port'] !== undefined) e.dnsPort = integer('dns-port', values['dns-port'], 1, 65535);
  if (values['include-cidrs'] !== undefined) e.includeCidrs = splitList(values['include-cidrs']);
  if (values['exclude-cidrs'] !== undefined) e.excludeCidrs = splitList(values['exclude-cidrs']);
  const inPorts = values['exclude-inbound-ports'];
  if (inPorts !== undefined) e.excludeInboundPorts = ports('exclude-inbound-ports', inPorts);
  const outPorts = values['exclude-outbound-ports'];
  if (outPorts !== undefined) e.excludeOutboundPorts = ports('exclude-outbound-ports', outPorts);
  if (values['capture-dns'] !== undefined) e.captureDns = values['capture-dns'];
  return {
    action: action(values),
    help: values.help === true,
    ...(values.manifests !== undefined ? { manifests: values.manifests } : {}),
    ...(values.pod !== undefined ? { pod: podRef(values.pod) } : {}),
    explicit: e,
  };
}
