// `biplane analyze`: the offline checker for a manifest folder. Reads the files (the only I/O), hands them to the pure
// analyzer, prints the findings and exits 1 when any is at or above --fail-on.
import { readFile } from 'node:fs/promises';
import { analyze, failsAt, formatJson, formatText } from '../analyze/index.ts';
import { listManifests, loadManifests } from '../sources/files/index.ts';
import type { Command } from './main.ts';
import { progressReporter } from './progress.ts';
import { readCommandFlags, usageExit } from './args.ts';

const USAGE = `usage: biplane analyze --manifests DIR [flags]

Checks manifests offline before they are applied: input problems, model inconsistencies, the xDS resources every
pod's proxy would get (Envoy sidecar, or proxyless gRPC for pods with inject.istio.io/templates: grpc-agent), and
dual-stack setups that are legal but likely mistakes.

flags:
  --manifests DIR              folder (or file) of Kubernetes/Istio manifests
  --pod NAMESPACE/NAME         check only this pod's proxy (repeatable; default: every pod with a proxy)
  --strategy shared|per-family how dual-stack services are forwarded (default shared)
  --format text|json           (default text)
  --fail-on error|warning      exit 1 when a finding is at least this severe (default error)
  --help

exit codes: 0 no finding at or above --fail-on, 1 some, 2 usage error`;

/** The parsed flags, or the usage error. */
type Flags =
  | { readonly manifests: string; readonly pods: readonly string[]; readonly strategy: 'shared' | 'per-family'; readonly format: 'text' | 'json'; readonly failOn: 'error' | 'warning' }
  | { readonly usage: string }
  | { readonly help: true };

function parseFlags(argv: readonly string[]): Flags {
  const read = readCommandFlags(argv, {
    manifests: { type: 'string' },
    pod: { type: 'string', multiple: true, default: [] },
    strategy: { type: 'string', default: 'shared' },
    format: { type: 'string', default: 'text' },
    'fail-on': { type: 'string', default: 'error' },
  });
  if (!('values' in read)) return read;
  const { values } = read;
  const { manifests, pod: pods, strategy, format } = values;
  const failOn = values['fail-on'];
  const badPod = pods.find((p) => !/^[^/\s]+\/[^/\s]+$/.test(p));
  if (!manifests) return { usage: 'need --manifests' };
  if (badPod !== undefined) return { usage: `--pod must be NAMESPACE/NAME, got ${JSON.stringify(badPod)}` };
  if (strategy !== 'shared' && strategy !== 'per-family') return { usage: `unknown --strategy ${strategy}` };
  if (format !== 'text' && format !== 'json') return { usage: `unknown --format ${format}` };
  if (failOn !== 'error' && failOn !== 'warning') return { usage: `unknown --fail-on ${failOn}` };
  return { manifests, pods, strategy, format, failOn };
}

/** The text of every manifest file under `target` that can still be read (to find field lines). */
async function readTexts(target: string): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (const file of (await listManifests(target)).files) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) texts.set(file, text);
  }
  return texts;
}

/** `analyze` command. */
export const command: Command = {
  summary: 'check manifests offline: model, per-proxy xDS and dual-stack findings',
  async run(argv) {
    const flags = parseFlags(argv);
    if ('help' in flags || 'usage' in flags) return usageExit('analyze', USAGE, flags);
    const progress = progressReporter(process.stderr);
    progress.update(`reading ${flags.manifests}`);
    const loaded = await loadManifests(flags.manifests);
    const texts = await readTexts(flags.manifests);
    progress.update(`building the model of ${loaded.objects.length} objects`);
    const onProgress = (done: number, total: number): void => progress.step('checking proxies', done, total);
    const result = analyze({ ...loaded, texts }, { pods: flags.pods, strategy: flags.strategy, onProgress });
    progress.done();
    process.stdout.write(flags.format === 'json' ? formatJson(result) : formatText(result));
    return failsAt(result.findings, flags.failOn) ? 1 : 0;
  },
};
