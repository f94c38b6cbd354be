// The Kubernetes rules that turn raw source objects into the mesh model (spec §1). Pure: same objects, same model.
import { checkObject } from './check.ts';
import { buildSliceEndpoints } from './endpoints.ts';
import { buildNode, buildPod } from './pods.ts';
import type { NodeInfo } from './pods.ts';
import { compareStrings } from './raw.ts';
import { buildServiceEntries } from './service-entry.ts';
import { buildService } from './services.ts';
import type { Endpoint, IPFamily, MeshModel, ObjectKind, Pod, Problem, Service, SourceObject } from './types.ts';

/** The model plus every problem met building it (objects failing `checkObject` are dropped with their errors). */
export interface BuildResult {
  readonly model: MeshModel;
  readonly problems: Problem[];
}

/**
 * Builds the mesh model from source objects in any order. Objects with schema errors are skipped (their errors are
 * returned); schema warnings are the source's to report, so only problems about how objects relate are added here.
 */
export function buildModel(objects: readonly SourceObject[]): BuildResult {
  const problems: Problem[] = [];
  const byKind = new Map<ObjectKind, SourceObject[]>();
  for (const object of objects) {
    const errors = checkObject(object.object, object.origin).problems.filter((p) => p.severity === 'error');
    if (errors.length > 0) {
      problems.push(...errors);
      continue;
    }
    const list = byKind.get(object.key.kind) ?? [];
    list.push(object);
    byKind.set(object.key.kind, list);
  }
  const of = (kind: ObjectKind): SourceObject[] => byKind.get(kind) ?? [];
  const nodes = new Map<string, NodeInfo>(of('Node').map((n) => [n.key.name, buildNode(n)]));
  const pods = of('Pod').map((p) => buildPod(p, nodes));
  const kubeServices = of('Service').map(buildService);
  const entries = buildServiceEntries(of('ServiceEntry'));
  problems.push(...entries.problems);
  const serviceMap = new Map<string, Service>();
  for (const service of [...entries.services, ...kubeServices]) serviceMap.set(service.hostname, service);
  const slices = buildSliceEndpoints(of('EndpointSlice'), {
    services: serviceMap,
    pods: new Map(pods.map((p) => [`${p.namespace}/${p.name}`, p])),
    nodes,
  });
  problems.push(...slices.problems);
  const model: MeshModel = {
    services: [...kubeServices, ...entries.services].sort(compareServices),
    endpoints: [...slices.endpoints, ...entries.endpoints].sort(compareEndpoints),
    pods: pods.sort(comparePods),
    clusterFamilies: clusterFamilies(kubeServices, pods, [...nodes.values()]),
  };
  return { model, problems };
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
  const lists: (readonly IPFamily[])[] = [
    ...services.filter((s) => s.kind === 'Service' && !s.headless && s.externalName === undefined).map((s) => s.ipFamilies),
    ...pods.map((p) => p.ips.map((a) => a.family)),
    ...nodes.map((n) => n.addresses.map((a) => a.family)),
  ];
  const seen = new Set(lists.flat());
  const votes = { IPv4: 0, IPv6: 0 };
  for (const list of lists) if (list[0]) votes[list[0]]++;
  const apiServer = services.find((s) => s.namespace === 'default' && s.name === 'kubernetes' && !s.headless);
  const primary: IPFamily = apiServer?.ipFamilies[0] ?? (votes.IPv6 > votes.IPv4 ? 'IPv6' : 'IPv4');
  return ([primary, primary === 'IPv4' ? 'IPv6' : 'IPv4'] as const).filter((f) => seen.has(f));
}

/** Services by hostname, then namespace, then kind. */
function compareServices(a: Service, b: Service): number {
  return compareStrings(a.hostname, b.hostname) || compareStrings(a.namespace, b.namespace) || compareStrings(a.kind, b.kind);
}

/** Endpoints by service, then first address (or hostname), then pod, then where they came from. */
function compareEndpoints(a: Endpoint, b: Endpoint): number {
  const where = (e: Endpoint): string => e.addresses[0]?.ip ?? e.hostname ?? '';
  const pod = (e: Endpoint): string => (e.pod ? `${e.pod.namespace}/${e.pod.name}` : '');
  return (
    compareStrings(a.service, b.service) ||
    compareStrings(where(a), where(b)) ||
    compareStrings(pod(a), pod(b)) ||
    compareStrings(a.origin.object ?? '', b.origin.object ?? '') ||
    compareStrings(a.origin.field ?? '', b.origin.field ?? '')
  );
}

/** Pods by namespace, then name. */
function comparePods(a: Pod, b: Pod): number {
  return compareStrings(a.namespace, b.namespace) || compareStrings(a.name, b.name);
}
