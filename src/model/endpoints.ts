// EndpointSlices → endpoints. A dual-stack pod appears once per family slice; its entries are merged by targetRef into
// one endpoint whose addresses follow the pod's `podIPs` order. Entries without a Pod targetRef stay one per address.
// Slices are read one by one (`readSlice`, independent of every other object) and merged per service hostname
// (`hostEndpoints`), so a rebuild can redo only the services whose slices, service, pods or nodes changed.
import { parseAddress } from './address.ts';
import { SERVICE_NAME_LABEL, serviceHostname } from './names.ts';
import { locality } from './pods.ts';
import type { NodeInfo } from './pods.ts';
import { asArray, asRecord, asString, isPort, metadataOf, objectRef, problemAt } from './json-readers.ts';
import { compareStrings } from '../compare-strings.ts';
import { stringMap } from './json-readers.ts';
import type { Raw } from './json-readers.ts';
import type { Address, Endpoint, EndpointPort, IPFamily, Origin, Pod, Problem } from './types.ts';
import type { Service, SourceObject } from './types.ts';

/** What endpoint merging looks up: pods by `namespace/name`, nodes by name (a builder records what was asked). */
export interface EndpointLookups {
  pod(key: string): Pod | undefined;
  node(name: string): NodeInfo | undefined;
}

/** One usable entry of one slice: the first address of a slice endpoint, with what it says about it. */
interface SliceEntry {
  readonly address: Address;
  readonly ports: readonly EndpointPort[];
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly podKey?: string;
  readonly nodeName?: string;
  readonly zone?: string;
  readonly origin: Origin;
  /** Index in the slice's `endpoints`: with the slice's place, the entry's place in the global order. */
  readonly index: number;
}

/** An EndpointSlice read on its own. `hostname` is absent for slices that never count (FQDN, no service label). */
export interface SliceInfo {
  readonly ref: string;
  readonly hostname?: string;
  readonly serviceName: string;
  readonly namespace: string;
  readonly origin: Origin;
  readonly entries: readonly SliceEntry[];
}

/** A slice of one service with its place among slices: sorted by `ref`, then `dup` (input order of equal refs). */
export interface HostSlice {
  readonly info: SliceInfo;
  readonly dup: number;
}

/** A problem with its place in the global order of slice problems: slice ref, dup, then endpoint index. */
export interface OrderedProblem {
  readonly ref: string;
  readonly dup: number;
  readonly index: number;
  readonly problem: Problem;
}

/** The endpoints of one service from its slices, with the problems met: per slice (service unusable) and per merge. */
export interface HostEndpoints {
  readonly endpoints: readonly Endpoint[];
  readonly sliceProblems: readonly OrderedProblem[];
  readonly mergeProblems: readonly OrderedProblem[];
}

/** Orders problems as the slices and entries they came from are ordered. */
export function compareOrdered(a: OrderedProblem, b: OrderedProblem): number {
  return compareStrings(a.ref, b.ref) || a.dup - b.dup || a.index - b.index;
}

/** Reads one (checked) EndpointSlice: its service hostname and usable entries (IPv4 and IPv6 slices only). */
export function readSlice(slice: SourceObject): SliceInfo {
  const ref = objectRef(slice.key);
  const family = slice.object['addressType'];
  const origin: Origin = { ...slice.origin, object: ref };
  const serviceName = stringMap(metadataOf(slice.object)['labels'])[SERVICE_NAME_LABEL];
  const namespace = slice.key.namespace;
  if ((family !== 'IPv4' && family !== 'IPv6') || serviceName === undefined) {
    return { ref, serviceName: serviceName ?? '', namespace, origin, entries: [] };
  }
  const ports = slicePorts(slice.object);
  const entries = asArray(slice.object['endpoints']).flatMap((value, i) => {
    const endpoint = asRecord(value);
    const address = parseAddress(asString(asArray(endpoint?.['addresses'])[0]) ?? '');
    if (!endpoint || !address || address.family !== family) return [];
    return [sliceEntry(endpoint, address, ports, namespace, { ...origin, field: `endpoints[${i}]` }, i)];
  });
  return { ref, hostname: serviceHostname(namespace, serviceName), serviceName, namespace, origin, entries };
}

/**
 * The endpoints of the service at one hostname from its slices (sorted by `HostSlice` order): none, with a warning
 * per slice, when the service is unknown or ExternalName; else the entries grouped per pod (or IP) and merged.
 */
export function hostEndpoints(
  service: Service | undefined,
  slices: readonly HostSlice[],
  lookups: EndpointLookups,
): HostEndpoints {
  if (!service || service.externalName !== undefined) {
    const why = service ? 'is an ExternalName service, which has no endpoints' : 'is not known';
    const sliceProblems = slices.map(({ info, dup }) => {
      const message = `service ${info.namespace}/${info.serviceName} ${why}; slice ignored`;
      const problem = problemAt(info.origin, 'warning', `metadata.labels.${SERVICE_NAME_LABEL}`, message);
      return { ref: info.ref, dup, index: -1, problem };
    });
    return { endpoints: [], sliceProblems, mergeProblems: [] };
  }
  const mergeProblems: OrderedProblem[] = [];
  const endpoints: Endpoint[] = [];
  for (const group of groupEntries(slices)) {
    const problems: Problem[] = [];
    endpoints.push(mergeGroup(group.entries, service, lookups, problems));
    for (const problem of problems) mergeProblems.push({ ref: group.ref, dup: group.dup, index: group.index, problem });
  }
  return { endpoints, sliceProblems: [], mergeProblems };
}

/** One slice endpoint with its conditions read per Kubernetes rules (absent ready = ready unless terminating). */
function sliceEntry(
  endpoint: Raw,
  address: Address,
  ports: readonly EndpointPort[],
  namespace: string,
  origin: Origin,
  index: number,
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
    address,
    ports,
    ready,
    serving,
    terminating,
    ...(podKey ? { podKey } : {}),
    ...(nodeName ? { nodeName } : {}),
    ...(zone ? { zone } : {}),
    origin,
    index,
  };
}

/** A slice's `ports` with a port number (a null port means "all ports" and names nothing to route to). */
function slicePorts(object: Raw): EndpointPort[] {
  return asArray(object['ports']).flatMap((value) => {
    const port = asRecord(value);
    return port && isPort(port['port']) ? [{ name: asString(port['name']) ?? '', port: port['port'] }] : [];
  });
}

/** The entries of one pod (or one address), with the place of the first one. */
interface EntryGroup {
  readonly ref: string;
  readonly dup: number;
  readonly index: number;
  readonly entries: SliceEntry[];
}

/** Groups one service's entries by pod (targetRef), or by IP when no pod names the address; first-seen order. */
function groupEntries(slices: readonly HostSlice[]): EntryGroup[] {
  const podOfIP = new Map<string, string>();
  for (const { info } of slices) for (const e of info.entries) if (e.podKey) podOfIP.set(e.address.ip, e.podKey);
  const groups = new Map<string, EntryGroup>();
  for (const { info, dup } of slices) {
    for (const e of info.entries) {
      const podKey = e.podKey ?? podOfIP.get(e.address.ip);
      const key = podKey ? `pod:${podKey}` : `ip:${e.address.ip}`;
      const entry = podKey && !e.podKey ? { ...e, podKey } : e;
      const group = groups.get(key);
      if (group) group.entries.push(entry);
      else groups.set(key, { ref: info.ref, dup, index: e.index, entries: [entry] });
    }
  }
  return [...groups.values()];
}

/** One endpoint from the entries of one pod (or one address): addresses ordered, ports unioned, conditions joined. */
function mergeGroup(group: readonly SliceEntry[], service: Service, lookups: EndpointLookups, problems: Problem[]): Endpoint {
  const first = group[0] as SliceEntry;
  const podKey = group.find((e) => e.podKey)?.podKey;
  const pod = podKey ? lookups.pod(podKey) : undefined;
  if (podKey && !pod) {
    const message = `targetRef Pod ${podKey} is not known; endpoint built from the slice addresses`;
    problems.push(problemAt(first.origin, 'warning', `${first.origin.field ?? ''}.targetRef`, message));
  }
  const addresses = orderAddresses(group, pod, service.ipFamilies, problems);
  const nodeName = group.find((e) => e.nodeName)?.nodeName ?? pod?.nodeName;
  const node = nodeName ? lookups.node(nodeName) : undefined;
  const zone = group.find((e) => e.zone)?.zone;
  const [namespace = '', name = ''] = podKey ? splitKey(podKey) : [];
  return {
    service: service.hostname,
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

/** Rank of an address: its place in the pod's `podIPs`, else 10 + its family's place in `families`. */
function rankOf(address: Address, pod: Pod | undefined, families: readonly IPFamily[]): number {
  if (pod) {
    for (let i = 0; i < pod.ips.length; i++) if (pod.ips[i]?.ip === address.ip) return i;
  }
  return 10 + families.indexOf(address.family);
}

/** Distinct addresses in `podIPs` order (unknown pod: the service's family order, IPv4 first when it has none). */
function orderAddresses(
  group: readonly SliceEntry[],
  pod: Pod | undefined,
  serviceFamilies: readonly IPFamily[],
  problems: Problem[],
): Address[] {
  const families: readonly IPFamily[] = [...serviceFamilies, 'IPv4', 'IPv6'];
  const distinct = group.length === 1 ? [...group] : [...new Map(group.map((e) => [e.address.ip, e] as const)).values()];
  if (distinct.length > 1) {
    distinct.sort(
      (a, b) => rankOf(a.address, pod, families) - rankOf(b.address, pod, families) || compareStrings(a.address.ip, b.address.ip),
    );
  }
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
  const only = group.length === 1 ? (group[0] as SliceEntry).ports : undefined;
  if (only && only.length <= 1) return [...only];
  const byKey = new Map<string, EndpointPort>();
  for (const e of group) for (const p of e.ports) byKey.set(`${p.name}|${p.port}`, p);
  return sortPorts([...byKey.values()]);
}

/** Ports by name, then number. */
function sortPorts(ports: EndpointPort[]): EndpointPort[] {
  return ports.sort((a, b) => compareStrings(a.name, b.name) || a.port - b.port);
}

/** `namespace/name` → [namespace, name]. */
function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}
