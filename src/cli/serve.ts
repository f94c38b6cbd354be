// `biplane serve`: the live control plane. Watches a manifest folder or a cluster, serves xDS (SotW and delta ADS) to
// Envoy sidecars and proxyless gRPC apps, and admin pages, until SIGINT/SIGTERM.
import { DEFAULT_ROOT_NAMESPACE } from '../model/peer-auth.ts';
import { DEFAULT_ADMIN_ADDRESS, DEFAULT_XDS_ADDRESSES, startServer } from '../server/pipeline.ts';
import type { ServerHandle, ServerOptions } from '../server/pipeline.ts';
import { certificateService, loadCa, publishRoot } from '../ca/index.ts';
import type { CaSettings, CertificateAuthority } from '../ca/index.ts';
import { serveSummary } from '../server/summary.ts';
import { startWebhook, type WebhookServer } from '../server/webhook.ts';
import { DEFAULT_INJECT, injectOptions, type InjectOptions } from '../inject/index.ts';
import { FileSource } from '../sources/files/index.ts';
import { KubeSource } from '../sources/kube/index.ts';
import type { Source } from '../sources/types.ts';
import type { ForwardingStrategy } from '../translate/index.ts';
import { CA_OPTIONS, CA_USAGE, readCaFlags } from './serve-ca.ts';
import { SECURITY_OPTIONS, SECURITY_USAGE, readSecurityFlags, securityOptions } from './serve-security.ts';
import type { SecurityFlags, TlsFiles } from './serve-security.ts';
import { ServingCertificate } from '../ca/serving.ts';
import { formatProblem } from '../pipeline/index.ts';
import { readCommandFlags, usageExit, type FlagValues } from './args.ts';
import type { Command } from './main.ts';

const USAGE = `usage: biplane serve [--manifests DIR | --kubeconfig FILE | --in-cluster] [flags]

Serves xDS (ADS over gRPC, SotW and delta) built from a manifest folder (watched: edits apply live) or a cluster.

flags:
  --manifests DIR          folder (or file) of manifests, watched
  --kubeconfig FILE        a cluster, through this kubeconfig's current context
  --in-cluster             a cluster, through the pod's service account
  --xds-address ADDR       xDS listen address, repeatable (default ${DEFAULT_XDS_ADDRESSES.join(' and ')}; port 0 = any;
                           unix:/path for a Unix socket)
  --admin-address ADDR     admin HTTP address (default ${DEFAULT_ADMIN_ADDRESS}; "none" to disable)
  --strategy shared|per-family
                           how dual-stack services are forwarded (default shared)
  --root-namespace NS      where mesh-wide PeerAuthentications live (default istio-system, as in Istio)
  --debounce-ms N          quiet time before a rebuild (default 100)
  --debounce-max-ms N      longest a burst of changes may delay a rebuild (default 1000)
  --max-resource-bytes N   largest single resource sent to any client (default 16 MiB for Envoy, 4 MiB - 64 KiB
                           for gRPC); a service whose resource is bigger is left out of that proxy's configuration
  --max-response-bytes N   largest response (one type's resources together) sent to any client (default 64 MiB
                           for Envoy, 4 MiB - 64 KiB for gRPC), enforced the same way
  --webhook-address ADDR   serve the sidecar injection webhook (HTTPS POST /inject, AdmissionReview v1) here;
                           off unless given, needs --webhook-cert and --webhook-key (PEM files, reloaded on change)
  --webhook-cert FILE      the webhook's serving certificate (chain), PEM
  --webhook-key FILE       its private key, PEM
  --inject-image IMAGE     the webhook's sidecar image (default ${DEFAULT_INJECT.image}); as biplane inject --image
  --inject-xds-address HOST:PORT
                           the xDS address injected sidecars use (default ${DEFAULT_INJECT.xdsAddress})
  --inject-backend iptables|nftables
                           the injected capture rules' flavour (default ${DEFAULT_INJECT.backend})
${SECURITY_USAGE}
${CA_USAGE}
  --quiet                  no per-push log lines on stderr

  --help

Once listening it prints one line "biplane-listening {json}" with the bound addresses (for scripts and tests).`;

/** `serve`'s flags, read: the source (not started) and the server options. */
export interface ServeFlags {
  readonly source: Source;
  readonly origin: string;
  readonly manifests?: string;
  readonly xdsAddresses: readonly string[];
  readonly adminAddress: string | false;
  readonly strategy: ForwardingStrategy;
  readonly rootNamespace: string;
  readonly debounceMs: number;
  readonly debounceMaxMs: number;
  readonly quiet: boolean;
  readonly sizeLimits: NonNullable<ServerOptions['sizeLimits']>;
  /** The workload CA's settings, when a root store was named. */
  readonly ca?: CaSettings;
  /** The injection webhook, when asked for. */
  readonly webhook?: { readonly address: string; readonly certFile: string; readonly keyFile: string; readonly inject: InjectOptions };
  /** TLS port, plaintext policy, authentication and admin token (files not read yet). */
  readonly security: SecurityFlags;
  /** The watched cluster, where tokens are reviewed by default (undefined with --manifests). */
  readonly cluster?: { readonly kubeconfig?: string; readonly inCluster?: boolean };
}

/** `serve`'s parseArgs options (`--help` is added by args.ts). */
const OPTIONS = {
  manifests: { type: 'string' },
  kubeconfig: { type: 'string' },
  'in-cluster': { type: 'boolean', default: false },
  'xds-address': { type: 'string', multiple: true },
  'admin-address': { type: 'string', default: DEFAULT_ADMIN_ADDRESS },
  strategy: { type: 'string', default: 'shared' },
  'root-namespace': { type: 'string', default: DEFAULT_ROOT_NAMESPACE },
  'debounce-ms': { type: 'string', default: '100' },
  'debounce-max-ms': { type: 'string', default: '1000' },
  quiet: { type: 'boolean', default: false },
  'max-resource-bytes': { type: 'string' },
  'max-response-bytes': { type: 'string' },
  ...CA_OPTIONS,
  'webhook-address': { type: 'string' },
  'webhook-cert': { type: 'string' },
  'webhook-key': { type: 'string' },
  'inject-image': { type: 'string' },
  'inject-xds-address': { type: 'string' },
  'inject-backend': { type: 'string' },
  ...SECURITY_OPTIONS,
} as const;

type Values = FlagValues<typeof OPTIONS>;

/** Reads the flags into a source (not started) and server options; a string is the error to print. */
export function readFlags(argv: readonly string[]): ServeFlags | string | 'help' {
  const read = readCommandFlags(argv, OPTIONS);
  if ('help' in read) return 'help';
  if ('usage' in read) return read.usage;
  const { values } = read;
  const chosen = [values.manifests !== undefined, values.kubeconfig !== undefined, values['in-cluster']].filter(Boolean).length;
  if (chosen !== 1) return 'give exactly one of --manifests, --kubeconfig, --in-cluster';
  if (values.strategy !== 'shared' && values.strategy !== 'per-family') return `--strategy must be shared or per-family, not ${values.strategy}`;
  const timing = readTiming(values);
  if (typeof timing === 'string') return timing;
  const adminAddress = values['admin-address'] === 'none' ? false : values['admin-address'];
  const ca = readCaFlags(values);
  if (typeof ca === 'string') return ca;
  const caNamespace = ca ? (ca.store.kind === 'secret' ? ca.store.namespace : values['ca-namespace'] ?? process.env['POD_NAMESPACE'] ?? 'biplane-system') : undefined;
  const security = readSecurityFlags(values, values['xds-address'], adminAddress, caNamespace);
  if (typeof security === 'string') return security;
  const plaintextAddresses = security.plaintext === 'none' ? [] : values['xds-address'] ?? DEFAULT_XDS_ADDRESSES;
  const webhook = readWebhookFlags(values);
  if (typeof webhook === 'string') return webhook;
  return {
    ...sourceOf(values),
    xdsAddresses: plaintextAddresses,
    adminAddress,
    strategy: values.strategy,
    rootNamespace: values['root-namespace'],
    ...timing,
    quiet: values.quiet,
    ...(webhook ? { webhook } : {}),
    ...(ca ? { ca } : {}),
    security,
  };
}

/** The debounce times and size limits; a string is the error. */
function readTiming(values: Values): Pick<ServeFlags, 'debounceMs' | 'debounceMaxMs' | 'sizeLimits'> | string {
  const debounceMs = Number(values['debounce-ms']);
  const debounceMaxMs = Number(values['debounce-max-ms']);
  if (!(Number.isInteger(debounceMs) && debounceMs >= 0)) return '--debounce-ms must be a whole number of milliseconds';
  if (!(Number.isInteger(debounceMaxMs) && debounceMaxMs >= debounceMs)) return '--debounce-max-ms must be a whole number ≥ --debounce-ms';
  const limit = (flag: 'max-resource-bytes' | 'max-response-bytes'): number | undefined | string => {
    const text = values[flag];
    if (text === undefined) return undefined;
    const n = Number(text);
    return Number.isInteger(n) && n >= 1024 ? n : `--${flag} must be a whole number of bytes, at least 1024`;
  };
  const resourceBytes = limit('max-resource-bytes');
  const responseBytes = limit('max-response-bytes');
  if (typeof resourceBytes === 'string') return resourceBytes;
  if (typeof responseBytes === 'string') return responseBytes;
  const overrides = { ...(resourceBytes !== undefined ? { resourceBytes } : {}), ...(responseBytes !== undefined ? { responseBytes } : {}) };
  return { debounceMs, debounceMaxMs, sizeLimits: { envoy: overrides, grpc: overrides } };
}

/** The source the flags name (not started), how the summary words it, and the watched cluster. */
function sourceOf(values: Values): Pick<ServeFlags, 'source' | 'origin' | 'manifests' | 'cluster'> {
  if (values.manifests !== undefined) {
    return { source: new FileSource({ path: values.manifests }), origin: `manifests in ${values.manifests} (watched)`, manifests: values.manifests };
  }
  const cluster = values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : { inCluster: true };
  const origin = values.kubeconfig !== undefined ? `the cluster of ${values.kubeconfig}` : 'this cluster (in-cluster)';
  return { source: new KubeSource({ ...cluster }), origin, cluster };
}

/** The webhook flags: all three or none, and the injection options the webhook uses; a string is the error. */
function readWebhookFlags(values: Record<string, string | boolean | string[] | undefined>): ServeFlags['webhook'] | string {
  const text = (flag: string): string | undefined => (typeof values[flag] === 'string' ? (values[flag] as string) : undefined);
  const [address, certFile, keyFile] = [text('webhook-address'), text('webhook-cert'), text('webhook-key')];
  const given = [address, certFile, keyFile].filter((v) => v !== undefined).length;
  if (given !== 0 && given !== 3) return '--webhook-address, --webhook-cert and --webhook-key go together';
  const overrides: { image?: string; xdsAddress?: string; backend?: string } = {};
  const [image, xdsAddress, backend] = [text('inject-image'), text('inject-xds-address'), text('inject-backend')];
  if (image !== undefined) overrides.image = image;
  if (xdsAddress !== undefined) overrides.xdsAddress = xdsAddress;
  if (backend !== undefined) overrides.backend = backend;
  const inject = injectOptions(overrides);
  if (typeof inject === 'string') return `--inject-${inject}`;
  return address && certFile && keyFile ? { address, certFile, keyFile, inject } : undefined;
}

/** Resolves with the signal's name on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * Starts the server (with the workload CA on its TLS port when asked), the injection webhook when asked for, and for a
 * watched cluster the root's ConfigMaps, and an issued serving certificate's renewal (`release` stops both); a
 * string is why it could not start.
 */
async function startServing(flags: ServeFlags): Promise<{ server: ServerHandle; webhook: WebhookServer | undefined; release: () => Promise<void> } | string> {
  const stamped = (line: string): void => console.error(`${new Date().toISOString()} ${line}`);
  let server: ServerHandle;
  let ca: Awaited<ReturnType<typeof loadCa>> | undefined;
  let serving: ServingCertificate | undefined;
  try {
    ca = flags.ca ? await loadCa(flags.ca) : undefined;
    if (ca) console.error(`biplane serve: workload CA with ${ca.origin}`);
    serving = ca && flags.security.tls && 'issue' in flags.security.tls ? await ServingCertificate.start(ca.ca, flags.security.tls.issue, stamped) : undefined;
    // Per-request CA lines follow --quiet, as per-push lines do.
    const security = withCa(securityOptions(servingFlags(flags.security, serving), flags.cluster), ca?.ca, flags.quiet ? (): void => undefined : stamped);
    server = await startServer({
      ...security,
      source: flags.source,
      rootNamespace: flags.rootNamespace,
      xdsAddresses: flags.xdsAddresses,
      adminAddress: flags.adminAddress,
      strategy: flags.strategy,
      debounceMs: flags.debounceMs,
      debounceMaxMs: flags.debounceMaxMs,
      sizeLimits: flags.sizeLimits,
      ...(flags.quiet ? {} : { log: stamped }),
    });
  } catch (err) {
    await serving?.close();
    return (err as Error).message;
  }
  try {
    // One line per admitted pod and per certificate reload: few enough to log even under --quiet.
    const webhook = flags.webhook ? await startWebhook({ ...flags.webhook, log: stamped }) : undefined;
    // In a cluster, pods find the root in a ConfigMap of their namespace (with --ca-dir, in DIR/root-cert.pem).
    const cluster = flags.ca?.cluster;
    const unpublish = ca && cluster ? publishRoot(cluster, ca.ca.rootPem, flags.source, stamped) : undefined;
    const release = async (): Promise<void> => {
      unpublish?.();
      await serving?.close();
    };
    return { server, webhook, release };
  } catch (err) {
    await server.stop();
    await serving?.close();
    return (err as Error).message;
  }
}

/** The security flags with an issued serving certificate's files (its root the default client CA). */
function servingFlags(security: SecurityFlags, serving: ServingCertificate | undefined): SecurityFlags & { readonly tls?: TlsFiles } {
  const { tls, ...rest } = security;
  if (!tls) return rest;
  if (!('issue' in tls)) return { ...rest, tls };
  if (!serving) throw new Error('the TLS port needs a serving certificate: give --tls-cert and --tls-key, or a workload CA');
  const { issue: _names, ...port } = tls;
  return { ...rest, tls: { ...port, certFile: serving.certFile, keyFile: serving.keyFile, clientCaFile: tls.clientCaFile ?? serving.rootFile } };
}

/** The security options with the CA's certificate service on the TLS port, judged by the same authenticator. */
function withCa(security: ReturnType<typeof securityOptions>, ca: CertificateAuthority | undefined, log: (line: string) => void): ReturnType<typeof securityOptions> {
  if (!ca) return security;
  if (!security.tls) {
    console.error('biplane serve: the workload CA answers only on the TLS port (--tls-cert, --tls-key); CreateCertificate is not served');
    return security;
  }
  const service = certificateService({ ca, authenticator: security.tls.authenticator, log });
  return { ...security, tls: { ...security.tls, extraServices: [...(security.tls.extraServices ?? []), service] } };
}

/** `serve` command. */
export const command: Command = {
  summary: 'serve xDS to Envoy sidecars and proxyless gRPC, live from manifests or a cluster',
  async run(argv) {
    let flags: ReturnType<typeof readFlags>;
    try {
      flags = readFlags(argv);
    } catch (err) {
      flags = (err as Error).message;
    }
    if (flags === 'help') return usageExit('serve', USAGE, { help: true });
    if (typeof flags === 'string') return usageExit('serve', USAGE, { usage: flags });
    const signal = untilSignal();
    const started = await startServing(flags);
    if (typeof started === 'string') {
      console.error(`biplane serve: ${started}`);
      return 1;
    }
    const { server, webhook, release } = started;
    const model = server.model();
    if (model) {
      console.log(serveSummary({
        model,
        origin: flags.origin,
        ...(flags.manifests !== undefined ? { manifests: flags.manifests } : {}),
        xdsAddresses: server.xdsAddresses,
        tlsAddresses: server.tlsAddresses,
        ...(server.adminAddress !== undefined ? { adminAddress: server.adminAddress } : {}),
      }));
    }
    for (const p of flags.source.problems()) console.error(formatProblem(p));
    console.log(`biplane-listening ${JSON.stringify({ xds: server.xdsAddresses, xdsTls: server.tlsAddresses, admin: server.adminAddress ?? null, webhook: webhook?.address ?? null, pid: process.pid })}`);
    const name = await signal;
    console.error(`biplane serve: ${name}, shutting down`);
    await webhook?.close();
    await server.stop();
    await release();
    return 0;
  },
};
