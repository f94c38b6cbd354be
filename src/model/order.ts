// The model's deterministic orders, and the cluster families that follow from services, pods and nodes.
import type { NodeInfo } from './pods.ts';
import { compareStrings } from '../compare-strings.ts';
import type { Address, Endpoint, IPFamily, Pod, Service } from './types.ts';

/** How many address lists have each family, and how many list it first: what cluster families are voted from. */
export interface FamilyTally {
  readonly seen: Record<IPFamily, number>;
  readonly votes: Record<IPFamily, number>;
}

/** An empty tally. */
export function emptyTally(): FamilyTally {
  return { seen: { IPv4: 0, IPv6: 0 }, votes: { IPv4: 0, IPv6: 0 } };
}

/** Adds (sign 1) or takes back (sign -1) one list of families to a tally. */
export function tallyFamilies(tally: FamilyTally, families: readonly IPFamily[], sign: 1 | -1): void {
  let v4 = false;
  let v6 = false;
  for (const family of families) {
    if (family === 'IPv4') v4 = true;
    else v6 = true;
  }
  if (v4) tally.seen.IPv4 += sign;
  if (v6) tally.seen.IPv6 += sign;
  if (families[0]) tally.votes[families[0]] += sign;
}

/** The families of a list of addresses, in order. */
export function familiesOf(addresses: readonly Address[]): IPFamily[] {
  return addresses.map((a) => a.family);
}

/**
 * The cluster's families: those of non-headless Services, pod IPs and node addresses (never selector-less headless
 * Services, which are dual even on single-stack clusters). Primary first: the family of `default/kubernetes` when
 * known, else the family most often first, IPv4 on a tie.
 */
export function clusterFamilies(
  services: readonly Service[],
  pods: readonly Pod[],
  nodes: readonly NodeInfo[],
): IPFamily[] {
  const tally = emptyTally();
  for (const pod of pods) tallyFamilies(tally, familiesOf(pod.ips), 1);
  return familiesFromTally(services, nodes, tally);
}

/** `clusterFamilies` with the pods already tallied. */
export function familiesFromTally(services: readonly Service[], nodes: readonly NodeInfo[], podTally: FamilyTally): IPFamily[] {
  const tally: FamilyTally = { seen: { ...podTally.seen }, votes: { ...podTally.votes } };
  let apiServer: Service | undefined;
  for (const s of services) {
    if (s.kind === 'Service' && !s.headless && s.externalName === undefined) tallyFamilies(tally, s.ipFamilies, 1);
    if (!apiServer && s.namespace === 'default' && s.name === 'kubernetes' && !s.headless) apiServer = s;
  }
  for (const node of nodes) tallyFamilies(tally, familiesOf(node.addresses), 1);
  const { seen, votes } = tally;
  const primary: IPFamily = apiServer?.ipFamilies[0] ?? (votes.IPv6 > votes.IPv4 ? 'IPv6' : 'IPv4');
  return ([primary, primary === 'IPv4' ? 'IPv6' : 'IPv4'] as const).filter((f) => seen[f] > 0);
}

/** Services by hostname, then namespace, then kind. */
export function compareServices(a: Service, b: Service): number {
  return compareStrings(a.hostname, b.hostname) || compareStrings(a.namespace, b.namespace) || compareStrings(a.kind, b.kind);
}

/** The address (or hostname) an endpoint sorts by. */
function whereOf(e: Endpoint): string {
  return e.addresses[0]?.ip ?? e.hostname ?? '';
}

/** The `namespace/name` an endpoint's pod sorts by. */
function podOf(e: Endpoint): string {
  return e.pod ? `${e.pod.namespace}/${e.pod.name}` : '';
}

/** Endpoints by service, then first address (or hostname), then pod, then where they came from. */
export function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return (
    compareStrings(a.service, b.service) ||
    compareStrings(whereOf(a), whereOf(b)) ||
    compareStrings(podOf(a), podOf(b)) ||
    compareStrings(a.origin.object ?? '', b.origin.object ?? '') ||
    compareStrings(a.origin.field ?? '', b.origin.field ?? '')
  );
}

/** Pods by namespace, then name. */
export function comparePods(a: Pod, b: Pod): number {
  return compareStrings(a.namespace, b.namespace) || compareStrings(a.name, b.name);
}

/** Where `pod` goes in a list sorted by `comparePods` (after equal ones). */
export function podIndex(sorted: readonly Pod[], pod: Pod): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePods(sorted[mid] as Pod, pod) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
