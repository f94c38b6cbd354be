// Istio ServiceEntry → one model Service per host, with its endpoints, and VIPs: the explicit `addresses` (either
// family, single-host CIDRs only) or auto-allocated ones (see vip-alloc.ts).
import { parseAddress } from './address.ts';
import { isHostPrefix, parsePrefix } from './cidr.ts';
import { AUTO_ALLOCATE_ANNOTATION } from './names.ts';
import { locality } from './pods.ts';
import { portProtocol } from './ports.ts';
import { asArray, asRecord, asString, isPort, metadataOf, objectRef, problemAt, specOf, stringMap } from './json-readers.ts';
import type { Raw } from './json-readers.ts';
import { allocateVips, parseAutoAllocate } from './vip-alloc.ts';
import type { VipClaim } from './vip-alloc.ts';
import type { Address, Endpoint, Origin, Problem, Resolution, Service, ServicePort, SourceObject } from './types.ts';

/** One ServiceEntry read once: what every host of it shares. */
interface EntryInfo {
  readonly source: SourceObject;
  readonly spec: Raw;
  readonly hosts: readonly string[];
  readonly ports: readonly ServicePort[];
  readonly addresses: readonly Address[];
  readonly resolution: Resolution;
  readonly origin: Origin;
}

/** Services and endpoints of every ServiceEntry, VIPs allocated for hosts without explicit addresses. */
export function buildServiceEntries(entries: readonly SourceObject[]): {
  services: Service[];
  endpoints: Endpoint[];
  problems: Problem[];
} {
  const problems: Problem[] = [];
  const infos = entries.map((source) => readEntry(source, problems));
  const allocation = allocateVips(
    infos.flatMap(claimsOf),
    infos.flatMap((i) => i.addresses),
  );
  problems.push(...allocation.problems);
  const services: Service[] = [];
  const endpoints: Endpoint[] = [];
  for (const info of infos) {
    for (const host of info.hosts) {
      const auto = info.addresses.length === 0;
      const vips = auto ? (allocation.vips.get(claimKey(info, host)) ?? []) : info.addresses;
      services.push(entryService(info, host, vips, auto && vips.length > 0));
      endpoints.push(...entryEndpoints(info, host, problems));
    }
  }
  return { services, endpoints, problems };
}

/** Reads the parts of a (checked) ServiceEntry shared by its hosts; CIDRs wider than one host are skipped. */
function readEntry(source: SourceObject, problems: Problem[]): EntryInfo {
  const spec = specOf(source.object);
  const origin: Origin = { ...source.origin, object: objectRef(source.key) };
  const addresses: Address[] = [];
  asArray(spec['addresses']).forEach((text, i) => {
    const prefix = parsePrefix(asString(text) ?? '');
    if (!prefix) return;
    if (isHostPrefix(prefix)) addresses.push(prefix.address);
    else {
      const message = `CIDR ${String(text)} is not a single host; biplane gives it no VIP`;
      problems.push(problemAt(origin, 'warning', `spec.addresses[${i}]`, message));
    }
  });
  const resolution = asString(spec['resolution']);
  return {
    source,
    spec,
    hosts: asArray(spec['hosts']).filter((h): h is string => typeof h === 'string' && h !== ''),
    ports: asArray(spec['ports']).flatMap(entryPort),
    addresses,
    resolution: resolution === 'STATIC' ? 'STATIC' : resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN' ? 'DNS' : 'NONE',
    origin,
  };
}

/** One `spec.ports` entry as a service port. */
function entryPort(value: unknown): ServicePort[] {
  const port = asRecord(value);
  if (!port || !isPort(port['number'])) return [];
  const name = asString(port['name']) ?? '';
  const targetPort = isPort(port['targetPort']) ? { targetPort: port['targetPort'] } : {};
  return [{ name, port: port['number'], protocol: portProtocol(asString(port['protocol']), name, undefined), ...targetPort }];
}

/** `namespace/host`: the allocation key of one host of one ServiceEntry. */
function claimKey(info: EntryInfo, host: string): string {
  return `${info.source.key.namespace}/${host}`;
}

/** VIP claims of an entry: every non-wildcard host, when it lists no addresses and resolves (STATIC or DNS). */
function claimsOf(info: EntryInfo): VipClaim[] {
  if (info.addresses.length > 0 || info.resolution === 'NONE') return [];
  const metadata = metadataOf(info.source.object);
  const optOut = stringMap(metadata['annotations'])[AUTO_ALLOCATE_ANNOTATION];
  const families = optOut === undefined ? (['IPv4', 'IPv6'] as const) : (parseAutoAllocate(optOut) ?? []);
  if (families.length === 0) return [];
  const created = asString(metadata['creationTimestamp']);
  return info.hosts
    .filter((host) => !host.startsWith('*'))
    .map((host) => ({
      key: claimKey(info, host),
      host,
      namespace: info.source.key.namespace,
      families,
      ...(created ? { created } : {}),
      origin: info.origin,
    }));
}

/** The model Service of one host. */
function entryService(info: EntryInfo, host: string, vips: readonly Address[], autoAllocated: boolean): Service {
  const metadata = metadataOf(info.source.object);
  const families = [...new Set(vips.map((v) => v.family))];
  return {
    kind: 'ServiceEntry',
    hostname: host,
    name: info.source.key.name,
    namespace: info.source.key.namespace,
    ports: info.ports,
    vips,
    ...(autoAllocated ? { autoAllocated: true } : {}),
    ipFamilies: families,
    ipFamilyPolicy: families.length > 1 ? 'RequireDualStack' : 'SingleStack',
    headless: false,
    resolution: info.resolution,
    location: info.spec['location'] === 'MESH_INTERNAL' ? 'MESH_INTERNAL' : 'MESH_EXTERNAL',
    forwarding: 'shared',
    labels: stringMap(metadata['labels']),
    annotations: stringMap(metadata['annotations']),
    origin: info.origin,
  };
}

/** Endpoints of one host: one per `spec.endpoints` entry; a DNS entry without endpoints resolves the host itself. */
function entryEndpoints(info: EntryInfo, host: string, problems: Problem[]): Endpoint[] {
  const list = asArray(info.spec['endpoints']);
  if (list.length === 0) {
    if (info.resolution !== 'DNS') return [];
    const ports = info.ports.map((p) => ({
      name: p.name,
      port: typeof p.targetPort === 'number' ? p.targetPort : p.port,
    }));
    return [endpointOf(host, { hostname: host }, ports, {}, {}, { ...info.origin, field: 'spec.hosts' })];
  }
  return list.flatMap((value, i) => {
    const entry = asRecord(value);
    const text = asString(entry?.['address']) ?? '';
    const origin: Origin = { ...info.origin, field: `spec.endpoints[${i}]` };
    if (!entry || text === '') return [];
    if (text.startsWith('unix://')) {
      const message = `unix domain socket ${text} is not supported; skipped`;
      problems.push(problemAt(origin, 'warning', `spec.endpoints[${i}].address`, message));
      return [];
    }
    const address = parseAddress(text);
    const ports = info.ports.map((p) => ({ name: p.name, port: entryPortNumber(entry, p) }));
    const where = address ? { address } : { hostname: text };
    const [region, zone, subzone] = (asString(entry['locality']) ?? '').split('/');
    return [endpointOf(host, where, ports, stringMap(entry['labels']), locality(region, zone, subzone), origin)];
  });
}

/** The port an endpoint serves a service port on: its `ports` map by name, else the target port, else the port. */
function entryPortNumber(entry: Raw, port: ServicePort): number {
  const mapped = asRecord(entry['ports'])?.[port.name];
  if (isPort(mapped)) return mapped;
  return typeof port.targetPort === 'number' ? port.targetPort : port.port;
}

/** A ready ServiceEntry endpoint at an address or a hostname. */
function endpointOf(
  service: string,
  where: { readonly address: Address } | { readonly hostname: string },
  ports: Endpoint['ports'],
  labels: Endpoint['labels'],
  place: Endpoint['locality'],
  origin: Origin,
): Endpoint {
  return {
    service,
    addresses: 'address' in where ? [where.address] : [],
    ports,
    ready: true,
    serving: true,
    terminating: false,
    locality: place,
    labels,
    ...('hostname' in where ? { hostname: where.hostname } : {}),
    origin,
  };
}
