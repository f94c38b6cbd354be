// Hand-built mesh objects for unit and behaviour tests: plain data, as src/model/types.ts defines it.
import { ipModeOf, parseAddress } from '../../src/model/address.ts';
import type { Address, Endpoint, MeshModel, Pod, Proxy, Service, ServicePort } from '../../src/model/types.ts';

/** Parses IP literals, failing loudly on a typo in a test. */
export function ips(...texts: string[]): Address[] {
  return texts.map((t) => {
    const a = parseAddress(t);
    if (!a) throw new Error(`bad IP in test: ${t}`);
    return a;
  });
}

/** A Kubernetes Service with VIPs (empty list = headless unless `externalName`). */
export function service(name: string, namespace: string, vips: string[], ports: ServicePort[], extra: Partial<Service> = {}): Service {
  const addresses = ips(...vips);
  return {
    kind: 'Service',
    hostname: `${name}.${namespace}.svc.cluster.local`,
    name,
    namespace,
    ports,
    vips: addresses,
    ipFamilies: addresses.map((a) => a.family),
    ipFamilyPolicy: addresses.length > 1 ? 'RequireDualStack' : 'SingleStack',
    headless: addresses.length === 0 && extra.externalName === undefined,
    resolution: 'STATIC',
    location: 'MESH_INTERNAL',
    forwarding: 'shared',
    selector: { app: name },
    labels: {},
    annotations: {},
    origin: { source: 'generated' },
    ...extra,
  };
}

/** A service port. */
export function port(name: string, number: number, protocol: ServicePort['protocol'], targetPort?: number | string): ServicePort {
  return { name, port: number, protocol, ...(targetPort !== undefined ? { targetPort } : {}) };
}

/** A ready pod endpoint of `svc` with the pod's IPs in podIPs order. */
export function endpoint(svc: Service, podName: string, podIPs: string[], ports: { name: string; port: number }[], extra: Partial<Endpoint> = {}): Endpoint {
  return {
    service: svc.hostname,
    addresses: ips(...podIPs),
    ports,
    ready: true,
    serving: true,
    terminating: false,
    locality: { region: 'r1', zone: 'z1' },
    labels: { app: svc.name },
    pod: { namespace: svc.namespace, name: podName },
    origin: { source: 'generated' },
    ...extra,
  };
}

/** A pod. */
export function pod(name: string, namespace: string, podIPs: string[], labels: Record<string, string>): Pod {
  return { name, namespace, ips: ips(...podIPs), labels, annotations: {}, serviceAccount: 'default', locality: {}, origin: { source: 'generated' } };
}

/** A sidecar proxy for a pod; mode and primary family follow its IPs. */
export function proxyFor(p: Pod): Proxy {
  const first = p.ips[0];
  if (!first) throw new Error('pod without IPs');
  return {
    id: `sidecar~${first.ip}~${p.name}.${p.namespace}~${p.namespace}.svc.cluster.local`,
    type: 'sidecar',
    namespace: p.namespace,
    pod: p.name,
    ips: p.ips,
    mode: ipModeOf(p.ips),
    primaryFamily: first.family,
    interception: 'REDIRECT',
    labels: p.labels,
    locality: {},
    metadata: {},
  };
}

/** A model from parts. */
export function model(services: Service[], endpoints: Endpoint[], pods: Pod[]): MeshModel {
  return { services, endpoints, pods, kubeClusterFamilies: ['IPv4', 'IPv6'], peerAuthentications: [] };
}

/** Client pods of every IP mode, in namespace `client`. */
export const clients = {
  v4: pod('v4', 'client', ['10.244.1.5'], { app: 'v4' }),
  v6: pod('v6', 'client', ['fd00:10:244:1::5'], { app: 'v6' }),
  dual4: pod('dual4', 'client', ['10.244.1.6', 'fd00:10:244:1::6'], { app: 'dual4' }),
  dual6: pod('dual6', 'client', ['fd00:10:244:1::7', '10.244.1.7'], { app: 'dual6' }),
} as const;
