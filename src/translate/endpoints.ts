// EDS (spec §6): one ClusterLoadAssignment per EDS cluster. A pod is one LbEndpoint whose `address` is its first
// usable IP and whose `additional_addresses` are the others (podIPs order), grouped by locality, (ip, port) unique
// across the whole assignment. Builders are family-aware so proxyless gRPC can reuse `loadAssignment`.
import { targetPortOf } from '../model/index.ts';
import type { Address, Endpoint, IPFamily, Locality, Proxy, Service, ServicePort } from '../model/index.ts';
import type { ClusterLoadAssignment, EnvoyLocality, HealthStatus, LbEndpoint, LocalityLbEndpoints } from './envoy-types.ts';
import { compareStrings as compare } from '../compare-strings.ts';
import { forwardedPorts, outboundClusterName, upstreamKind, type FamilySplit } from './service-plan.ts';
import { envoyAddress, usableAddresses } from './proxy-addresses.ts';
import { hasSidecar, SIDECAR_METADATA, type MtlsAcceptance } from './mtls.ts';

/** One backend ready for EDS: its addresses (first = upstream family), port, health and locality. */
export interface Backend {
  readonly addresses: readonly Address[];
  readonly port: number;
  readonly health: HealthStatus;
  readonly locality: Locality;
  /** The pod runs a sidecar speaking mesh mTLS (set only for proxies that use auto-mTLS). */
  readonly sidecar?: boolean;
}

/**
 * EDS health of an endpoint: ready → HEALTHY; not ready but serving and terminating → DRAINING (existing connections
 * finish, no new ones); anything else is omitted from EDS (undefined), as Istio does by default.
 */
export function endpointHealth(endpoint: Endpoint): HealthStatus | undefined {
  if (endpoint.ready) return 'HEALTHY';
  if (endpoint.serving && endpoint.terminating) return 'DRAINING';
  return undefined;
}

/** The backends of one service port for a proxy, addresses filtered to what it reaches (and to `family` if given). */
export function backendsFor(
  service: Service,
  port: ServicePort,
  endpoints: readonly Endpoint[],
  proxy: Pick<Proxy, 'mode' | 'sds'>,
  family?: IPFamily,
  accepts?: MtlsAcceptance,
): Backend[] {
  const autoMtls = proxy.sds === true && service.location === 'MESH_INTERNAL';
  const out: Backend[] = [];
  for (const e of endpoints) {
    const health = endpointHealth(e);
    const p = targetPortOf(service, port, e);
    const addresses = usableAddresses(proxy, e.addresses, family);
    if (!health || p === undefined || addresses.length === 0 || e.hostname !== undefined) continue;
    const mtls = autoMtls && hasSidecar(e) && (accepts?.(e, p) ?? true);
    out.push({ addresses, port: p, health, locality: e.locality, ...(mtls ? { sidecar: true } : {}) });
  }
  return out;
}

function localityKey(l: Locality): string {
  return `${l.region ?? ''}/${l.zone ?? ''}/${l.subzone ?? ''}`;
}

function envoyLocality(l: Locality): EnvoyLocality {
  return {
    ...(l.region ? { region: l.region } : {}),
    ...(l.zone ? { zone: l.zone } : {}),
    ...(l.subzone ? { sub_zone: l.subzone } : {}),
  };
}

function byFirstAddress(a: Backend, b: Backend): number {
  return compare(a.addresses[0]?.ip ?? '', b.addresses[0]?.ip ?? '') || a.port - b.port;
}

/**
 * A ClusterLoadAssignment: HEALTHY backends first, then DRAINING; an (ip, port) seen before is dropped from later
 * backends (additional addresses included) and a backend left with no address is dropped; localities sorted, each
 * with `load_balancing_weight` = its endpoint count (gRPC needs ≥ 1), every endpoint weight 1, all priority 0.
 */
export function loadAssignment(clusterName: string, backends: readonly Backend[]): ClusterLoadAssignment {
  const ordered = [
    ...backends.filter((b) => b.health === 'HEALTHY').sort(byFirstAddress),
    ...backends.filter((b) => b.health !== 'HEALTHY').sort(byFirstAddress),
  ];
  const seen = new Set<string>();
  const groups = new Map<string, { locality: Locality; lb: LbEndpoint[] }>();
  for (const b of ordered) {
    const fresh = b.addresses.filter((a) => !seen.has(`${a.ip}|${b.port}`));
    const [first, ...rest] = fresh;
    if (!first) continue;
    for (const a of fresh) seen.add(`${a.ip}|${b.port}`);
    const lb: LbEndpoint = {
      endpoint: {
        address: envoyAddress(first.ip, b.port),
        ...(rest.length > 0 ? { additional_addresses: rest.map((a) => ({ address: envoyAddress(a.ip, b.port) })) } : {}),
      },
      ...(b.sidecar ? { metadata: SIDECAR_METADATA } : {}),
      health_status: b.health,
      load_balancing_weight: { value: 1 },
    };
    const key = localityKey(b.locality);
    const group = groups.get(key) ?? { locality: b.locality, lb: [] };
    group.lb.push(lb);
    groups.set(key, group);
  }
  const endpoints: LocalityLbEndpoints[] = [...groups.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([, g]) => ({ locality: envoyLocality(g.locality), lb_endpoints: g.lb, load_balancing_weight: { value: g.lb.length } }));
  return { cluster_name: clusterName, endpoints };
}

/** The assignments of one service's EDS clusters (one per family of `split`); none for non-EDS services. */
export function serviceLoadAssignments(
  service: Service,
  endpoints: readonly Endpoint[],
  proxy: Pick<Proxy, 'mode' | 'primaryFamily' | 'sds'>,
  split: FamilySplit,
  accepts?: MtlsAcceptance,
): ClusterLoadAssignment[] {
  if (upstreamKind(service) !== 'EDS') return [];
  const out: ClusterLoadAssignment[] = [];
  for (const port of forwardedPorts(service)) {
    for (const family of split) {
      const name = outboundClusterName(port.port, service.hostname, family);
      out.push(loadAssignment(name, backendsFor(service, port, endpoints, proxy, family, accepts)));
    }
  }
  return out;
}

