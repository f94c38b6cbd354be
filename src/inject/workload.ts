// Injection of one Kubernetes object: finds its pod template (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
// Job, CronJob), reads the template's settings and returns a copy with biplane's containers — the same copy however
// often it runs, since earlier biplane containers are taken out first.
import { INIT_NAME, PROXY_NAME, SIDECAR_VOLUMES, initContainer, proxyContainer, sidecarVolumes, type InjectOptions } from './containers.ts';
import { podSettings } from './settings.ts';

/** Marks an injected pod template; its value names the containers injection added. */
export const STATUS_ANNOTATION = 'sidecar.biplane.io/status';
const DEFAULT_CONTAINER = 'kubectl.kubernetes.io/default-container';
/** Istio's label for pods whose sidecar speaks mutual TLS; peers' auto-mTLS reads it. A value already set is kept. */
export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

type Json = Record<string, unknown>;

/** What happened to one object. */
export type ObjectOutcome =
  | { readonly outcome: 'injected'; readonly object: Json; readonly warnings: readonly string[] }
  | { readonly outcome: 'skipped'; readonly reason: string }
  | { readonly outcome: 'not-a-workload' };

const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** The kinds injection handles. */
export const WORKLOAD_KINDS: readonly string[] = Object.keys(TEMPLATE_PATHS);

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
}

/** `list` (containers or volumes) without the entries named `names`, which injection owns and adds again. */
function withoutOurs(list: unknown, names: readonly string[] = [INIT_NAME, PROXY_NAME]): Json[] {
  return Array.isArray(list) ? list.filter((c): c is Json => isRecord(c) && !names.includes(c['name'] as string)) : [];
}

/** The pod template (metadata + spec) of `template` with biplane's containers; undefined plus a reason to skip. */
function injectTemplate(template: Json, options: InjectOptions): { template: Json; warnings: readonly string[] } | { skip: string } {
  const metadata = isRecord(template['metadata']) ? template['metadata'] : {};
  const spec = isRecord(template['spec']) ? template['spec'] : undefined;
  if (!spec || !Array.isArray(spec['containers'])) return { skip: 'no pod spec with containers' };
  if (spec['hostNetwork'] === true) return { skip: 'hostNetwork pods share the node network; nothing to capture' };
  const settings = podSettings(stringMap(metadata['labels']), stringMap(metadata['annotations']));
  if ('skip' in settings) return { skip: settings.skip };
  const containers = withoutOurs(spec['containers']);
  const init = settings.interception === 'NONE' ? [] : [initContainer(settings.captureFlags, options)];
  const added = [...init.map(() => INIT_NAME), PROXY_NAME];
  const annotations: Record<string, string> = { ...stringMap(metadata['annotations']), [STATUS_ANNOTATION]: JSON.stringify({ initContainers: added }) };
  const first = containers[0]?.['name'];
  if (annotations[DEFAULT_CONTAINER] === undefined && typeof first === 'string') annotations[DEFAULT_CONTAINER] = first;
  const labels = { ...stringMap(metadata['labels']) };
  labels[TLS_MODE_LABEL] ??= 'istio';
  const volumes = [...withoutOurs(spec['volumes'], SIDECAR_VOLUMES), ...sidecarVolumes()];
  return {
    template: {
      ...template,
      metadata: { ...metadata, labels, annotations },
      spec: { ...spec, initContainers: [...init, proxyContainer(settings.interception, options), ...withoutOurs(spec['initContainers'])], containers, volumes },
    },
    warnings: settings.warnings,
  };
}

function getPath(obj: Json, path: readonly string[]): Json | undefined {
  let at: unknown = obj;
  for (const key of path) at = isRecord(at) ? at[key] : undefined;
  return isRecord(at) ? at : undefined;
}

function setPath(obj: Json, path: readonly string[], value: Json): Json {
  const [key, ...rest] = path;
  if (key === undefined) return value;
  const child = isRecord(obj[key]) ? (obj[key] as Json) : {};
  return { ...obj, [key]: setPath(child, rest, value) };
}

/** Injects one object (throws InjectError on an annotation value capture would refuse). */
export function injectObject(obj: Json, options: InjectOptions): ObjectOutcome {
  const path = typeof obj['kind'] === 'string' ? TEMPLATE_PATHS[obj['kind']] : undefined;
  if (!path) return { outcome: 'not-a-workload' };
  const template = getPath(obj, path);
  if (!template) return { outcome: 'skipped', reason: `no pod template at ${path.join('.') || 'the top level'}` };
  const done = injectTemplate(template, options);
  if ('skip' in done) return { outcome: 'skipped', reason: done.skip };
  return { outcome: 'injected', object: setPath(obj, path, done.template), warnings: done.warnings };
}
