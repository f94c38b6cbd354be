// The Kubernetes cluster's IP families (primary first), voted from its services, pods and nodes. Not Envoy clusters:
// the per-family Envoy cluster split is translate's.
import type { NodeInfo } from './pods.ts';
import type { Address, IPFamily, Pod, Service } from './types.ts';

/** How many address lists have each family, and how many list it first: what the Kubernetes cluster's families are voted from. */
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
 * The Kubernetes cluster's families: those of non-headless Services, pod IPs and node addresses (never selector-less headless
 * Services, which are dual even on single-stack clusters). Primary first: the family of `default/kubernetes` when
 * known, else the family most often first, IPv4 on a tie.
 */
export function kubeClusterFamilies(
  services: readonly Service[],
  pods: readonly Pod[],
  nodes: readonly NodeInfo[],
): IPFamily[] {
  const tally = emptyTally();
  for (const pod of pods) tallyFamilies(tally, familiesOf(pod.ips), 1);
  return familiesFromTally(services, nodes, tally);
}

/** `kubeClusterFamilies` with the pods already tallied. */
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
