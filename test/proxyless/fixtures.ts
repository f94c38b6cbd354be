// Hand-built mesh data for the proxyless generator's tests: plain objects in the shape of src/model/types.ts.
import { parseAddress } from '../../src/model/address.ts';
import type { Address, Endpoint, IPFamily, Locality, MeshModel, Pod, Proxy, Service, ServicePort } from '../../src/model/types.ts';

/** An Address from a literal, failing loudly on a typo. */
export function addr(text: string): Address {
  const a = parseAddress(text);
  if (!a) throw new Error(`fixture: ${text} is not an IP`);
  return a;
}

/** A Kubernetes Service with sensible defaults. */
export function service(namespace: string, name: string, vips: readonly string[], ports: readonly ServicePort[], extra: Partial<Service> = {}): Service {
  const addresses = vips.map(addr);
  return {
    kind: 'Service',
    hostname: `${name}.${namespace}.svc.cluster.local`,
    name,
    namespace,
    ports,
    vips: addresses,
    ipFamilies: [...new Set(addresses.map((a) => a.family))],
    ipFamilyPolicy: addresses.length > 1 ? 'PreferDualStack' : 'SingleStack',
    headless: false,
    resolution: 'STATIC',
    location: 'MESH_INTERNAL',
    forwarding: 'shared',
    selector: { app: name },
    labels: { app: name },
    annotations: {},
    origin: { source: 'generated', object: `Service/${namespace}/${name}` },
    ...extra,
  };
}

/** A ready endpoint of a pod (or of a bare address when `pod` is omitted). */
export function endpoint(
  hostname: string,
  ips: readonly string[],
  ports: readonly { name: string; port: number }[],
  options: { pod?: { namespace: string; name: string }; locality?: Locality; ready?: boolean } = {},
): Endpoint {
  const ready = options.ready ?? true;
  return {
    service: hostname,
    addresses: ips.map(addr),
    ports,
    ready,
    serving: ready,
    terminating: false,
    locality: options.locality ?? {},
    labels: {},
    ...(options.pod ? { pod: options.pod } : {}),
    origin: { source: 'generated' },
  };
}

/** A pod with its IPs in podIPs order. */
export function pod(namespace: string, name: string, ips: readonly string[], labels: Record<string, string>): Pod {
  return { namespace, name, ips: ips.map(addr), labels, annotations: {}, serviceAccount: 'default', locality: {}, origin: { source: 'generated' } };
}

/** A proxyless proxy with the given IPs (first = pod IP); mode and primary family follow from them. */
export function proxy(namespace: string, ips: readonly string[], extra: Partial<Proxy> = {}): Proxy {
  const addresses = ips.map(addr);
  const families = new Set<IPFamily>(addresses.map((a) => a.family));
  return {
    id: `proxyless~${ips[0] ?? ''}~${extra.pod ?? 'client'}.${namespace}~${namespace}.svc.cluster.local`,
    type: 'proxyless',
    namespace,
    ips: addresses,
    mode: families.size === 2 ? 'Dual' : (addresses[0]?.family ?? 'IPv4'),
    primaryFamily: addresses[0]?.family ?? 'IPv4',
    interception: 'REDIRECT',
    labels: {},
    locality: {},
    metadata: {},
    ...extra,
  };
}

export const GREETER = 'greeter.demo.svc.cluster.local';
export const GREETER_PORT: ServicePort = { name: 'grpc-greeter', port: 50051, protocol: 'GRPC', targetPort: 'grpc' };

/**
 * demo/greeter: dual-stack (IPv4 primary), target port named `grpc` = 50052 on the pods. greeter-0 lists IPv4 first,
 * greeter-1 IPv6 first; greeter-2 is not ready; a pod-less endpoint repeats greeter-0's IPv4 address.
 * other/v6only: IPv6 single-stack. shop/payments: ExternalName. other/udp: UDP only.
 */
export function meshModel(): MeshModel {
  const v6only = service('other', 'v6only', ['fd00:10:96::90'], [{ name: 'grpc', port: 8080, protocol: 'GRPC', targetPort: 9090 }]);
  const udp = service('other', 'udp', ['10.96.0.99'], [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }]);
  const payments = service('shop', 'payments', [], [{ name: 'grpc', port: 443, protocol: 'GRPC' }], {
    externalName: 'api.payments.example.com',
    resolution: 'DNS',
  });
  const greeter = service('demo', 'greeter', ['10.96.0.70', 'fd00:10:96::70'], [GREETER_PORT]);
  const ports = [{ name: 'grpc-greeter', port: 50052 }];
  const zoneA: Locality = { region: 'eu-west', zone: 'eu-west-a' };
  const zoneB: Locality = { region: 'eu-west', zone: 'eu-west-b' };
  return {
    services: [greeter, v6only, payments, udp].sort((a, b) => (a.hostname < b.hostname ? -1 : 1)),
    endpoints: [
      endpoint(GREETER, ['10.244.1.20', 'fd00:10:244:1::20'], ports, { pod: { namespace: 'demo', name: 'greeter-0' }, locality: zoneA }),
      endpoint(GREETER, ['fd00:10:244:3::20', '10.244.3.20'], ports, { pod: { namespace: 'demo', name: 'greeter-1' }, locality: zoneB }),
      endpoint(GREETER, ['10.244.2.20'], ports, { pod: { namespace: 'demo', name: 'greeter-2' }, locality: zoneB, ready: false }),
      endpoint(GREETER, ['10.244.1.20'], ports, { locality: zoneA }),
      endpoint(v6only.hostname, ['fd00:10:244:9::9'], [{ name: 'grpc', port: 9090 }]),
    ],
    pods: [
      pod('demo', 'greeter-0', ['10.244.1.20', 'fd00:10:244:1::20'], { app: 'greeter' }),
      pod('demo', 'greeter-1', ['fd00:10:244:3::20', '10.244.3.20'], { app: 'greeter' }),
    ],
    kubeClusterFamilies: ['IPv4', 'IPv6'],
    peerAuthentications: [],
  };
}

/** The dual-stack proxy of pod demo/greeter-0 (a server of greeter and a client of everything). */
export function greeterProxy(): Proxy {
  return proxy('demo', ['10.244.1.20', 'fd00:10:244:1::20'], { pod: 'greeter-0', labels: { app: 'greeter' } });
}
