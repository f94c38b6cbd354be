// `biplane serve`: the live control plane. Watches a manifest folder or a cluster, serves xDS (SotW and delta ADS) to
// Envoy sidecars and proxyless gRPC apps, and admin pages, until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { DEFAULT_ADMIN_ADDRESS, DEFAULT_XDS_ADDRESSES, startServer } from '../server/pipeline.ts';
import type { ServerHandle, ServerOptions } from '../server/pipeline.ts';
import { certificateService, loadCa, NO_AUTHENTICATOR, parseTtl, publishRoot } from '../ca/index.ts';
import type { CaSettings, CaStore } from '../ca/index.ts';
import { CA_SECRET_NAME } from '../ca/store.ts';
import { serveSummary } from '../server/summary.ts';
import { DEFAULT_TRUST_DOMAIN } from '../trust/identity.ts';
import { FileSource } from '../sources/files/index.ts';
import { KubeSource } from '../sources/kube/index.ts';
import type { Source } from '../sources/types.ts';
import type { ForwardingStrategy } from '../translate/index.ts';
import { formatProblem } from './translate.ts';
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
  --debounce-ms N          quiet time before a rebuild (default 100)
  --debounce-max-ms N      longest a burst of changes may delay a rebuild (default 1000)
  --max-resource-bytes N   largest single resource sent to any client (default 16 MiB for Envoy, 4 MiB - 64 KiB
                           for gRPC); a service whose resource is bigger is left out of that proxy's configuration
  --max-response-bytes N   largest response (one type's resources together) sent to any client (default 64 MiB
                           for Envoy, 4 MiB - 64 KiB for gRPC), enforced the same way
  --quiet                  no per-push log lines on stderr

workload CA (Istio's CreateCertificate, served beside ADS; off unless a root store is named):
  --ca-dir DIR             keep the root in DIR (generated at first start: ca-cert.pem, ca-key.pem mode 0600) and
                           write DIR/root-cert.pem, the root pods trust
  --ca-secret              keep the root in the Secret ${CA_SECRET_NAME} in --ca-namespace (with --kubeconfig or
                           --in-cluster); the first replica creates it, the others read it
  --ca-namespace NS        biplane's own namespace (default $POD_NAMESPACE, else biplane-system)
  --ca-cert FILE --ca-key FILE [--ca-chain FILE]
                           sign with your root or intermediate; the chain runs from its issuer to the root
  --trust-domain TD        the mesh's trust domain (default ${DEFAULT_TRUST_DOMAIN})
  --workload-cert-ttl D    lifetime of issued certificates when the caller asks none (default 24h; s, m, h, d)
  --max-workload-cert-ttl D
                           the longest lifetime a caller may ask for (default 90d)
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
  readonly debounceMs: number;
  readonly debounceMaxMs: number;
  readonly quiet: boolean;
  readonly sizeLimits: NonNullable<ServerOptions['sizeLimits']>;
  /** The workload CA's settings, when a root store was named. */
  readonly ca?: CaSettings;
}

/** Reads the flags into a source (not started) and server options; a string is the error to print. */
export function readFlags(argv: readonly string[]): ServeFlags | string | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      manifests: { type: 'string' },
      kubeconfig: { type: 'string' },
      'in-cluster': { type: 'boolean', default: false },
      'xds-address': { type: 'string', multiple: true },
      'admin-address': { type: 'string', default: DEFAULT_ADMIN_ADDRESS },
      strategy: { type: 'string', default: 'shared' },
      'debounce-ms': { type: 'string', default: '100' },
      'debounce-max-ms': { type: 'string', default: '1000' },
      quiet: { type: 'boolean', default: false },
      'max-resource-bytes': { type: 'string' },
      'max-response-bytes': { type: 'string' },
      'ca-dir': { type: 'string' },
      'ca-secret': { type: 'boolean', default: false },
      'ca-namespace': { type: 'string' },
      'ca-cert': { type: 'string' },
      'ca-key': { type: 'string' },
      'ca-chain': { type: 'string' },
      'trust-domain': { type: 'string', default: DEFAULT_TRUST_DOMAIN },
      'workload-cert-ttl': { type: 'string', default: '24h' },
      'max-workload-cert-ttl': { type: 'string', default: '90d' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const chosen = [values.manifests !== undefined, values.kubeconfig !== undefined, values['in-cluster']].filter(Boolean).length;
  if (chosen !== 1) return 'give exactly one of --manifests, --kubeconfig, --in-cluster';
  if (values.strategy !== 'shared' && values.strategy !== 'per-family') return `--strategy must be shared or per-family, not ${values.strategy}`;
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
  const ca = caSettings(values);
  if (typeof ca === 'string') return ca;
  const source: Source = values.manifests !== undefined
    ? new FileSource({ path: values.manifests })
    : new KubeSource(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : { inCluster: true });
  const origin = values.manifests !== undefined
    ? `manifests in ${values.manifests} (watched)`
    : values.kubeconfig !== undefined ? `the cluster of ${values.kubeconfig}` : 'this cluster (in-cluster)';
  return {
    source,
    origin,
    ...(values.manifests !== undefined ? { manifests: values.manifests } : {}),
    xdsAddresses: values['xds-address'] ?? DEFAULT_XDS_ADDRESSES,
    adminAddress: values['admin-address'] === 'none' ? false : values['admin-address'],
    strategy: values.strategy,
    debounceMs,
    debounceMaxMs,
    quiet: values.quiet,
    sizeLimits: { envoy: overrides, grpc: overrides },
    ...(ca ? { ca } : {}),
  };
}

/** The CA flags read: undefined when no root store is named, a string when they are wrong. */
function caSettings(values: Readonly<Record<string, string | boolean | string[] | undefined>>): CaSettings | undefined | string {
  const text = (flag: string): string | undefined => (typeof values[flag] === 'string' ? (values[flag] as string) : undefined);
  const [dir, cert, key, chain] = [text('ca-dir'), text('ca-cert'), text('ca-key'), text('ca-chain')];
  const stores = [dir !== undefined, values['ca-secret'] === true, cert !== undefined || key !== undefined].filter(Boolean).length;
  if (stores > 1) return 'give one of --ca-dir, --ca-secret, --ca-cert/--ca-key';
  if ((cert === undefined) !== (key === undefined)) return '--ca-cert and --ca-key go together';
  if (chain !== undefined && cert === undefined) return '--ca-chain needs --ca-cert and --ca-key';
  if (values['ca-secret'] === true && values['manifests'] !== undefined) return '--ca-secret needs a cluster (--kubeconfig or --in-cluster); use --ca-dir with --manifests';
  if (stores === 0) return undefined;
  const defaultTtlSeconds = parseTtl(text('workload-cert-ttl') ?? '');
  const maxTtlSeconds = parseTtl(text('max-workload-cert-ttl') ?? '');
  if (defaultTtlSeconds === undefined || maxTtlSeconds === undefined) return '--workload-cert-ttl and --max-workload-cert-ttl are durations like 3600, 90m, 24h, 90d';
  if (defaultTtlSeconds > maxTtlSeconds) return '--workload-cert-ttl must not exceed --max-workload-cert-ttl';
  const cluster = text('kubeconfig') !== undefined ? { kubeconfig: text('kubeconfig')! } : { inCluster: true };
  const store: CaStore = dir !== undefined
    ? { kind: 'dir', dir }
    : cert !== undefined && key !== undefined
      ? { kind: 'files', cert, key, ...(chain !== undefined ? { chain } : {}) }
      : { kind: 'secret', cluster, namespace: text('ca-namespace') ?? process.env['POD_NAMESPACE'] ?? 'biplane-system' };
  const watched = values['manifests'] === undefined ? { cluster } : {};
  return { store, trustDomain: text('trust-domain') ?? DEFAULT_TRUST_DOMAIN, policy: { defaultTtlSeconds, maxTtlSeconds }, ...watched };
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
 * Loads the CA (when asked), starts the server with the CA's service beside ADS, and in a cluster starts publishing
 * the root to every namespace (`unpublish` stops it). Rejects with a message for the user.
 */
async function startServing(flags: ServeFlags, log: (line: string) => void): Promise<{ server: ServerHandle; unpublish?: () => void }> {
  const ca = flags.ca ? await loadCa(flags.ca) : undefined;
  if (ca) console.error(`biplane serve: workload CA with ${ca.origin}`);
  // Per-request CA lines follow --quiet, as per-push lines do.
  const caLog = flags.quiet ? (): void => undefined : log;
  const server = await startServer({
    source: flags.source,
    xdsAddresses: flags.xdsAddresses,
    adminAddress: flags.adminAddress,
    strategy: flags.strategy,
    debounceMs: flags.debounceMs,
    debounceMaxMs: flags.debounceMaxMs,
    sizeLimits: flags.sizeLimits,
    ...(ca ? { grpcServices: [certificateService({ ca: ca.ca, authenticator: NO_AUTHENTICATOR, log: caLog })] } : {}),
    ...(flags.quiet ? {} : { log }),
  });
  // In a cluster, pods find the root in a ConfigMap of their namespace (with --ca-dir, in DIR/root-cert.pem).
  const cluster = flags.ca?.cluster;
  if (!ca || !cluster) return { server };
  return { server, unpublish: publishRoot(cluster, ca.ca.rootPem, flags.source, log) };
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
    if (flags === 'help') {
      console.log(USAGE);
      return 0;
    }
    if (typeof flags === 'string') {
      console.error(`biplane serve: ${flags}\n\n${USAGE}`);
      return 2;
    }
    const signal = untilSignal();
    const log = (line: string): void => console.error(`${new Date().toISOString()} ${line}`);
    let started: Awaited<ReturnType<typeof startServing>>;
    try {
      started = await startServing(flags, log);
    } catch (err) {
      console.error(`biplane serve: ${(err as Error).message}`);
      return 1;
    }
    const { server, unpublish } = started;
    const model = server.model();
    if (model) {
      console.log(serveSummary({
        model,
        origin: flags.origin,
        ...(flags.manifests !== undefined ? { manifests: flags.manifests } : {}),
        xdsAddresses: server.xdsAddresses,
        ...(server.adminAddress !== undefined ? { adminAddress: server.adminAddress } : {}),
      }));
    }
    for (const p of flags.source.problems()) console.error(formatProblem(p));
    console.log(`biplane-listening ${JSON.stringify({ xds: server.xdsAddresses, admin: server.adminAddress ?? null, pid: process.pid })}`);
    const name = await signal;
    console.error(`biplane serve: ${name}, shutting down`);
    unpublish?.();
    await server.stop();
    return 0;
  },
};
