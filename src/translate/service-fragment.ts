// What one service contributes to a sidecar's outbound configuration under one proxy profile, made by the per-service
// builders: its clusters, load assignments, TCP listener candidates, SNI ports and (on first use) virtual hosts. A
// builder that fails costs only its service: the failure becomes a Problem at the service's origin and the fragment
// is empty, so none of its resources (nor anything naming them) reaches the proxy. The TranslationCache memoises
// these results; this file is the one place they are made.
import type { Endpoint, IPFamily, Problem, Service } from '../model/index.ts';
import { serviceClusters } from './clusters.ts';
import { serviceLoadAssignments } from './endpoints.ts';
import type { Cluster, ClusterLoadAssignment } from './envoy-types.ts';
import { serviceTcpCandidates, type TcpCandidate } from './listeners-outbound.ts';
import type { MtlsAcceptance } from './mtls.ts';
import { hostCandidate, type HostCandidate } from './routes.ts';
import { perFamilySplit, type FamilySplit, type ProxyProfile } from './service-plan.ts';
import { sniPorts } from './sni.ts';

/** Everything built for one service under one profile; virtual hosts are built on first use per port/family/namespace. */
export interface Fragment {
  readonly stamp: number;
  /** The service's per-family split on this profile, decided once (`perFamilySplit`); every builder reads it. */
  readonly split: FamilySplit;
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly ClusterLoadAssignment[];
  readonly tcp: readonly TcpCandidate[];
  /** The ports the service is matched by SNI on (wildcard listeners), ascending. */
  readonly sni: readonly number[];
  /** Virtual hosts (or the problem that left one out) by `port|family|same-or-other namespace`. */
  readonly hosts: Map<string, HostCandidate | Problem>;
  /** Set when a builder failed: the fragment is empty and the service is left out of every listener and route. */
  readonly problem?: Problem;
}

/** The fragment of one service under one profile (`stamp`: the content it was built from). */
export function serviceFragment(
  service: Service,
  endpoints: readonly Endpoint[],
  profile: ProxyProfile,
  stamp: number,
  accepts?: MtlsAcceptance,
): Fragment {
  try {
    const split = perFamilySplit(service, profile, profile.strategy);
    return {
      stamp,
      split,
      clusters: serviceClusters(service, endpoints, profile, split),
      endpoints: serviceLoadAssignments(service, endpoints, profile, split, accepts),
      tcp: serviceTcpCandidates(service, endpoints, profile, split),
      sni: sniPorts(service, profile),
      hosts: new Map(),
    };
  } catch (err) {
    const problem = translationProblem(service, err, 'its clusters, listeners, routes and endpoints are left out');
    return { stamp, split: [undefined], clusters: [], endpoints: [], tcp: [], sni: [], hosts: new Map(), problem };
  }
}

/**
 * The virtual host of a fragment's service on one HTTP port (and family) for proxies in `namespace`, built on first
 * use and kept in the fragment; a failure leaves out only that virtual host (the route never names the service's
 * cluster, so nothing dangles) and is kept as its problem.
 */
export function serviceHost(
  fragment: Fragment,
  service: Service,
  profile: ProxyProfile,
  port: number,
  family: IPFamily | undefined,
  namespace: string,
): HostCandidate | Problem {
  const key = `${port}|${family ?? ''}|${service.namespace === namespace ? 'same' : 'other'}`;
  let host = fragment.hosts.get(key);
  if (!host) {
    try {
      host = hostCandidate(service, port, { ...profile, namespace }, fragment.split, family);
    } catch (err) {
      host = translationProblem(service, err, `its virtual host on port ${port} is left out`);
    }
    fragment.hosts.set(key, host);
  }
  return host;
}

/** Whether a built part is a problem rather than a result. */
export function isProblem(value: object): value is Problem {
  return 'severity' in value && 'origin' in value;
}

/** A builder failure for one service, at the service's origin. */
function translationProblem(service: Service, err: unknown, consequence: string): Problem {
  const reason = err instanceof Error ? err.message : String(err);
  return { severity: 'error', message: `service ${service.hostname}: translation failed (${reason}); ${consequence}`, origin: service.origin };
}
