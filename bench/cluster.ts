// Synthetic clusters for the benchmarks: seeded and deterministic, generated as the Kubernetes objects a source would
// read, so every benchmark goes through the same stages as a real cluster. The same shape can be made single-stack.
import type { IPFamily, ObjectKind, SourceObject } from '../src/model/types.ts';

/** What to generate: S services with P pods each, N proxies per IP mode. */
export interface ClusterShape {
  readonly services: number;
  readonly podsPerService: number;
  readonly proxiesPerMode: number;
  /**
   * `dual`: a quarter each of dual IPv4-primary, dual IPv6-primary, single IPv4, single IPv6. The others are twins of
   * it with the same services, pods, ports and address numbers: `single` every service IPv4 only, `single6` every
   * service IPv6 only, `primary` every service with only the first family `dual` gives it.
   */
  readonly stack: Stack;
  readonly seed: number;
}

/** Which families the generated services and pods get (see ClusterShape.stack). */
export type Stack = 'dual' | 'single' | 'single6' | 'primary';

/** An xDS node as a proxy would send it (Istio's conventions). */
export interface SyntheticNode {
  readonly id: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly mode: 'IPv4' | 'IPv6' | 'Dual' | 'Dual6';
}

/** The generated cluster: objects for the model, nodes for the proxies. */
export interface SyntheticCluster {
  readonly objects: readonly SourceObject[];
  readonly nodes: readonly SyntheticNode[];
}

/** A small deterministic PRNG (mulberry32), so a seed always gives the same cluster. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMESPACES = ['bench-a', 'bench-b', 'bench-c', 'bench-d'];
const ZONES = ['zone-a', 'zone-b', 'zone-c'];

/** The generator's IPv4 address number `index` in 10.<base>.0.0/16. */
export function v4(base: number, index: number): string {
  return `10.${base}.${(index >> 8) & 255}.${index & 255}`;
}

/** The generator's IPv6 address number `index` under `prefix`. */
export function v6(prefix: string, index: number): string {
  return `${prefix}${(index >> 16).toString(16)}:${(index & 0xffff).toString(16)}`;
}

const DUAL_MIX: readonly (readonly IPFamily[])[] = [['IPv4', 'IPv6'], ['IPv6', 'IPv4'], ['IPv4'], ['IPv6']];

function families(stack: Stack, i: number): IPFamily[] {
  if (stack === 'single') return ['IPv4'];
  if (stack === 'single6') return ['IPv6'];
  const mix = [...(DUAL_MIX[i % 4] ?? ['IPv4'])];
  return stack === 'primary' ? mix.slice(0, 1) : mix;
}

function wrap(kind: ObjectKind, namespace: string, name: string, object: Record<string, unknown>): SourceObject {
  const ref = namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
  return { key: { kind, namespace, name }, object, origin: { source: 'generated', object: ref }, version: '1' };
}

function serviceObjects(shape: ClusterShape, i: number, random: () => number, podIndex: { next: number }): SourceObject[] {
  const ns = NAMESPACES[i % NAMESPACES.length] ?? 'bench-a';
  const name = `svc-${i}`;
  const fams = families(shape.stack, i);
  const http = random() < 0.7;
  const port = http ? { name: 'http-web', port: 80, targetPort: 8080, protocol: 'TCP' } : { name: 'tcp-db', port: 5432, targetPort: 5432, protocol: 'TCP' };
  const clusterIPs = fams.map((f) => (f === 'IPv4' ? v4(96, i + 1) : v6('fd00:10:96::', i + 1)));
  const out: SourceObject[] = [
    wrap('Service', ns, name, {
      apiVersion: 'v1', kind: 'Service',
      metadata: { name, namespace: ns, resourceVersion: '1' },
      spec: { selector: { app: name }, clusterIP: clusterIPs[0], clusterIPs, ipFamilies: fams,
        ipFamilyPolicy: fams.length === 2 ? 'RequireDualStack' : 'SingleStack', ports: [port] },
    }),
  ];
  const perFamily = new Map<IPFamily, Record<string, unknown>[]>(fams.map((f) => [f, []]));
  for (let p = 0; p < shape.podsPerService; p++) {
    const index = ++podIndex.next;
    const pod = `${name}-${p}`;
    const ips = fams.map((f) => (f === 'IPv4' ? v4(244, index) : v6('fd00:10:244::', index)));
    const nodeName = `node-${index % 9}`;
    out.push(wrap('Pod', ns, pod, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, namespace: ns, labels: { app: name }, resourceVersion: '1' },
      spec: { nodeName }, status: { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) },
    }));
    fams.forEach((f, k) => perFamily.get(f)?.push({ addresses: [ips[k]], conditions: { ready: true },
      targetRef: { kind: 'Pod', namespace: ns, name: pod }, nodeName }));
  }
  for (const [family, endpoints] of perFamily) {
    const slice = `${name}-${family.toLowerCase()}`;
    out.push(wrap('EndpointSlice', ns, slice, {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: slice, namespace: ns, labels: { 'kubernetes.io/service-name': name }, resourceVersion: '1' },
      addressType: family, endpoints, ports: [{ name: port.name, port: port.targetPort, protocol: 'TCP' }],
    }));
  }
  return out;
}

/** Proxies do not depend on the stack: every variant gets the same N nodes of each mode, so twins compare alike. */
function nodes(shape: ClusterShape): SyntheticNode[] {
  const modes: SyntheticNode['mode'][] = ['IPv4', 'IPv6', 'Dual', 'Dual6'];
  const out: SyntheticNode[] = [];
  for (const mode of modes) {
    for (let i = 0; i < shape.proxiesPerMode; i++) {
      const a = v4(250, out.length + 1);
      const b = v6('fd00:10:250::', out.length + 1);
      const ips = mode === 'IPv4' ? [a] : mode === 'IPv6' ? [b] : mode === 'Dual' ? [a, b] : [b, a];
      const pod = `client-${mode.toLowerCase()}-${i}`;
      out.push({ id: `sidecar~${ips[0]}~${pod}.bench-clients~bench-clients.svc.cluster.local`, mode,
        metadata: { INSTANCE_IPS: ips.join(','), NAMESPACE: 'bench-clients', NAME: pod } });
    }
  }
  return out;
}

/** Generates a cluster of the given shape. */
export function generateCluster(shape: ClusterShape): SyntheticCluster {
  const random = prng(shape.seed);
  const objects: SourceObject[] = [];
  for (const ns of [...NAMESPACES, 'bench-clients']) {
    objects.push(wrap('Namespace', '', ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
  }
  for (let n = 0; n < 9; n++) {
    const name = `node-${n}`;
    objects.push(wrap('Node', '', name, { apiVersion: 'v1', kind: 'Node', metadata: { name,
      labels: { 'topology.kubernetes.io/region': 'bench', 'topology.kubernetes.io/zone': ZONES[n % 3] } } }));
  }
  const podIndex = { next: 0 };
  for (let i = 0; i < shape.services; i++) objects.push(...serviceObjects(shape, i, random, podIndex));
  return { objects, nodes: nodes(shape) };
}
