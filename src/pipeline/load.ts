// The offline loader: manifests on disk → the mesh model, its index, and the sidecar proxy of one pod, exactly as the
// server would see that pod's sidecar connect; and problems printed one per line. `biplane translate`, `bootstrap`,
// `agent` and the tests load through here.
import { buildModel, indexModel, parseProxy, podProxyNode } from '../model/index.ts';
import type { MeshModel, ModelIndex, Pod, Problem, Proxy } from '../model/index.ts';
import { loadManifests } from '../sources/files/index.ts';
import type { ManifestLoad } from '../sources/files/index.ts';

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
