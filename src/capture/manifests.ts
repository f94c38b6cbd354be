// `--manifests DIR --pod NS/NAME`: the pod's IPs and capture annotations, read through the same file source and
// model builder the server uses. Problems elsewhere in the folder are passed on as context, never fatal; only a
// missing pod, a pod without IPs or a bad capture annotation stops the command.
import { buildModel } from '../model/index.ts';
import type { Problem } from '../model/types.ts';
import { loadManifests } from '../sources/files/index.ts';
import { podCapture } from './pod.ts';
import type { PodCapture } from './pod.ts';

/** What a manifest folder says about one pod's capture: the settings, fatal problems, and the folder's other problems. */
export interface ManifestCapture {
  readonly capture?: PodCapture;
  /** About this pod; any entry means no rules should be generated. */
  readonly problems: readonly Problem[];
  /** Problems with other objects in the folder, for the user's information. */
  readonly context: readonly Problem[];
}

/** Reads `dir` and returns the capture settings of pod `ref`. */
export async function podCaptureFromManifests(
  dir: string,
  ref: { readonly namespace: string; readonly name: string },
): Promise<ManifestCapture> {
  const loaded = await loadManifests(dir);
  const built = buildModel(loaded.objects);
  const context = [...loaded.problems, ...built.problems];
  const pod = built.model.pods.find((p) => p.namespace === ref.namespace && p.name === ref.name);
  const object = `Pod/${ref.namespace}/${ref.name}`;
  if (!pod) {
    const message = `pod ${ref.namespace}/${ref.name} not found in ${dir}`;
    return { problems: [{ severity: 'error', message, origin: { source: 'files', file: dir, object } }], context };
  }
  if (pod.ips.length === 0) {
    const message = `pod ${ref.namespace}/${ref.name} has no IPs (status.podIPs / status.podIP)`;
    return { problems: [{ severity: 'error', message, origin: { ...pod.origin, field: 'status.podIPs' } }], context };
  }
  const { capture, problems } = podCapture(pod);
  return { capture, problems, context };
}
