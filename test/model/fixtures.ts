// Builders of Kubernetes-shaped objects for model tests: plain JS objects, as a source would read them.
import type { ObjectKey, ObjectKind, SourceObject } from '../../src/model/index.ts';

type Json = Record<string, unknown>;

/** Wraps a raw object as a SourceObject keyed from its own kind, namespace and name. */
export function source(object: Json, file = 'test.yaml'): SourceObject {
  const metadata = object['metadata'] as Json;
  const kind = object['kind'] as ObjectKind;
  const clusterScoped = kind === 'Node' || kind === 'Namespace';
  const key: ObjectKey = {
    kind,
    namespace: clusterScoped ? '' : ((metadata['namespace'] as string | undefined) ?? 'default'),
    name: metadata['name'] as string,
  };
  return { key, object, origin: { source: 'files', file, line: 1 }, version: '1' };
}

/** A Service with the given spec (merged over `type: ClusterIP`). */
export function service(namespace: string, name: string, spec: Json, metadata: Json = {}): SourceObject {
  return source({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, ...metadata },
    spec: { type: 'ClusterIP', ...spec },
  });
}

/** A dual-stack IPv4-primary ClusterIP Service `name` with one HTTP port 80 → 8080 and a selector. */
export function dualService(namespace: string, name: string, ips: readonly string[], families?: readonly string[]): SourceObject {
  return service(namespace, name, {
    clusterIP: ips[0],
    clusterIPs: ips,
    ipFamilies: families ?? ips.map((ip) => (ip.includes(':') ? 'IPv6' : 'IPv4')),
    ipFamilyPolicy: ips.length > 1 ? 'RequireDualStack' : 'SingleStack',
    selector: { app: name },
    ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
  });
}

/** One entry of an EndpointSlice's `endpoints`. */
export function ep(ip: string, options: { pod?: string; node?: string; zone?: string; conditions?: Json } = {}): Json {
  return {
    addresses: [ip],
    ...(options.conditions ? { conditions: options.conditions } : { conditions: { ready: true } }),
    ...(options.pod ? { targetRef: { kind: 'Pod', name: options.pod } } : {}),
    ...(options.node ? { nodeName: options.node } : {}),
    ...(options.zone ? { zone: options.zone } : {}),
  };
}

/** An EndpointSlice of `serviceName` with port `http` 8080 (unless `ports` is given). */
export function slice(
  namespace: string,
  name: string,
  serviceName: string,
  addressType: string,
  endpoints: readonly Json[],
  ports: readonly Json[] = [{ name: 'http', port: 8080, protocol: 'TCP' }],
): SourceObject {
  return source({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { 'kubernetes.io/service-name': serviceName } },
    addressType,
    endpoints,
    ports,
  });
}

/** A running Pod with `podIPs` in the given order (podIP = the first), on `node` when given. */
export function pod(namespace: string, name: string, ips: readonly string[], options: { node?: string; labels?: Json } = {}): SourceObject {
  return source({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: options.labels ?? { app: name } },
    spec: options.node ? { nodeName: options.node } : {},
    status: { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) },
  });
}

/** A Node with topology labels and InternalIP addresses. */
export function node(name: string, region: string, zone: string, ips: readonly string[] = []): SourceObject {
  return source({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'topology.kubernetes.io/region': region, 'topology.kubernetes.io/zone': zone } },
    status: { addresses: ips.map((address) => ({ type: 'InternalIP', address })) },
  });
}

/** A ServiceEntry (networking.istio.io/v1) with the given spec and metadata extras. */
export function serviceEntry(namespace: string, name: string, spec: Json, metadata: Json = {}): SourceObject {
  return source({
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace, ...metadata },
    spec,
  });
}
