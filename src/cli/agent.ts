// `biplane agent`: the sidecar's agent beside Envoy (Istio's pilot-agent). Reads the pod's facts (from manifests, or
// from the environment `biplane inject` sets, or Istio's injector's names), then runs Envoy, readiness and the DNS
// proxy until SIGTERM. Flags always win over the environment.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAgent, type AgentConfig } from '../agent/agent.ts';
import { FileCertificateSource } from '../agent/file-certificates.ts';
import { parseUpstream, readResolvConf, type Upstream } from '../agent/dns/upstream.ts';
import { CertificateClient, DEFAULT_TOKEN_FILE, type CertificateClientOptions } from '../agent/certificates.ts';
import { parseProxy } from '../model/index.ts';
import { DEFAULT_TRUST_DOMAIN, type CertificateSource } from '../trust/identity.ts';
import type { Proxy } from '../model/types.ts';
import type { XdsAddress } from '../translate/bootstrap.ts';
import { xdsTlsProblem } from './bootstrap.ts';
import { splitHostPort } from '../model/index.ts';
import { defaultXdsServerName } from '../translate/xds-tls.ts';
import { loadMesh } from '../pipeline/index.ts';
import { commandFlags, usageExit, type FlagValues } from './args.ts';
import type { Command } from './main.ts';

const USAGE = `usage: biplane agent --xds-address ADDR [--manifests DIR --pod NAMESPACE/POD] [--upstream IP[:PORT]]...
                     [--envoy PATH] [--work-dir DIR] [--ads sotw|delta] [--no-dns] [--drain-seconds 5]
                     [--envoy-log-level warning] [--ca-address ADDR --ca-root FILE [--token-file FILE] | --cert-dir DIR]
                     [--sds-socket PATH] [--xds-tls --xds-root FILE [--xds-server-name NAME]]

Runs beside Envoy in a pod: writes Envoy's bootstrap, starts Envoy and restarts it (with backoff) when it dies,
drains it on SIGTERM, serves readiness on 15021 (200 once Envoy is live and has its first listeners and clusters),
and serves DNS on 127.0.0.1:15053 and [::1]:15053 from the name table biplane sends.

Without --manifests/--pod the pod is read from the environment (what 'biplane inject' sets): POD_NAME,
POD_NAMESPACE, POD_IPS (or Istio's INSTANCE_IPS / INSTANCE_IP), BIPLANE_INTERCEPTION (or
ISTIO_META_INTERCEPTION_MODE: REDIRECT, TPROXY, NONE) and SERVICE_ACCOUNT. Flags not given may also come from
BIPLANE_XDS_ADDRESS (or XDS_ADDRESS), BIPLANE_WORK_DIR and ENVOY_BIN.

flags:
  --xds-address ADDR       biplane's xDS server: host:port, [v6]:port or unix:/path (default $BIPLANE_XDS_ADDRESS,
                           else $XDS_ADDRESS, else 127.0.0.1:15010)
  --manifests DIR          folder (or file) of manifests holding the pod (with --pod)
  --pod NAMESPACE/POD      the pod
  --upstream IP[:PORT]     a resolver for names outside the mesh (repeatable; default: /etc/resolv.conf)
  --envoy PATH             the Envoy binary (default $ENVOY_BIN, else envoy on PATH)
  --work-dir DIR           where the bootstrap is written (default $BIPLANE_WORK_DIR, else a new temp folder)
  --ads sotw|delta         the ADS flavour Envoy speaks (default sotw)
  --no-dns                 no DNS proxy (and no name table stream)
  --drain-seconds N        longest graceful drain on SIGTERM (default 5)
  --envoy-log-level L      Envoy's log level (default warning)
  --ca-address ADDR        biplane's workload CA (host:port over TLS, e.g. its :15012, or unix:/path, whose TLS name
                           is localhost); the agent then gets the pod's certificate with the pod's token and renews
                           it at about half its life (also CA_ADDR)
  --ca-root FILE           root certificate that verifies the CA's TLS certificate (with --ca-address)
  --token-file FILE        the pod's ServiceAccount token sent to the CA (default ${DEFAULT_TOKEN_FILE})
  --trust-domain TD        the mesh's trust domain (default $TRUST_DOMAIN, else ${DEFAULT_TRUST_DOMAIN})
  --service-account SA     the pod's ServiceAccount (default $SERVICE_ACCOUNT, else default)
  --cert-ttl SECONDS       certificate lifetime to ask the CA for (default: the CA's)
  --cert-dir DIR           the pod's certificates as files (cert-chain.pem, key.pem, root-cert.pem, Istio's names),
                           re-read when they change: served to Envoy over SDS, and the sidecar takes part in mesh mTLS
  --sds-socket PATH        where the SDS server listens (default <work-dir>/var/run/secrets/workload-spiffe-uds/socket)
  --xds-tls                --xds-address is biplane's TLS port (15012): Envoy and the agent's name table stream
                           speak TLS to it, presenting the pod's certificate (needs --ca-address or --cert-dir)
  --xds-root FILE          root that verifies biplane's serving certificate (with --xds-tls; default --ca-root)
  --xds-server-name NAME   the name biplane's certificate must carry (default: the --xds-address host, localhost for
                           unix:)
  --help`;

type Env = Readonly<Record<string, string | undefined>>;

/** The pod's proxy from the injected environment (biplane's names first, then Istio's), or an error message. */
export function proxyFromEnv(env: Env): Proxy | string {
  const name = env['POD_NAME'];
  const namespace = env['POD_NAMESPACE'];
  const ips = env['POD_IPS'] || env['INSTANCE_IPS'] || env['INSTANCE_IP'];
  if (!name || !namespace || !ips) return 'need --manifests and --pod, or POD_NAME, POD_NAMESPACE and POD_IPS in the environment';
  const first = ips.split(',')[0]?.trim() ?? '';
  const mode = (env['BIPLANE_INTERCEPTION'] || env['ISTIO_META_INTERCEPTION_MODE'])?.trim().toUpperCase();
  // NONE (no capture rules) is left unsaid, as `biplane bootstrap` leaves it: the proxy's listeners are then REDIRECT's.
  const interception = mode && mode !== 'NONE' ? { INTERCEPTION_MODE: mode } : {};
  const metadata = { NAME: name, NAMESPACE: namespace, INSTANCE_IPS: ips, ...interception };
  const parsed = parseProxy({ id: `sidecar~${first}~${name}.${namespace}~${namespace}.svc.cluster.local`, metadata });
  return parsed.proxy ?? parsed.problems.map((p) => p.message).join('; ');
}

/** Node metadata the environment adds beyond the proxy itself: the pod's service account (Istio's key). */
export function metadataFromEnv(env: Env): Record<string, string> {
  const account = env['SERVICE_ACCOUNT']?.trim();
  return account ? { SERVICE_ACCOUNT: account } : {};
}

function xdsAddress(text: string): XdsAddress | undefined {
  if (text.startsWith('unix:')) return text.length > 'unix:'.length ? { pipe: text.slice('unix:'.length) } : undefined;
  return splitHostPort(text);
}

/** A CA address the certificate client can dial: host:port, [v6]:port, or a Unix socket (`unix:/path`). */
function validCaAddress(text: string): boolean {
  return text.startsWith('unix:') ? text.length > 'unix:'.length : splitHostPort(text) !== undefined;
}

/** The agent's flags, for args.ts's reader (`help` included, as the tests parse them alone). */
export const OPTIONS = {
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
  'ca-address': { type: 'string' },
  'ca-root': { type: 'string' },
  'token-file': { type: 'string', default: DEFAULT_TOKEN_FILE },
  'trust-domain': { type: 'string' },
  'service-account': { type: 'string' },
  'cert-ttl': { type: 'string' },
  'cert-dir': { type: 'string' },
  'sds-socket': { type: 'string' },
  'xds-tls': { type: 'boolean', default: false },
  'xds-root': { type: 'string' },
  'xds-server-name': { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

/** The parsed flags. */
export type Flags = FlagValues<typeof OPTIONS>;

type Checked = Omit<AgentConfig, 'proxy' | 'workDir' | 'upstreams' | 'log'> & { upstreams: Upstream[]; workDir: string | undefined };

/** The flags' meaning over the environment's defaults, or what is wrong with them (before the pod is known). */
export function checkFlags(values: Flags, env: Env): Checked | string {
  const xds = xdsAddress(values['xds-address'] ?? (env['BIPLANE_XDS_ADDRESS'] || env['XDS_ADDRESS'] || '127.0.0.1:15010'));
  const upstreams = (values.upstream ?? []).map((u) => parseUpstream(u));
  const drain = Number(values['drain-seconds']);
  if (!xds) return 'bad --xds-address';
  if (!['sotw', 'delta'].includes(values.ads)) return '--ads must be sotw or delta';
  if (upstreams.some((u) => !u)) return 'bad --upstream (IP or IP:PORT, IPv6 as [v6]:PORT)';
  if (!(drain >= 0)) return 'bad --drain-seconds';
  if ((values.manifests === undefined) !== (values.pod === undefined)) return '--manifests and --pod go together';
  const caAddress = values['ca-address'] ?? process.env['CA_ADDR'];
  if (caAddress !== undefined && values['ca-root'] === undefined) return '--ca-address needs --ca-root (the root that verifies the CA)';
  if (caAddress !== undefined && !validCaAddress(caAddress)) return 'bad --ca-address (host:port, [v6]:port or unix:/path)';
  if (values['cert-ttl'] !== undefined && !(Number.isInteger(Number(values['cert-ttl'])) && Number(values['cert-ttl']) > 0)) return 'bad --cert-ttl (whole seconds)';
  if (caAddress !== undefined && values['cert-dir'] !== undefined) return '--ca-address and --cert-dir are two sources of the pod\'s certificate: give one';
  if (values['sds-socket'] !== undefined && values['cert-dir'] === undefined && caAddress === undefined) return '--sds-socket needs --ca-address or --cert-dir (no certificates to serve)';
  const xdsRoot = values['xds-tls'] ? (values['xds-root'] ?? values['ca-root']) : values['xds-root'];
  const tls = xdsTlsProblem(values['xds-tls'], xdsRoot, values['xds-server-name'], caAddress ?? values['cert-dir']);
  if (tls !== undefined) return tls;
  return {
    xds,
    apiType: values.ads === 'delta' ? 'DELTA_GRPC' : 'GRPC',
    envoyBinary: values.envoy ?? (env['ENVOY_BIN'] || 'envoy'),
    workDir: values['work-dir'] ?? (env['BIPLANE_WORK_DIR'] || undefined),
    metadata: values.manifests === undefined ? metadataFromEnv(env) : {},
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
    const values = commandFlags('agent', USAGE, argv, OPTIONS);
    if (typeof values === 'number') return values;
    const flags = checkFlags(values, process.env);
    if (typeof flags === 'string') return usageExit('agent', USAGE, { usage: flags });
    const proxy = await podProxy(values.manifests, values.pod);
    if (typeof proxy === 'string') {
      console.error(`biplane agent: ${proxy}`);
      return 1;
    }
    const log = (line: string): void => console.error(`biplane agent: ${line}`);
    const workDir = flags.workDir ?? (await mkdtemp(path.join(tmpdir(), 'biplane-agent-')));
    const upstreams = flags.upstreams.length > 0 ? flags.upstreams : await readResolvConf();
    const certificates = await podCertificates(values, proxy.namespace, log);
    if (typeof certificates === 'string') {
      console.error(`biplane agent: ${certificates}`);
      return 1;
    }
    const sds = certificates ? { certificates, ...(values['sds-socket'] !== undefined ? { sdsSocket: values['sds-socket'] } : {}) } : {};
    const xdsTls = await xdsTlsConfig(values, flags.xds);
    if (typeof xdsTls === 'string') {
      certificates?.close();
      console.error(`biplane agent: ${xdsTls}`);
      return 1;
    }
    const agent = await startAgent({ ...flags, proxy, workDir, upstreams, log, ...sds, ...(xdsTls ? { xdsTls } : {}) }).catch((err: unknown) => `cannot start: ${(err as Error).message}`);
    if (typeof agent === 'string') {
      certificates?.close();
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

/**
 * The pod's certificate source: kept renewed from biplane's CA (`--ca-address`), or read from files (`--cert-dir`);
 * undefined without either (the sidecar stays plaintext); a string says why it cannot be had.
 */
async function podCertificates(values: Flags, namespace: string, log: (line: string) => void): Promise<(CertificateSource & { close(): void }) | undefined | string> {
  if (values['cert-dir'] !== undefined) {
    const files = new FileCertificateSource(values['cert-dir'], log);
    const read = await files.start().then(() => undefined, (err: Error) => `cannot read --cert-dir: ${err.message}`);
    return read ?? files;
  }
  const caClient = await certificateOptions(values, namespace, process.env);
  if (typeof caClient === 'string' || caClient === undefined) return caClient;
  const client = new CertificateClient({ ...caClient, log });
  client.start();
  return client;
}

/** The certificate client's settings (undefined without a CA address), or why they cannot be had. */
async function certificateOptions(values: Flags, namespace: string, env: Env): Promise<Omit<CertificateClientOptions, 'log'> | undefined | string> {
  const address = values['ca-address'] ?? env['CA_ADDR'];
  if (address === undefined || values['ca-root'] === undefined) return undefined;
  const caRootPem = await readFile(values['ca-root'], 'utf8').catch((err: Error) => `cannot read --ca-root: ${err.message}`);
  if (!caRootPem.includes('-----BEGIN CERTIFICATE-----')) return caRootPem.startsWith('cannot') ? caRootPem : `--ca-root ${values['ca-root']} holds no PEM certificate`;
  const identity = {
    trustDomain: values['trust-domain'] ?? env['TRUST_DOMAIN'] ?? DEFAULT_TRUST_DOMAIN,
    namespace,
    serviceAccount: values['service-account'] ?? env['SERVICE_ACCOUNT'] ?? 'default',
  };
  const ttl = values['cert-ttl'] !== undefined ? { ttlSeconds: Number(values['cert-ttl']) } : {};
  return { target: address, caRootPem, identity, tokenFile: values['token-file'], ...ttl };
}

/** xDS over TLS from the flags (root read, absolute for Envoy), undefined without --xds-tls, or why the root is unusable. */
async function xdsTlsConfig(values: Flags, xds: XdsAddress): Promise<AgentConfig['xdsTls'] | string> {
  const file = values['xds-root'] ?? values['ca-root'];
  if (!values['xds-tls'] || file === undefined) return undefined;
  const rootPem = await readFile(file, 'utf8').catch((err: Error) => `cannot read --xds-root: ${err.message}`);
  if (!rootPem.includes('-----BEGIN CERTIFICATE-----')) return rootPem.startsWith('cannot') ? rootPem : `--xds-root ${file} holds no PEM certificate`;
  return { rootFile: path.resolve(file), rootPem, serverName: values['xds-server-name'] ?? defaultXdsServerName(xds) };
}

/** The pod's proxy from manifests (with --pod) or the environment. */
async function podProxy(manifests: string | undefined, pod: string | undefined): Promise<Proxy | string> {
  if (manifests === undefined || pod === undefined) return proxyFromEnv(process.env);
  const mesh = await loadMesh(manifests, pod);
  if ('error' in mesh) return mesh.error;
  mesh.warnings.forEach((w) => console.error(w));
  return mesh.proxy;
}
