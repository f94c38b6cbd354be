// `biplane agent`: the sidecar's agent beside Envoy (Istio's pilot-agent). Reads the pod's facts (from manifests, or
// from the environment as Istio's injector sets it), then runs Envoy, readiness and the DNS proxy until SIGTERM.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startAgent, type AgentConfig } from '../agent/agent.ts';
import { FileCertificateSource } from '../agent/file-certificates.ts';
import { parseUpstream, readResolvConf, type Upstream } from '../agent/dns/upstream.ts';
import { parseProxy } from '../model/index.ts';
import type { Proxy } from '../model/types.ts';
import type { XdsAddress } from '../translate/bootstrap.ts';
import { splitHostPort } from './bootstrap.ts';
import { loadMesh } from './translate.ts';
import type { Command } from './main.ts';

const USAGE = `usage: biplane agent --xds-address ADDR [--manifests DIR --pod NAMESPACE/POD] [--upstream IP[:PORT]]...
                     [--envoy PATH] [--work-dir DIR] [--ads sotw|delta] [--no-dns] [--drain-seconds 5]
                     [--envoy-log-level warning] [--cert-dir DIR [--sds-socket PATH]]

Runs beside Envoy in a pod: writes Envoy's bootstrap, starts Envoy and restarts it (with backoff) when it dies,
drains it on SIGTERM, serves readiness on 15021 (200 once Envoy is live and has its first listeners and clusters),
and serves DNS on 127.0.0.1:15053 and [::1]:15053 from the name table biplane sends.

Without --manifests/--pod the pod is read from the environment: POD_NAME, POD_NAMESPACE, INSTANCE_IPS (or
INSTANCE_IP), ISTIO_META_INTERCEPTION_MODE. The xDS address may also come from XDS_ADDRESS, Envoy from ENVOY_BIN.

flags:
  --xds-address ADDR       biplane's xDS server: host:port, [v6]:port or unix:/path (default 127.0.0.1:15010)
  --manifests DIR          folder (or file) of manifests holding the pod (with --pod)
  --pod NAMESPACE/POD      the pod
  --upstream IP[:PORT]     a resolver for names outside the mesh (repeatable; default: /etc/resolv.conf)
  --envoy PATH             the Envoy binary (default $ENVOY_BIN, else envoy on PATH)
  --work-dir DIR           where the bootstrap is written (default a new temp folder)
  --ads sotw|delta         the ADS flavour Envoy speaks (default sotw)
  --no-dns                 no DNS proxy (and no name table stream)
  --drain-seconds N        longest graceful drain on SIGTERM (default 5)
  --envoy-log-level L      Envoy's log level (default warning)
  --cert-dir DIR           the pod's certificates as files (cert-chain.pem, key.pem, root-cert.pem, Istio's names),
                           re-read when they change: served to Envoy over SDS, and the sidecar takes part in mesh mTLS
  --sds-socket PATH        where the SDS server listens (default <work-dir>/var/run/secrets/workload-spiffe-uds/socket)
  --help`;

type Env = Readonly<Record<string, string | undefined>>;

/** The pod's proxy from Istio's injector environment, or an error message. */
export function proxyFromEnv(env: Env): Proxy | string {
  const name = env['POD_NAME'];
  const namespace = env['POD_NAMESPACE'];
  const ips = env['INSTANCE_IPS'] ?? env['INSTANCE_IP'];
  if (!name || !namespace || !ips) return 'need --manifests and --pod, or POD_NAME, POD_NAMESPACE and INSTANCE_IPS in the environment';
  const first = ips.split(',')[0]?.trim() ?? '';
  const mode = env['ISTIO_META_INTERCEPTION_MODE'];
  const metadata = { NAME: name, NAMESPACE: namespace, INSTANCE_IPS: ips, ...(mode ? { INTERCEPTION_MODE: mode } : {}) };
  const parsed = parseProxy({ id: `sidecar~${first}~${name}.${namespace}~${namespace}.svc.cluster.local`, metadata });
  return parsed.proxy ?? parsed.problems.map((p) => p.message).join('; ');
}

function xdsAddress(text: string): XdsAddress | undefined {
  if (text.startsWith('unix:')) return text.length > 'unix:'.length ? { pipe: text.slice('unix:'.length) } : undefined;
  return splitHostPort(text);
}

const OPTIONS = {
  'xds-address': { type: 'string' },
  manifests: { type: 'string' },
  pod: { type: 'string' },
  upstream: { type: 'string', multiple: true },
  envoy: { type: 'string' },
  'work-dir': { type: 'string' },
  ads: { type: 'string', default: 'sotw' },
  'no-dns': { type: 'boolean', default: false },
  'drain-seconds': { type: 'string', default: '5' },
  'envoy-log-level': { type: 'string', default: 'warning' },
  'cert-dir': { type: 'string' },
  'sds-socket': { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

/** The flags' meaning, or what is wrong with them (before the pod is known). */
function checkFlags(values: Flags): Omit<AgentConfig, 'proxy' | 'workDir' | 'upstreams' | 'log'> & { upstreams: Upstream[] } | string {
  const xds = xdsAddress(values['xds-address'] ?? process.env['XDS_ADDRESS'] ?? '127.0.0.1:15010');
  const upstreams = (values.upstream ?? []).map((u) => parseUpstream(u));
  const drain = Number(values['drain-seconds']);
  if (!xds) return 'bad --xds-address';
  if (!['sotw', 'delta'].includes(values.ads)) return '--ads must be sotw or delta';
  if (upstreams.some((u) => !u)) return 'bad --upstream (IP or IP:PORT, IPv6 as [v6]:PORT)';
  if (!(drain >= 0)) return 'bad --drain-seconds';
  if ((values.manifests === undefined) !== (values.pod === undefined)) return '--manifests and --pod go together';
  if (values['sds-socket'] !== undefined && values['cert-dir'] === undefined) return '--sds-socket needs --cert-dir (no certificates to serve)';
  return {
    xds,
    apiType: values.ads === 'delta' ? 'DELTA_GRPC' : 'GRPC',
    envoyBinary: values.envoy ?? process.env['ENVOY_BIN'] ?? 'envoy',
    upstreams: upstreams.filter((u): u is Upstream => u !== undefined),
    dns: !values['no-dns'],
    drainMs: drain * 1000,
    envoyLogLevel: values['envoy-log-level'],
  };
}

/** `agent` command. */
export const command: Command = {
  summary: 'run beside Envoy in a pod: Envoy lifecycle, readiness, DNS proxy',
  async run(argv) {
    let values: Flags;
    try {
      values = parseArgs({ args: [...argv], options: OPTIONS }).values;
    } catch (err) {
      console.error(`biplane agent: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const flags = checkFlags(values);
    if (typeof flags === 'string') {
      console.error(`biplane agent: ${flags}\n\n${USAGE}`);
      return 2;
    }
    const proxy = await podProxy(values.manifests, values.pod);
    if (typeof proxy === 'string') {
      console.error(`biplane agent: ${proxy}`);
      return 1;
    }
    const log = (line: string): void => console.error(`biplane agent: ${line}`);
    const workDir = values['work-dir'] ?? (await mkdtemp(path.join(tmpdir(), 'biplane-agent-')));
    const upstreams = flags.upstreams.length > 0 ? flags.upstreams : await readResolvConf();
    const certificates = values['cert-dir'] !== undefined ? new FileCertificateSource(values['cert-dir'], log) : undefined;
    const read = await certificates?.start().then(() => undefined, (err: Error) => `cannot read --cert-dir: ${err.message}`);
    if (read !== undefined) {
      console.error(`biplane agent: ${read}`);
      return 1;
    }
    const sds = certificates ? { certificates, ...(values['sds-socket'] !== undefined ? { sdsSocket: values['sds-socket'] } : {}) } : {};
    const agent = await startAgent({ ...flags, proxy, workDir, upstreams, log, ...sds }).catch((err: unknown) => `cannot start: ${(err as Error).message}`);
    if (typeof agent === 'string') {
      console.error(`biplane agent: ${agent}`);
      return 1;
    }
    log(`running for ${proxy.id}`);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        log(`${signal}: draining Envoy`);
        void agent.stop();
      });
    }
    const code = await agent.exited;
    certificates?.close();
    return code;
  },
};

/** The pod's proxy from manifests (with --pod) or the environment. */
async function podProxy(manifests: string | undefined, pod: string | undefined): Promise<Proxy | string> {
  if (manifests === undefined || pod === undefined) return proxyFromEnv(process.env);
  const mesh = await loadMesh(manifests, pod);
  if ('error' in mesh) return mesh.error;
  mesh.warnings.forEach((w) => console.error(w));
  return mesh.proxy;
}
