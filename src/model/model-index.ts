// Lookups over a built model, computed once per model so generators never scan lists: services by hostname and by
// namespace/name, endpoints by service and by service port (target ports resolved), VIPs by family, pods by name.
import { compareStrings } from '../compare-strings.ts';
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
  const services = serviceTables(model.services);
  const endpointsByService = new Map<string, Endpoint[]>();
  for (const endpoint of model.endpoints) push(endpointsByService, endpoint.service, endpoint);
  const endpointsByServicePort = new Map<string, PortEndpoint[]>();
  for (const service of services.servicesByHostname.values()) {
    const endpoints = endpointsByService.get(service.hostname) ?? [];
    for (const servicePort of service.ports) {
      endpointsByServicePort.set(servicePortKey(service.hostname, servicePort.port), portEndpoints(service, servicePort, endpoints));
    }
  }
  const { servicesByHostname, servicesByName, vipsByFamily } = services;
  const podsByName = podTable(model.pods);
  return { model, servicesByHostname, servicesByName, endpointsByService, endpointsByServicePort, vipsByFamily, podsByName };
}

/**
 * The index of `model` from `previous`, the index of the model before it, redoing only what `changed` names.
 * `changed` must hold every hostname whose services or endpoints differ between the two models (a ModelBuilder's
 * `changedServices`); 'all' or no previous index builds everything. Equal to `indexModel(model)`.
 */
export function reindexModel(model: MeshModel, previous: ModelIndex | undefined, changed: ReadonlySet<string> | 'all'): ModelIndex {
  if (!previous || changed === 'all') return indexModel(model);
  if (previous.model === model) return previous;
  const sameServices = model.services === previous.model.services;
  const services = sameServices ? previous : serviceTables(model.services);
  const sameEndpoints = model.endpoints === previous.model.endpoints;
  const endpointsByService = sameEndpoints ? previous.endpointsByService : endpointTable(model.endpoints, previous, changed);
  const endpointsByServicePort = new Map<string, readonly PortEndpoint[]>();
  for (const service of services.servicesByHostname.values()) {
    const endpoints = endpointsByService.get(service.hostname) ?? [];
    const reuse = !changed.has(service.hostname) && previous.servicesByHostname.get(service.hostname) === service;
    for (const servicePort of service.ports) {
      const key = servicePortKey(service.hostname, servicePort.port);
      endpointsByServicePort.set(key, (reuse ? previous.endpointsByServicePort.get(key) : undefined) ?? portEndpoints(service, servicePort, endpoints));
    }
  }
  const podsByName = model.pods === previous.model.pods ? previous.podsByName : podTable(model.pods);
  const { servicesByHostname, servicesByName, vipsByFamily } = services;
  return { model, servicesByHostname, servicesByName, endpointsByService, endpointsByServicePort, vipsByFamily, podsByName };
}

/** Pods per `namespace/name` (the last of equal names, as in model order). */
function podTable(pods: readonly Pod[]): Map<string, Pod> {
  const out = new Map<string, Pod>();
  for (const pod of pods) out.set(nameKey(pod.namespace, pod.name), pod);
  return out;
}

/** The service lookups of an index. */
function serviceTables(list: readonly Service[]): Pick<ModelIndex, 'servicesByHostname' | 'servicesByName' | 'vipsByFamily'> {
  const servicesByHostname = new Map<string, Service>();
  const servicesByName = new Map<string, Service[]>();
  const vipsByFamily = new Map<IPFamily, ServiceVip[]>([
    ['IPv4', []],
    ['IPv6', []],
  ]);
  for (const service of list) {
    if (!servicesByHostname.has(service.hostname)) servicesByHostname.set(service.hostname, service);
    push(servicesByName, nameKey(service.namespace, service.name), service);
    for (const address of service.vips) vipsByFamily.get(address.family)?.push({ address, service });
  }
  return { servicesByHostname, servicesByName, vipsByFamily };
}

/** The endpoints of one service port, with the target port each serves it on. */
function portEndpoints(service: Service, servicePort: ServicePort, endpoints: readonly Endpoint[]): PortEndpoint[] {
  return endpoints.flatMap((endpoint) => {
    const port = targetPortOf(service, servicePort, endpoint);
    return port === undefined ? [] : [{ endpoint, port }];
  });
}

/** Endpoints per hostname: the previous lists, and for changed hostnames their run of the (sorted) endpoint list. */
function endpointTable(
  endpoints: readonly Endpoint[],
  previous: ModelIndex,
  changed: ReadonlySet<string>,
): Map<string, readonly Endpoint[]> {
  const hosts = [...new Set([...previous.endpointsByService.keys(), ...changed])].sort(compareStrings);
  const out = new Map<string, readonly Endpoint[]>();
  for (const host of hosts) {
    const list = changed.has(host) ? endpoints.slice(firstAtOrAfter(endpoints, host, false), firstAtOrAfter(endpoints, host, true)) : previous.endpointsByService.get(host);
    if (list && list.length > 0) out.set(host, list);
  }
  return out;
}

/** Index of the first endpoint whose service sorts at or after `host` (strictly after when `after`). */
function firstAtOrAfter(endpoints: readonly Endpoint[], host: string, after: boolean): number {
  let lo = 0;
  let hi = endpoints.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const order = compareStrings((endpoints[mid] as Endpoint).service, host);
    if (order < 0 || (after && order === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
