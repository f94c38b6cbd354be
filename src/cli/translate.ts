// `biplane translate`: runs the same stages the server runs (files → model → translate) for one pod, offline, and
// prints what its sidecar would get: encoded by the real Envoy protos, printed as canonical proto3 JSON.
import { parseArgs } from 'node:util';
import { podProxyNode } from '../analyze/index.ts';
import { buildModel, indexModel, parseProxy, type ModelIndex } from '../model/index.ts';
import type { MeshModel, Pod, Problem, Proxy } from '../model/types.ts';
import { loadManifests, type ManifestLoad } from '../sources/files/index.ts';
import { translate } from '../translate/index.ts';
import { configDump, renderResources } from '../translate/render.ts';
import { stringify } from 'yaml';
import type { Command } from './main.ts';
import { DEFAULT_ROOT_NAMESPACE } from '../model/peer-auth.ts';

const USAGE = `usage: biplane translate --manifests DIR --proxy NAMESPACE/POD [flags]

Prints the Envoy resources biplane serves to the sidecar of one pod.

flags:
  --manifests DIR              folder (or file) of Kubernetes/Istio manifests
  --proxy NAMESPACE/POD        the pod whose sidecar asks
  --strategy shared|per-family how dual-stack services are forwarded (default shared)
  --output resources|config-dump
                               {listeners,clusters,routes,endpoints} or Envoy's /config_dump shape (default resources)
  --format json|yaml           (default json)
  --dns-capture                the pod's DNS is captured by \`biplane agent\` (node metadata DNS_CAPTURE and
                               DNS_AUTO_ALLOCATE): auto-allocated ServiceEntry VIPs get listeners instead of SNI
  --sds                        the sidecar has certificates over SDS (node metadata SDS, as \`biplane bootstrap
                               --sds-socket\` says): auto-mTLS outbound, PeerAuthentication modes inbound
  --root-namespace NS          where mesh-wide PeerAuthentications live (default istio-system)
  --help`;

/** A problem as one line: `file:line: object: field: message`. */
export function formatProblem(p: Problem): string {
  const where = [p.origin.file ? `${p.origin.file}${p.origin.line ? `:${p.origin.line}` : ''}` : '', p.origin.object ?? '', p.origin.field ?? '']
    .filter((x) => x !== '')
    .join(': ');
  return `${p.severity}: ${where ? `${where}: ` : ''}${p.message}`;
}

/** The model, its index, the pod and its proxy, loaded from manifests; `error` explains why not (exit code 1). */
export type LoadedMesh =
  | { readonly model: MeshModel; readonly index: ModelIndex; readonly pod: Pod; readonly proxy: Proxy; readonly warnings: readonly string[] }
  | { readonly error: string };

/** Loads manifests and finds the proxy of `NAMESPACE/POD` the way the server would for that pod's sidecar. */
export async function loadMesh(manifests: string, target: string): Promise<LoadedMesh> {
  const [namespace, name] = target.split('/');
  if (!namespace || !name) return { error: `--proxy must be NAMESPACE/POD, got ${JSON.stringify(target)}` };
  return meshOf(await loadManifests(manifests), namespace, name, manifests);
}

/** The model of already loaded objects and the sidecar proxy of pod `namespace/name` in it (`manifests` names the input). */
export function meshOf(loaded: ManifestLoad, namespace: string, name: string, manifests: string): LoadedMesh {
  const built = buildModel(loaded.objects);
  const problems = [...loaded.problems, ...built.problems];
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) return { error: errors.map(formatProblem).join('\n') };
  const pod = built.model.pods.find((p) => p.namespace === namespace && p.name === name);
  if (!pod) return { error: `pod ${namespace}/${name} not found in ${manifests}` };
  const first = pod.ips[0];
  if (!first) return { error: `pod ${namespace}/${name} has no status.podIPs (${pod.origin.file ?? manifests})` };
  const parsed = parseProxy(podProxyNode(pod, 'sidecar'), built.model);
  if (!parsed.proxy) return { error: parsed.problems.map(formatProblem).join('\n') };
  const warnings = [...problems, ...parsed.problems].map(formatProblem);
  return { model: built.model, index: indexModel(built.model), pod, proxy: parsed.proxy, warnings };
}

/** `translate` command. */
export const command: Command = {
  summary: 'print the Envoy resources one pod’s sidecar gets',
  async run(argv) {
    let values;
    try {
      values = parseArgs({
        args: [...argv],
        options: {
          manifests: { type: 'string' },
          proxy: { type: 'string' },
          strategy: { type: 'string', default: 'shared' },
          output: { type: 'string', default: 'resources' },
          format: { type: 'string', default: 'json' },
          'dns-capture': { type: 'boolean', default: false },
          sds: { type: 'boolean', default: false },
          'root-namespace': { type: 'string', default: DEFAULT_ROOT_NAMESPACE },
          help: { type: 'boolean', default: false },
        },
      }).values;
    } catch (err) {
      console.error(`biplane translate: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const { manifests, proxy, strategy, output, format } = values;
    const usage = !manifests || !proxy ? 'need --manifests and --proxy'
      : strategy !== 'shared' && strategy !== 'per-family' ? `unknown --strategy ${strategy}`
      : output !== 'resources' && output !== 'config-dump' ? `unknown --output ${output}`
      : format !== 'json' && format !== 'yaml' ? `unknown --format ${format}` : undefined;
    if (usage || !manifests || !proxy) {
      console.error(`biplane translate: ${usage}\n\n${USAGE}`);
      return 2;
    }
    const mesh = await loadMesh(manifests, proxy);
    if ('error' in mesh) {
      console.error(`biplane translate: ${mesh.error}`);
      return 1;
    }
    mesh.warnings.forEach((w) => console.error(w));
    const dns = values['dns-capture'] ? { dnsCapture: true, dnsAutoAllocate: true } : {};
    const sds = values.sds ? { sds: true } : {};
    const rootNamespace = values['root-namespace'];
    const resources = translate(mesh.index, { ...mesh.proxy, ...dns, ...sds }, { strategy: strategy === 'per-family' ? 'per-family' : 'shared', rootNamespace });
    const value = output === 'config-dump' ? configDump(resources) : renderResources(resources);
    process.stdout.write(format === 'yaml' ? stringify(value) : `${JSON.stringify(value, null, 2)}\n`);
    return 0;
  },
};
