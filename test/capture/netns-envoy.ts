// A real Envoy as the TPROXY sidecar of a test "pod" namespace: transparent listeners on 15006 (one per family) with
// the original_dst and original_src listener filters and a tcp_proxy to an ORIGINAL_DST cluster — Istio's inbound
// path in TPROXY mode, reduced to L4. It runs with the proxy gid, so its own upstream connections are not captured
// again, and as root, which IP_TRANSPARENT / IPV6_TRANSPARENT and SO_MARK need. Its admin API answers on
// 127.0.0.1:15000 inside the namespace.
import { spawn } from 'node:child_process';
import { inNs } from './netns.ts';

/** The Envoy binary the tests run (`ENVOY_BIN`), or undefined when the environment names none. */
export const ENVOY_BIN = process.env.ENVOY_BIN;

const ADMIN = 'http://127.0.0.1:15000';

function transparentListener(name: string, address: string, mark: number): object {
  const filter = (n: string, type: string, extra: object = {}): object => ({
    name: `envoy.filters.listener.${n}`,
    typed_config: { '@type': `type.googleapis.com/envoy.extensions.filters.listener.${n}.v3.${type}`, ...extra },
  });
  const tcpProxy = {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
    stat_prefix: name,
    cluster: 'original_dst',
  };
  return {
    name,
    address: { socket_address: { address, port_value: 15006 } },
    transparent: true,
    listener_filters: [filter('original_dst', 'OriginalDst'), filter('original_src', 'OriginalSrc', { mark })],
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: tcpProxy }] }],
  };
}

/** The bootstrap: `inbound4` on 0.0.0.0:15006 and `inbound6` on [::]:15006, upstreams marked with `mark`. */
export function tproxyBootstrap(mark: number): object {
  return {
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 15000 } } },
    static_resources: {
      listeners: [transparentListener('inbound4', '0.0.0.0', mark), transparentListener('inbound6', '::', mark)],
      clusters: [{ name: 'original_dst', type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', connect_timeout: '2s' }],
    },
  };
}

/** Fetches `path` from the admin API inside `ns`, retrying until it answers 200 (at most `tries` times). */
async function admin(ns: string, path: string, tries = 1): Promise<string> {
  const script = `
    for (let i = 0; i < ${tries}; i++) {
      const r = await fetch('${ADMIN}${path}').catch(() => undefined);
      if (r?.status === 200) { process.stdout.write(await r.text()); process.exit(0); }
      await new Promise((ok) => setTimeout(ok, 100));
    }
    process.exit(1);`;
  return inNs(ns, [process.execPath, '--input-type=module', '-e', script]);
}

/** A running Envoy: its counters by name, and `stop` (kills it by its own pid; safe to call twice). */
export interface RunningEnvoy {
  counters(prefix: string): Promise<Record<string, number>>;
  stop(): void;
}

/** Starts Envoy in `ns` with the proxy gid and resolves once its admin API reports it live. */
export async function startEnvoy(ns: string, bin: string, gid: number, mark: number): Promise<RunningEnvoy> {
  const args = ['netns', 'exec', ns, 'setpriv', `--regid=${gid}`, '--clear-groups', bin];
  const flags = ['--config-yaml', JSON.stringify(tproxyBootstrap(mark)), '--disable-hot-restart', '--concurrency', '1'];
  const child = spawn('ip', [...args, ...flags, '--log-level', 'warning'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  };
  try {
    await admin(ns, '/ready', 100);
  } catch {
    stop();
    throw new Error(`envoy in ${ns} did not become ready: ${log}`);
  }
  const counters = async (prefix: string): Promise<Record<string, number>> => {
    const text = await admin(ns, `/stats?filter=${encodeURIComponent(`^${prefix}`)}&type=Counters`);
    const pairs = text.split('\n').map((l) => /^(\S+): (\d+)$/.exec(l)).filter((m) => m !== null);
    return Object.fromEntries(pairs.map((m) => [m[1] ?? '', Number(m[2])]));
  };
  return { counters, stop };
}
