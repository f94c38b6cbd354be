// The mesh's network: one "switch" namespace holding a Linux bridge, and one namespace per host (pods and the
// outside host) joined to it by a veth pair, `eth0` on the host's side. Addresses come only from 198.18.0.0/15 and
// 2001:db8::/32; both families' default routes point at the switch so that service VIPs (which never exist on any
// interface) are routable and the capture's OUTPUT redirect sees them. A single-family host gets only its family.
// Names carry a random suffix; `destroy` deletes every namespace it created, and is safe to call after a failure.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { must, run } from '../capture/netns.ts';

/** The switch's own addresses on the bridge: every host's default gateway. */
export const GATEWAY = { IPv4: '198.18.0.254', IPv6: '2001:db8::254' } as const;

/** One host on the switch: its namespace and its addresses, primary first. */
export interface Host {
  readonly name: string;
  readonly ns: string;
  readonly ips: readonly string[];
}

/** A host to create: a short name and its addresses, primary first (one or two, at most one per family). */
export interface HostSpec {
  readonly name: string;
  readonly ips: readonly string[];
  /** Lines for this namespace's own /etc/hosts (`ip netns exec` mounts /etc/netns/<ns>/hosts over /etc/hosts). */
  readonly etcHosts?: readonly string[];
}

/** The switch and its hosts. */
export interface Network {
  readonly id: string;
  readonly switchNs: string;
  readonly hosts: ReadonlyMap<string, Host>;
  /** The host named `name`; throws for an unknown one. */
  host(name: string): Host;
  /** Deletes every namespace (and /etc/netns folder) this network made. */
  destroy(): Promise<void>;
}

/** True for an IPv6 literal. */
export function isV6(ip: string): boolean {
  return ip.includes(':');
}

async function ipIn(ns: string, args: readonly string[]): Promise<void> {
  await must('ip', ['-n', ns, ...args]);
}

async function addHost(switchNs: string, index: number, spec: HostSpec, ns: string): Promise<void> {
  const port = `p${index}`;
  await ipIn(switchNs, ['link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await ipIn(switchNs, ['link', 'set', port, 'master', 'br0', 'up']);
  await ipIn(ns, ['link', 'set', 'lo', 'up']);
  for (const ip of spec.ips) {
    if (isV6(ip)) await ipIn(ns, ['-6', 'addr', 'add', `${ip}/64`, 'dev', 'eth0', 'nodad']);
    else await ipIn(ns, ['addr', 'add', `${ip}/24`, 'dev', 'eth0']);
  }
  await ipIn(ns, ['link', 'set', 'eth0', 'up']);
  if (spec.ips.some((ip) => !isV6(ip))) await ipIn(ns, ['route', 'add', 'default', 'via', GATEWAY.IPv4]);
  if (spec.ips.some(isV6)) await ipIn(ns, ['-6', 'route', 'add', 'default', 'via', GATEWAY.IPv6]);
}

function writeEtcHosts(ns: string, lines: readonly string[]): void {
  const dir = `/etc/netns/${ns}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/hosts`, `127.0.0.1 localhost\n::1 localhost\n${lines.join('\n')}\n`);
}

/** Creates the switch and one namespace per host spec; on any failure, removes what it made and rethrows. */
export async function createNetwork(specs: readonly HostSpec[]): Promise<Network> {
  const id = randomBytes(3).toString('hex');
  const switchNs = `bpm-sw-${id}`;
  const created: string[] = [];
  const hosts = new Map<string, Host>();
  const destroy = async (): Promise<void> => {
    for (const ns of created.reverse()) {
      await run('ip', ['netns', 'del', ns]);
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    created.length = 0;
  };
  try {
    await must('ip', ['netns', 'add', switchNs]);
    created.push(switchNs);
    await ipIn(switchNs, ['link', 'set', 'lo', 'up']);
    await ipIn(switchNs, ['link', 'add', 'br0', 'type', 'bridge']);
    await ipIn(switchNs, ['addr', 'add', `${GATEWAY.IPv4}/24`, 'dev', 'br0']);
    await ipIn(switchNs, ['-6', 'addr', 'add', `${GATEWAY.IPv6}/64`, 'dev', 'br0', 'nodad']);
    await ipIn(switchNs, ['link', 'set', 'br0', 'up']);
    for (const [index, spec] of specs.entries()) {
      const ns = `bpm-${spec.name}-${id}`;
      await must('ip', ['netns', 'add', ns]);
      created.push(ns);
      if (spec.etcHosts) writeEtcHosts(ns, spec.etcHosts);
      await addHost(switchNs, index, spec, ns);
      hosts.set(spec.name, { name: spec.name, ns, ips: spec.ips });
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    id,
    switchNs,
    hosts,
    host(name) {
      const h = hosts.get(name);
      if (!h) throw new Error(`no host ${name} in the mesh`);
      return h;
    },
    destroy,
  };
}
