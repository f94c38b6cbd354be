// EndpointSlices → endpoints. A dual-stack pod appears once per family slice; its entries are merged by targetRef into
// one endpoint whose addresses follow the pod's `podIPs` order. Entries without a Pod targetRef stay one per address.
import { parseAddress } from './address.ts';
import { SERVICE_NAME_LABEL, serviceHostname } from './names.ts';
import { locality } from './pods.ts';
import type { NodeInfo } from './pods.ts';
import { asArray, asRecord, asString, compareStrings, isPort, metadataOf, objectRef, problemAt } from './raw.ts';
import { stringMap } from './raw.ts';
import type { Raw } from './raw.ts';
import type { Address, Endpoint, EndpointPort, IPFamily, Origin, Pod, Problem } from './types.ts';
import type { Service, SourceObject } from './types.ts';

/** What endpoint building looks up: services by hostname, pods by `namespace/name`, nodes by name. */
export interface EndpointContext {
  readonly services: ReadonlyMap<string, Service>;
  readonly pods: ReadonlyMap<string, Pod>;
  readonly nodes: ReadonlyMap<string, NodeInfo>;
}

/** One usable entry of one slice: the first address of a slice endpoint, with what it says about it. */
interface SliceEntry {
  readonly service: Service;
  readonly address: Address;
  readonly ports: readonly EndpointPort[];
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly podKey?: string;
  readonly nodeName?: string;
  readonly zone?: string;
  readonly origin: Origin;
}

/** The endpoints of every Service from its IPv4 and IPv6 slices, merged per pod; FQDN slices are ignored. */
export function buildSliceEndpoints(
  slices: readonly SourceObject[],
  ctx: EndpointContext,
): { endpoints: Endpoint[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const entries = [...slices]
    .sort((a, b) => compareStrings(objectRef(a.key), objectRef(b.key)))
    .flatMap((slice) => sliceEntries(slice, ctx, problems));
  const endpoints = [...groupEntries(entries).values()].map((group) => mergeGroup(group, ctx, problems));
  return { endpoints, problems };
}

/** The entries of one slice, or none (with a warning) when its service is unknown or has no endpoints. */
function sliceEntries(slice: SourceObject, ctx: EndpointContext, problems: Problem[]): SliceEntry[] {
  const family = slice.object['addressType'];
  if (family !== 'IPv4' && family !== 'IPv6') return [];
  const base: Origin = { ...slice.origin, object: objectRef(slice.key) };
  const serviceName = stringMap(metadataOf(slice.object)['labels'])[SERVICE_NAME_LABEL];
  if (serviceName === undefined) return [];
  const service = ctx.services.get(serviceHostname(slice.key.namespace, serviceName));
  if (!service || service.externalName !== undefined) {
    const why = service ? 'is an ExternalName service, which has no endpoints' : 'is not known';
    const message = `service ${slice.key.namespace}/${serviceName} ${why}; slice ignored`;
    problems.push(problemAt(base, 'warning', `metadata.labels.${SERVICE_NAME_LABEL}`, message));
    return [];
  }
  const ports = slicePorts(slice.object);
  return asArray(slice.object['endpoints']).flatMap((value, i) => {
    const endpoint = asRecord(value);
    const address = parseAddress(asString(asArray(endpoint?.['addresses'])[0]) ?? '');
    if (!endpoint || !address || address.family !== family) return [];
    return [sliceEntry(endpoint, address, service, ports, slice.key.namespace, { ...base, field: `endpoints[${i}]` })];
  });
}

/** One slice endpoint with its conditions read per Kubernetes rules (absent ready = ready unless terminating). */
function sliceEntry(
  endpoint: Raw,
  address: Address,
  service: Service,
  ports: readonly EndpointPort[],
  namespace: string,
  origin: Origin,
): SliceEntry {
  const conditions = asRecord(endpoint['conditions']) ?? {};
  const terminating = conditions['terminating'] === true;
  const ready = typeof conditions['ready'] === 'boolean' ? conditions['ready'] : !terminating;
  const serving = typeof conditions['serving'] === 'boolean' ? conditions['serving'] : ready || terminating;
  const ref = asRecord(endpoint['targetRef']);
  const podName = ref?.['kind'] === 'Pod' ? asString(ref['name']) : undefined;
  const podKey = podName ? `${asString(ref?.['namespace']) || namespace}/${podName}` : undefined;
  const nodeName = asString(endpoint['nodeName']);
  const zone = asString(endpoint['zone']);
  return {
    service,
    address,
    ports,
    ready,
    serving,
    terminating,
    ...(podKey ? { podKey } : {}),
    ...(nodeName ? { nodeName } : {}),
    ...(zone ? { zone } : {}),
    origin,
  };
}

/** A slice's `ports` with a port number (a null port means "all ports" and names nothing to route to). */
function slicePorts(object: Raw): EndpointPort[] {
  return asArray(object['ports']).flatMap((value) => {
    const port = asRecord(value);
    return port && isPort(port['port']) ? [{ name: asString(port['name']) ?? '', port: port['port'] }] : [];
  });
}

/** Groups entries per service by pod (targetRef), or by IP when no pod names the address. */
function groupEntries(entries: readonly SliceEntry[]): Map<string, SliceEntry[]> {
  const podOfIP = new Map<string, string>();
  for (const e of entries) if (e.podKey) podOfIP.set(`${e.service.hostname}|${e.address.ip}`, e.podKey);
  const groups = new Map<string, SliceEntry[]>();
  for (const e of entries) {
    const podKey = e.podKey ?? podOfIP.get(`${e.service.hostname}|${e.address.ip}`);
    const key = `${e.service.hostname}|${podKey ? `pod:${podKey}` : `ip:${e.address.ip}`}`;
    const group = groups.get(key) ?? [];
    group.push(podKey && !e.podKey ? { ...e, podKey } : e);
    groups.set(key, group);
  }
  return groups;
}

/** One endpoint from the entries of one pod (or one address): addresses ordered, ports unioned, conditions joined. */
function mergeGroup(group: readonly SliceEntry[], ctx: EndpointContext, problems: Problem[]): Endpoint {
  const first = group[0] as SliceEntry;
  const podKey = group.find((e) => e.podKey)?.podKey;
  const pod = podKey ? ctx.pods.get(podKey) : undefined;
  if (podKey && !pod) {
    const message = `targetRef Pod ${podKey} is not known; endpoint built from the slice addresses`;
    problems.push(problemAt(first.origin, 'warning', `${first.origin.field ?? ''}.targetRef`, message));
  }
  const addresses = orderAddresses(group, pod, first.service.ipFamilies, problems);
  const nodeName = group.find((e) => e.nodeName)?.nodeName ?? pod?.nodeName;
  const node = nodeName ? ctx.nodes.get(nodeName) : undefined;
  const zone = group.find((e) => e.zone)?.zone;
  const [namespace = '', name = ''] = podKey ? splitKey(podKey) : [];
  return {
    service: first.service.hostname,
    addresses,
    ports: unionPorts(group),
    ready: group.every((e) => e.ready),
    serving: group.every((e) => e.serving),
    terminating: group.some((e) => e.terminating),
    locality: locality(node?.locality.region, node?.locality.zone ?? zone),
    labels: pod?.labels ?? {},
    ...(podKey ? { pod: { namespace, name } } : {}),
    origin: first.origin,
  };
}

/** Distinct addresses in `podIPs` order (unknown pod: the service's family order, IPv4 first when it has none). */
function orderAddresses(
  group: readonly SliceEntry[],
  pod: Pod | undefined,
  serviceFamilies: readonly IPFamily[],
  problems: Problem[],
): Address[] {
  const families: readonly IPFamily[] = [...serviceFamilies, 'IPv4', 'IPv6'];
  const rank = (a: Address): number => {
    const inPod = pod ? pod.ips.findIndex((p) => p.ip === a.ip) : -1;
    return inPod >= 0 ? inPod : 10 + families.indexOf(a.family);
  };
  const distinct = [...new Map(group.map((e) => [e.address.ip, e] as const)).values()];
  distinct.sort((a, b) => rank(a.address) - rank(b.address) || compareStrings(a.address.ip, b.address.ip));
  const out: Address[] = [];
  for (const entry of distinct) {
    const same = out.find((a) => a.family === entry.address.family);
    if (!same) {
      out.push(entry.address);
      continue;
    }
    const { family, ip } = entry.address;
    const message = `pod ${entry.podKey ?? ''} has a second ${family} address ${ip} (keeping ${same.ip})`;
    problems.push(problemAt(entry.origin, 'warning', entry.origin.field, message));
  }
  return out;
}

/** The union of the group's ports, deduplicated by (name, port) and sorted. */
function unionPorts(group: readonly SliceEntry[]): EndpointPort[] {
  const byKey = new Map<string, EndpointPort>();
  for (const e of group) for (const p of e.ports) byKey.set(`${p.name}|${p.port}`, p);
  return [...byKey.values()].sort((a, b) => compareStrings(a.name, b.name) || a.port - b.port);
}

/** `namespace/name` → [namespace, name]. */
function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}
