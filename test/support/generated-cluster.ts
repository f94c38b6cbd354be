// A generated cluster for tests that need more than a handful of services: Kubernetes objects as a source would
// read them (so they go through the model's own checks and conversion), deterministic, and owned by the tests, so
// tuning the benchmarks' generator never changes what a test covers. Service i takes the i-th of four family
// layouts (dual IPv4 first, dual IPv6 first, IPv4 only, IPv6 only) and alternates HTTP and TCP ports; its pods follow
// the service's families; one client node per proxy mode (IPv4, IPv6, dual either family first) comes with it.
// Names: Service `svc-<i>`, Pod `svc-<i>-<p>`, EndpointSlice `svc-<i>-ipv4` / `svc-<i>-ipv6`.
import type { IPFamily, ObjectKind, SourceObject } from '../../src/model/index.ts';

/** How big: `services` services of `podsPerService` pods each. */
export interface GeneratedShape {
  readonly services: number;
  readonly podsPerService: number;
}

/** An xDS node as a sidecar outside the generated services would send it. */
export interface GeneratedNode {
  readonly id: string;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** The objects for the model and the client nodes. */
export interface GeneratedCluster {
  readonly objects: readonly SourceObject[];
  readonly nodes: readonly GeneratedNode[];
}

const NAMESPACES = ['gen-a', 'gen-b', 'gen-c'];
const LAYOUTS: readonly (readonly IPFamily[])[] = [['IPv4', 'IPv6'], ['IPv6', 'IPv4'], ['IPv4'], ['IPv6']];
const CLIENT_MODES: readonly (readonly IPFamily[])[] = [['IPv4'], ['IPv6'], ['IPv4', 'IPv6'], ['IPv6', 'IPv4']];

/** Address number `n` of a family in a block (`base` picks it): 10.<base>.x.y or fd00:10:<base>::x:y. */
function ip(family: IPFamily, base: number, n: number): string {
  return family === 'IPv4' ? `10.${base}.${(n >> 8) & 255}.${n & 255}` : `fd00:10:${base}::${(n >> 8).toString(16)}:${(n & 255).toString(16)}`;
}

function wrap(kind: ObjectKind, namespace: string, name: string, object: Record<string, unknown>): SourceObject {
  const ref = namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
  return { key: { kind, namespace, name }, object, origin: { source: 'generated', object: ref }, version: '1' };
}

function serviceObjects(i: number, pods: number, next: () => number): SourceObject[] {
  const ns = NAMESPACES[i % NAMESPACES.length] ?? 'gen-a';
  const name = `svc-${i}`;
  const families = LAYOUTS[i % LAYOUTS.length] ?? ['IPv4'];
  const port = i % 2 === 0 ? { name: 'http-web', port: 80, targetPort: 8080, protocol: 'TCP' } : { name: 'tcp-db', port: 5432, targetPort: 5432, protocol: 'TCP' };
  const clusterIPs = families.map((f) => ip(f, 96, i + 1));
  const spec = { selector: { app: name }, clusterIP: clusterIPs[0], clusterIPs, ipFamilies: families, ipFamilyPolicy: families.length === 2 ? 'RequireDualStack' : 'SingleStack', ports: [port] };
  const out = [wrap('Service', ns, name, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec })];
  const slices = new Map<IPFamily, Record<string, unknown>[]>(families.map((f) => [f, []]));
  for (let p = 0; p < pods; p++) {
    const pod = `${name}-${p}`;
    const n = next();
    const ips = families.map((f) => ip(f, 244, n));
    const nodeName = `node-${n % 3}`;
    out.push(wrap('Pod', ns, pod, { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, namespace: ns, labels: { app: name } }, spec: { nodeName }, status: { podIP: ips[0], podIPs: ips.map((a) => ({ ip: a })) } }));
    families.forEach((f, k) => slices.get(f)?.push({ addresses: [ips[k]], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: ns, name: pod }, nodeName }));
  }
  for (const [family, endpoints] of slices) {
    const slice = `${name}-${family.toLowerCase()}`;
    const metadata = { name: slice, namespace: ns, labels: { 'kubernetes.io/service-name': name } };
    out.push(wrap('EndpointSlice', ns, slice, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata, addressType: family, endpoints, ports: [{ name: port.name, port: port.targetPort, protocol: 'TCP' }] }));
  }
  return out;
}

/** One client node per proxy mode: IPv4, IPv6, dual IPv4 first, dual IPv6 first. */
function clientNodes(): GeneratedNode[] {
  return CLIENT_MODES.map((families, k) => {
    const ips = families.map((f) => ip(f, 250, k + 1));
    const pod = `client-${k}`;
    return { id: `sidecar~${ips[0]}~${pod}.gen-clients~gen-clients.svc.cluster.local`, metadata: { INSTANCE_IPS: ips.join(','), NAMESPACE: 'gen-clients', NAME: pod } };
  });
}

/** The cluster of the given shape, always the same for the same shape. */
export function generatedCluster(shape: GeneratedShape): GeneratedCluster {
  const objects: SourceObject[] = [...NAMESPACES, 'gen-clients'].map((ns) => wrap('Namespace', '', ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
  for (let n = 0; n < 3; n++) {
    const labels = { 'topology.kubernetes.io/region': 'gen', 'topology.kubernetes.io/zone': `zone-${n}` };
    objects.push(wrap('Node', '', `node-${n}`, { apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${n}`, labels } }));
  }
  let count = 0;
  for (let i = 0; i < shape.services; i++) objects.push(...serviceObjects(i, shape.podsPerService, () => ++count));
  return { objects, nodes: clientNodes() };
}
