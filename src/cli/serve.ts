// `biplane serve`: the live control plane. Watches a manifest folder or a cluster, serves xDS (SotW and delta ADS) to
// Envoy sidecars and proxyless gRPC apps, and admin pages, until SIGINT/SIGTERM.
import { DEFAULT_ROOT_NAMESPACE } from '../model/peer-auth.ts';
import { parseArgs } from 'node:util';
import { DEFAULT_ADMIN_ADDRESS, DEFAULT_XDS_ADDRESSES, startServer } from '../server/pipeline.ts';
import type { ServerHandle, ServerOptions } from '../server/pipeline.ts';
import { serveSummary } from '../server/summary.ts';
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
  --root-namespace NS      where mesh-wide PeerAuthentications live (default istio-system, as in Istio)
  --debounce-ms N          quiet time before a rebuild (default 100)
  --debounce-max-ms N      longest a burst of changes may delay a rebuild (default 1000)
  --max-resource-bytes N   largest single resource sent to any client (default 16 MiB for Envoy, 4 MiB - 64 KiB
                           for gRPC); a service whose resource is bigger is left out of that proxy's configuration
  --max-response-bytes N   largest response (one type's resources together) sent to any client (default 64 MiB
                           for Envoy, 4 MiB - 64 KiB for gRPC), enforced the same way
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
      'root-namespace': { type: 'string', default: DEFAULT_ROOT_NAMESPACE },
      'debounce-ms': { type: 'string', default: '100' },
      'debounce-max-ms': { type: 'string', default: '1000' },
      quiet: { type: 'boolean', default: false },
      'max-resource-bytes': { type: 'string' },
      'max-response-bytes': { type: 'string' },
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
    rootNamespace: values['root-namespace'],
    debounceMs,
    debounceMaxMs,
    quiet: values.quiet,
    sizeLimits: { envoy: overrides, grpc: overrides },
  };
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
    let server: ServerHandle;
    try {
      server = await startServer({
        source: flags.source,
        xdsAddresses: flags.xdsAddresses,
        adminAddress: flags.adminAddress,
        strategy: flags.strategy,
        rootNamespace: flags.rootNamespace,
        debounceMs: flags.debounceMs,
        debounceMaxMs: flags.debounceMaxMs,
        sizeLimits: flags.sizeLimits,
        ...(flags.quiet ? {} : { log: (line: string) => console.error(`${new Date().toISOString()} ${line}`) }),
      });
    } catch (err) {
      console.error(`biplane serve: ${(err as Error).message}`);
      return 1;
    }
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
    await server.stop();
    return 0;
  },
};
