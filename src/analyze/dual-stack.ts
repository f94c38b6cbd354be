// Step 4 of the analyzer: dual-stack setups that are legal but most likely mistakes. Each check reports once per
// object (a service, a pod, a ServiceEntry), never once per pair of pods, so a big mesh does not drown in warnings.
import { isHostPrefix, nameKey, otherFamily, parsePrefix } from '../model/index.ts';
import type { Endpoint, IPFamily, MeshModel, ModelIndex, Origin, Pod, Proxy, Service, SourceObject } from '../model/index.ts';
import type { Finding, FindingCode } from './types.ts';

/** How many names a finding lists before it says "and N more". */
const MAX_LISTED = 5;

/** Every dual-stack warning of a model; `proxies` are the ones checked (for the reachability check). */
export function dualStackFindings(index: ModelIndex, objects: readonly SourceObject[], proxies: readonly Proxy[]): Finding[] {
  const model = index.model;
  return [
    ...model.services.flatMap((s) => backendFamilies(index, s)),
    ...podOrder(model),
    ...model.services.flatMap((s) => vipReach(s, proxies)),
    ...entryAddresses(model, objects),
  ];
}

/** A warning at an origin from the model. */
function warning(origin: Origin, code: FindingCode, field: string | undefined, message: string): Finding {
  return {
    severity: 'warning',
    code,
    message,
    ...(origin.file !== undefined ? { file: origin.file } : {}),
    ...(origin.line !== undefined ? { line: origin.line } : {}),
    ...(origin.object !== undefined ? { object: origin.object } : {}),
    ...(field !== undefined ? { field } : {}),
  };
}

/** `a, b, c and 4 more`. */
function listed(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED).join(', ');
  return names.length > MAX_LISTED ? `${shown} and ${names.length - MAX_LISTED} more` : shown;
}

/** The families present in some addresses, in a fixed order. */
function familiesOf(endpoints: readonly Endpoint[]): IPFamily[] {
  const seen = new Set(endpoints.flatMap((e) => e.addresses.map((a) => a.family)));
  return (['IPv4', 'IPv6'] as const).filter((f) => seen.has(f));
}

/** Whether a service asks for both families (its `ipFamilies` list both). */
function isDualService(service: Service): boolean {
  return service.externalName === undefined && new Set(service.ipFamilies).size === 2;
}

/**
 * A dual-stack service whose backends all lack one family (that family's VIP leads nowhere), or, when both families
 * are present, some of whose backends are single-stack (clients of the missing family can never reach those).
 */
function backendFamilies(index: ModelIndex, service: Service): Finding[] {
  if (!isDualService(service) || service.kind !== 'Service') return [];
  const endpoints = (index.endpointsByService.get(service.hostname) ?? []).filter((e) => e.addresses.length > 0);
  const present = familiesOf(endpoints);
  const have = present[0];
  if (have === undefined) return [];
  if (present.length === 1) {
    const missing = otherFamily(have);
    const vip = service.vips.find((v) => v.family === missing);
    const lost = vip ? `its ${missing} VIP ${vip.ip} leads nowhere` : `${missing} lookups of the headless name find nothing`;
    const message = `${service.hostname} is ${service.ipFamilyPolicy} but every endpoint is ${have} only: ${lost}`;
    return [warning(service.origin, 'one-family-endpoints', 'spec.ipFamilyPolicy', message)];
  }
  const single = endpoints.filter((e) => familiesOf([e]).length === 1);
  if (single.length === 0) return [];
  const missing = [...new Set(single.map((e) => otherFamily(e.addresses[0]?.family ?? 'IPv4')))].sort();
  const who = missing.length === 1 ? `${missing[0]}-only clients` : 'single-family clients of the missing family';
  const names = listed(single.map((e) => describeBackend(index, e)));
  const message = `dual-stack ${service.hostname} has single-stack backends: ${names}; ${who} never reach them`;
  return [warning(service.origin, 'single-stack-backends', 'spec.ipFamilies', message)];
}

/** `ns/pod (IPv6 only)`, noting a dual-stack pod that one family's EndpointSlice leaves out. */
function describeBackend(index: ModelIndex, endpoint: Endpoint): string {
  const family = endpoint.addresses[0]?.family ?? 'IPv4';
  if (!endpoint.pod) return `${endpoint.addresses[0]?.ip ?? '?'} (${family} only)`;
  const name = nameKey(endpoint.pod.namespace, endpoint.pod.name);
  const pod = index.podsByName.get(name);
  const podDual = pod !== undefined && new Set(pod.ips.map((a) => a.family)).size === 2;
  return podDual ? `${name} (dual-stack pod missing from the ${otherFamily(family)} EndpointSlice)` : `${name} (${family} only)`;
}

/** Dual-stack pods that list the cluster's secondary family first (Kubernetes always puts the primary first). */
function podOrder(model: MeshModel): Finding[] {
  const [primary, secondary] = model.kubeClusterFamilies;
  if (primary === undefined || secondary === undefined) return [];
  return model.pods.filter((p) => isDualPod(p) && p.ips[0]?.family !== primary).map((pod) => {
    const message = `podIPs list ${secondary} first but the cluster's primary family is ${primary}; Kubernetes lists the primary family first`;
    return warning(pod.origin, 'pod-ip-order', 'status.podIPs', message);
  });
}

function isDualPod(pod: Pod): boolean {
  return new Set(pod.ips.map((a) => a.family)).size === 2;
}

/** A service with VIPs of one family only, and checked single-family proxies of the other: they cannot use a VIP. */
function vipReach(service: Service, proxies: readonly Proxy[]): Finding[] {
  const families = new Set(service.vips.map((v) => v.family));
  const [only] = [...families];
  if (families.size !== 1 || only === undefined) return [];
  const other = otherFamily(only);
  const cut = proxies.filter((p) => p.mode === other).map((p) => `${p.namespace}/${p.pod ?? p.id}`).sort();
  if (cut.length === 0) return [];
  const field = service.kind === 'Service' ? 'spec.clusterIPs' : 'spec.addresses';
  const count = cut.length === 1 ? `1 ${other}-only proxy` : `${cut.length} ${other}-only proxies`;
  const message = `${service.hostname} has only ${only} VIPs: no VIP for ${count} (${listed(cut)})`;
  return [warning(service.origin, 'no-vip-for-family', field, message)];
}

/** ServiceEntries whose explicit addresses are of one family while the cluster has both. */
function entryAddresses(model: MeshModel, objects: readonly SourceObject[]): Finding[] {
  if (model.kubeClusterFamilies.length !== 2) return [];
  return objects.filter((o) => o.key.kind === 'ServiceEntry').flatMap((o) => {
    const families = new Set(addressesOf(o).flatMap((t) => {
      const prefix = typeof t === 'string' ? parsePrefix(t) : undefined;
      return prefix && isHostPrefix(prefix) ? [prefix.address.family] : [];
    }));
    const [only] = [...families];
    if (families.size !== 1 || only === undefined) return [];
    const other = otherFamily(only);
    const message = `explicit addresses are ${only} only on a dual-stack cluster: ${other}-only proxies get no VIP; add an ${other} address or omit addresses to have both allocated`;
    return [warning({ ...o.origin, object: o.origin.object ?? `ServiceEntry/${o.key.namespace}/${o.key.name}` }, 'one-family-addresses', 'spec.addresses', message)];
  });
}

/** The raw `spec.addresses` list of a ServiceEntry (empty when absent or not a list). */
function addressesOf(entry: SourceObject): readonly unknown[] {
  const spec = entry.object['spec'];
  const list = typeof spec === 'object' && spec !== null ? (spec as Readonly<Record<string, unknown>>)['addresses'] : undefined;
  return Array.isArray(list) ? list : [];
}
