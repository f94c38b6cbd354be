// The three changes of the churn scenario, as edits of the generated objects: a pod added to a service, a pod removed
// from another, and a whole new service with its pods. Each returns a new object list; the input is not touched.
import type { SourceObject } from '../src/model/types.ts';
import { generateCluster, v4, v6 } from './cluster.ts';
import type { ClusterShape } from './cluster.ts';

type Json = Record<string, unknown>;

function sliceOf(o: SourceObject, service: string): boolean {
  const labels = ((o.object['metadata'] as Json | undefined)?.['labels'] ?? {}) as Json;
  return o.key.kind === 'EndpointSlice' && labels['kubernetes.io/service-name'] === service;
}

function bump(o: SourceObject, object: Json): SourceObject {
  const version = String(Number(o.version) + 1);
  const metadata = { ...(object['metadata'] as Json), resourceVersion: version };
  return { ...o, object: { ...object, metadata }, version };
}

/** Adds pod `<service>-extra` (address number `index`) to `service`, in its Pod list and every slice of it. */
export function addPod(objects: readonly SourceObject[], service: string, index: number): SourceObject[] {
  const template = objects.find((o) => o.key.kind === 'Pod' && o.key.name === `${service}-0`);
  if (!template) throw new Error(`churn: service ${service} has no pod ${service}-0`);
  const name = `${service}-extra`;
  const status = template.object['status'] as { podIPs: { ip: string }[] };
  const ips = status.podIPs.map(({ ip }) => (ip.includes(':') ? v6('fd00:10:244::', index) : v4(244, index)));
  const pod: SourceObject = {
    ...template,
    key: { ...template.key, name },
    origin: { ...template.origin, object: `Pod/${template.key.namespace}/${name}` },
    object: { ...template.object, metadata: { ...(template.object['metadata'] as Json), name }, status: { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } },
  };
  const out = objects.map((o) => {
    if (!sliceOf(o, service)) return o;
    const family = o.object['addressType'];
    const ip = ips.find((x) => (family === 'IPv6') === x.includes(':'));
    const endpoints = o.object['endpoints'] as Json[];
    const first = endpoints[0] ?? {};
    const added = { ...first, addresses: [ip], targetRef: { kind: 'Pod', namespace: template.key.namespace, name } };
    return bump(o, { ...o.object, endpoints: [...endpoints, added] });
  });
  return [...out, pod];
}

/** Removes pod `<service>-0` and its endpoints from every slice of `service`. */
export function removePod(objects: readonly SourceObject[], service: string): SourceObject[] {
  const name = `${service}-0`;
  return objects
    .filter((o) => !(o.key.kind === 'Pod' && o.key.name === name))
    .map((o) => {
      if (!sliceOf(o, service)) return o;
      const endpoints = (o.object['endpoints'] as Json[]).filter((e) => (e['targetRef'] as Json | undefined)?.['name'] !== name);
      return bump(o, { ...o.object, endpoints });
    });
}

/** Adds service number `shape.services` (the next one the generator would make) with its pods and slices. */
export function addService(objects: readonly SourceObject[], shape: ClusterShape): SourceObject[] {
  const name = `svc-${shape.services}`;
  const bigger = generateCluster({ ...shape, services: shape.services + 1, proxiesPerMode: 0 });
  const added = bigger.objects.filter((o) => o.key.name === name || o.key.name.startsWith(`${name}-`));
  return [...objects, ...added];
}
