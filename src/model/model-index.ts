// Lookups over a built model, computed once per model so generators never scan lists: services by hostname and by
// namespace/name, endpoints by service and by service port (target ports resolved), VIPs by family, pods by name.
import type { Address, Endpoint, IPFamily, MeshModel, Pod, Service, ServicePort } from './types.ts';

/** An endpoint of one service port, with the port the endpoint serves it on (the resolved target port). */
export interface PortEndpoint {
  readonly endpoint: Endpoint;
  readonly port: number;
}

/** A VIP with the service that owns it. */
export interface ServiceVip {
  readonly address: Address;
  readonly service: Service;
}

/** Read-only lookup tables over one MeshModel; map keys are spelled by `nameKey` and `servicePortKey`. */
export interface ModelIndex {
  readonly model: MeshModel;
  /** First service per hostname (duplicates are a `validate` problem). */
  readonly servicesByHostname: ReadonlyMap<string, Service>;
  /** Services per `namespace/name`: one for a Kubernetes Service, one per host for a ServiceEntry. */
  readonly servicesByName: ReadonlyMap<string, readonly Service[]>;
  /** Endpoints per service hostname, in model order. */
  readonly endpointsByService: ReadonlyMap<string, readonly Endpoint[]>;
  /** Endpoints per `hostname|port` (the service port), with the target port each serves it on. */
  readonly endpointsByServicePort: ReadonlyMap<string, readonly PortEndpoint[]>;
  /** Every VIP of one family, services in model order. */
  readonly vipsByFamily: ReadonlyMap<IPFamily, readonly ServiceVip[]>;
  /** Pods per `namespace/name`. */
  readonly podsByName: ReadonlyMap<string, Pod>;
}

/** `namespace/name`: the key of `servicesByName` and `podsByName`. */
export function nameKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** `hostname|port`: the key of `endpointsByServicePort`. */
export function servicePortKey(hostname: string, port: number): string {
  return `${hostname}|${port}`;
}

/** Builds every lookup table of a model. */
export function indexModel(model: MeshModel): ModelIndex {
  const servicesByHostname = new Map<string, Service>();
  const servicesByName = new Map<string, Service[]>();
  const vipsByFamily = new Map<IPFamily, ServiceVip[]>([
    ['IPv4', []],
    ['IPv6', []],
  ]);
  for (const service of model.services) {
    if (!servicesByHostname.has(service.hostname)) servicesByHostname.set(service.hostname, service);
    push(servicesByName, nameKey(service.namespace, service.name), service);
    for (const address of service.vips) vipsByFamily.get(address.family)?.push({ address, service });
  }
  const endpointsByService = new Map<string, Endpoint[]>();
  for (const endpoint of model.endpoints) push(endpointsByService, endpoint.service, endpoint);
  const endpointsByServicePort = new Map<string, PortEndpoint[]>();
  for (const service of servicesByHostname.values()) {
    const endpoints = endpointsByService.get(service.hostname) ?? [];
    for (const servicePort of service.ports) {
      const list = endpoints.flatMap((endpoint) => {
        const port = targetPortOf(service, servicePort, endpoint);
        return port === undefined ? [] : [{ endpoint, port }];
      });
      endpointsByServicePort.set(servicePortKey(service.hostname, servicePort.port), list);
    }
  }
  const podsByName = new Map(model.pods.map((p) => [nameKey(p.namespace, p.name), p] as const));
  return { model, servicesByHostname, servicesByName, endpointsByService, endpointsByServicePort, vipsByFamily, podsByName };
}

/**
 * The port `endpoint` serves `servicePort` on: the endpoint port with the service port's name (EndpointSlices name
 * their ports after the service ports, numbers already resolved). An endpoint that lists no ports falls back to a
 * numeric target port (ServiceEntry: the port itself); one that lists other ports does not serve this one.
 */
export function targetPortOf(service: Service, servicePort: ServicePort, endpoint: Endpoint): number | undefined {
  const named = endpoint.ports.find((p) => p.name === servicePort.name);
  if (named) return named.port;
  if (endpoint.ports.length > 0) return undefined;
  if (typeof servicePort.targetPort === 'number') return servicePort.targetPort;
  return service.kind === 'ServiceEntry' || servicePort.targetPort === undefined ? servicePort.port : undefined;
}

/** Appends to the list at `key`, creating it. */
function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
