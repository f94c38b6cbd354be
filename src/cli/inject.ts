// `biplane inject -f FILE`: like `istioctl kube-inject`, prints the manifests with biplane's capture init container
// and Envoy sidecar added to every workload; reports each workload on stderr.
import { readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_INJECT, injectManifests, injectOptions, type InjectOptions } from '../inject/index.ts';
import { commandFlags, usageExit, type FlagValues } from './args.ts';
import type { Command } from './main.ts';

const USAGE = `usage: biplane inject -f FILE [-o FILE] [--image IMAGE] [--xds-address HOST:PORT] [--backend iptables|nftables]

Adds to every Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob in FILE ('-' for stdin):
  biplane-init   an init container running 'biplane capture --apply' with the pod's IPs (both families), with the
                 pod's traffic.sidecar.istio.io/* and sidecar.istio.io/interceptionMode annotations as flags
  biplane-proxy  a native sidecar running Envoy with the bootstrap 'biplane bootstrap' prints for the pod
Pods labelled or annotated sidecar.istio.io/inject: "false" and hostNetwork pods are left alone. Running it again
on its own output changes nothing.

flags:
  -f, --filename FILE      manifests to inject (multi-document YAML or JSON; '-' reads stdin)
  -o, --output FILE        write here instead of stdout
  --image IMAGE            proxy image with biplane, envoy, iptables/nft and ip (default ${DEFAULT_INJECT.image})
  --xds-address HOST:PORT  biplane's TLS xDS port, also its workload CA (default ${DEFAULT_INJECT.xdsAddress})
  --backend iptables|nftables
                           capture rule flavour (default ${DEFAULT_INJECT.backend})
  --help`;

/** `inject`'s parseArgs options, `-h` included. */
const OPTIONS = {
  filename: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  image: { type: 'string', default: DEFAULT_INJECT.image },
  'xds-address': { type: 'string', default: DEFAULT_INJECT.xdsAddress },
  backend: { type: 'string', default: DEFAULT_INJECT.backend },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Flags = { readonly file: string; readonly output: string | undefined; readonly options: InjectOptions };

/** The flags read and checked; a string is the usage error. */
function checkFlags(values: FlagValues<typeof OPTIONS>): Flags | string {
  if (values.filename === undefined) return 'need -f FILE';
  const options = injectOptions({ image: values.image, xdsAddress: values['xds-address'], backend: values.backend });
  if (typeof options === 'string') return `--${options}`;
  return { file: values.filename, output: values.output, options };
}

/** `inject` command. */
export const command: Command = {
  summary: 'add capture init container and Envoy sidecar to workloads in a manifest file (like istioctl kube-inject)',
  async run(argv) {
    const values = commandFlags('inject', USAGE, argv, OPTIONS);
    if (typeof values === 'number') return values;
    const flags = checkFlags(values);
    if (typeof flags === 'string') return usageExit('inject', USAGE, { usage: flags });
    let text: string;
    try {
      text = readFileSync(flags.file === '-' ? 0 : flags.file, 'utf8');
    } catch (err) {
      console.error(`biplane inject: cannot read ${flags.file}: ${(err as Error).message}`);
      return 1;
    }
    const result = injectManifests(text, flags.file === '-' ? 'stdin' : flags.file, flags.options);
    for (const r of result.reports) console.error(`${r.outcome}  ${r.object}${r.detail.map((d) => `\n  ${d}`).join('')}`);
    if (result.yaml === undefined) return 1;
    if (flags.output) writeFileSync(flags.output, result.yaml);
    else process.stdout.write(result.yaml);
    return 0;
  },
};
