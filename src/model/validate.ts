// Consistency checks over a whole model, built or written by hand: every problem, each with the origin of the
// object it is about. `checkModel` also says which services and endpoints an error makes unservable, and
// `servableModel` leaves those out, so `serve` and `analyze` act on one validation. Nothing here throws.
import { problemAt } from './json-readers.ts';
import type { Address, Endpoint, MeshModel, Pod, Problem, Service } from './types.ts';

/** Every problem in a model, and the services and endpoints an error was found in (they must not be served). */
export interface ModelCheck {
  readonly problems: Problem[];
  readonly rejectedServices: ReadonlySet<Service>;
  readonly rejectedEndpoints: ReadonlySet<Endpoint>;
}

/** Every problem in a model: duplicates, family mismatches, VIPs shared between services, unusable endpoints. */
export function validate(model: MeshModel): Problem[] {
  return checkModel(model).problems;
}

/** `validate`, plus which services and endpoints carry an error (the later of two claiming a hostname or VIP). */
export function checkModel(model: MeshModel): ModelCheck {
  const problems: Problem[] = [];
  const rejectedServices = new Set<Service>();
  const rejectedEndpoints = new Set<Endpoint>();
  const hostnames = new Map<string, Service>();
  const vipOwners = new Map<string, Service>();
  const add = (found: readonly Problem[]): boolean => {
    problems.push(...found);
    return found.some((p) => p.severity === 'error');
  };
  for (const service of model.services) {
    const found: Problem[] = [];
    const earlier = hostnames.get(service.hostname);
    if (earlier) {
      const message = `hostname ${service.hostname} is also defined by ${earlier.origin.object ?? earlier.name}`;
      found.push(problemAt(service.origin, 'error', undefined, message));
    } else {
      hostnames.set(service.hostname, service);
    }
    for (const vip of service.vips) {
      const owner = vipOwners.get(vip.ip);
      if (owner && owner.hostname !== service.hostname && !sameEntry(owner, service)) {
        found.push(problemAt(service.origin, 'error', vipField(service), `VIP ${vip.ip} is also used by ${owner.hostname}`));
      }
      if (!owner) vipOwners.set(vip.ip, service);
    }
    found.push(...validateService(service));
    if (add(found)) rejectedServices.add(service);
  }
  for (const endpoint of model.endpoints) {
    if (add(validateEndpoint(endpoint, hostnames))) rejectedEndpoints.add(endpoint);
  }
  problems.push(...duplicateEndpointPorts(model.endpoints));
  for (const pod of model.pods) problems.push(...validatePod(pod));
  return { problems, rejectedServices, rejectedEndpoints };
}

/**
 * The model without the services and endpoints `check` rejected (and without the endpoints of a hostname no service
 * is left for); the same object when nothing was rejected, so an unchanged model stays identical.
 */
export function servableModel(model: MeshModel, check: ModelCheck): MeshModel {
  if (check.rejectedServices.size === 0 && check.rejectedEndpoints.size === 0) return model;
  const services = model.services.filter((s) => !check.rejectedServices.has(s));
  const kept = new Set(services.map((s) => s.hostname));
  const dropped = new Set([...check.rejectedServices].map((s) => s.hostname).filter((h) => !kept.has(h)));
  const endpoints = model.endpoints.filter((e) => !check.rejectedEndpoints.has(e) && !dropped.has(e.service));
  return { ...model, services, endpoints };
}

/** Whether two services are hosts of one ServiceEntry, which share its `addresses` by design. */
function sameEntry(a: Service, b: Service): boolean {
  return a.kind === 'ServiceEntry' && b.kind === 'ServiceEntry' && a.namespace === b.namespace && a.name === b.name;
}

/** The field VIPs come from, for problem origins. */
function vipField(service: Service): string {
  return service.kind === 'Service' ? 'spec.clusterIPs' : 'spec.addresses';
}

/** One service on its own: VIP families, policy, headless/ExternalName shape, ports. */
function validateService(service: Service): Problem[] {
  const problems: Problem[] = [];
  const error = (field: string | undefined, message: string): void => {
    problems.push(problemAt(service.origin, 'error', field, `${service.hostname}: ${message}`));
  };
  // Kubernetes allows one cluster IP per family; a ServiceEntry may list several addresses of one (one listener each).
  const twice = service.kind === 'Service' ? sameFamilyTwice(service.vips) : undefined;
  if (twice) error(vipField(service), `two ${twice} VIPs`);
  if ((service.headless || service.externalName !== undefined) && service.vips.length > 0) {
    error(vipField(service), `${service.headless ? 'a headless' : 'an ExternalName'} service has VIPs`);
  }
  if (service.kind === 'Service' && service.vips.length > 0) {
    service.vips.forEach((vip, i) => {
      const family = service.ipFamilies[i];
      if (family !== undefined && family !== vip.family) {
        error(`spec.clusterIPs[${i}]`, `VIP ${vip.ip} is ${vip.family} but spec.ipFamilies[${i}] is ${family}`);
      }
    });
    if (service.ipFamilies.length !== service.vips.length) {
      error('spec.ipFamilies', `${service.vips.length} VIPs but ${service.ipFamilies.length} ipFamilies`);
    }
  }
  if (service.ipFamilyPolicy === 'SingleStack' && service.ipFamilies.length > 1) {
    error('spec.ipFamilyPolicy', `SingleStack with ${service.ipFamilies.length} families`);
  }
  const seen = new Set<number>();
  service.ports.forEach((port, i) => {
    if (seen.has(port.port)) error(`spec.ports[${i}]`, `port ${port.port} is listed twice`);
    seen.add(port.port);
  });
  return problems;
}

/** One endpoint: a known service, something to connect to, at most one address per family. */
function validateEndpoint(endpoint: Endpoint, services: ReadonlyMap<string, Service>): Problem[] {
  const problems: Problem[] = [];
  if (!services.has(endpoint.service)) {
    problems.push(problemAt(endpoint.origin, 'warning', undefined, `endpoint of unknown service ${endpoint.service}`));
  }
  if (endpoint.addresses.length === 0 && !endpoint.hostname) {
    problems.push(problemAt(endpoint.origin, 'error', undefined, `endpoint of ${endpoint.service} has neither address nor hostname`));
  }
  const twice = sameFamilyTwice(endpoint.addresses);
  if (twice) {
    const list = endpoint.addresses.map((a) => a.ip).join(', ');
    problems.push(problemAt(endpoint.origin, 'error', undefined, `endpoint of ${endpoint.service} has two ${twice} addresses (${list})`));
  }
  return problems;
}

/** (ip, port) pairs that appear in two endpoints of the same service: xDS clients reject such assignments. */
function duplicateEndpointPorts(endpoints: readonly Endpoint[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const endpoint of endpoints) {
    const pairs = new Set(endpoint.addresses.flatMap((a) => endpoint.ports.map((p) => `${a.ip}|${p.port}`)));
    for (const pair of [...pairs].sort()) {
      const key = `${endpoint.service}|${pair}`;
      if (!seen.has(key)) {
        seen.add(key);
        continue;
      }
      const [ip, port] = pair.split('|');
      problems.push(problemAt(endpoint.origin, 'warning', undefined, `${endpoint.service}: ${ip} port ${port} appears in two endpoints`));
    }
  }
  return problems;
}

/** One pod: at most one IP per family (`status.podIPs`). */
function validatePod(pod: Pod): Problem[] {
  const twice = sameFamilyTwice(pod.ips);
  if (!twice) return [];
  return [problemAt(pod.origin, 'error', 'status.podIPs', `pod ${pod.namespace}/${pod.name} has two ${twice} IPs`)];
}

/** The family that appears twice in a list of addresses, if any. */
function sameFamilyTwice(addresses: readonly Address[]): Address['family'] | undefined {
  const seen = new Set<Address['family']>();
  for (const address of addresses) {
    if (seen.has(address.family)) return address.family;
    seen.add(address.family);
  }
  return undefined;
}
