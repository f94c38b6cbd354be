// The mesh's cluster as Kubernetes manifests: Pods with `podIPs` (and Istio's interception annotation), Services with `ipFamilies` / `clusterIPs` (or
// headless, or ExternalName), one EndpointSlice per service and family whose endpoints point at their pod
// (`targetRef`), ServiceEntries and PeerAuthentications. Written into the folder `biplane serve --manifests` watches; a rewrite goes
// through a hidden temporary file and a rename, so the server never reads half a file.
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { isV6 } from './net.ts';

/** The Kubernetes namespace of every mesh object. */
export const NAMESPACE = 'mesh';

/** Istio's pod annotation choosing how the sidecar intercepts inbound traffic. */
export const INTERCEPTION_ANNOTATION = 'sidecar.istio.io/interceptionMode';

/** A pod of the mesh: its addresses (primary first), labels, and its interception mode (annotated when set). */
export interface PodSpec {
  readonly name: string;
  readonly ips: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly interception?: 'REDIRECT' | 'TPROXY';
  /** `spec.serviceAccountName` (unset: Kubernetes' `default`). */
  readonly serviceAccount?: string;
}

/** One port of a service: `protocol` picks Istio's port protocol through the port name (`http-`, `tcp-`, ...). */
export interface PortSpec {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number;
}

/** A Kubernetes Service: VIPs primary first (their families are `ipFamilies`), or headless, or ExternalName. */
export interface ServiceSpec {
  readonly name: string;
  readonly vips?: readonly string[];
  /** Headless: no VIPs; its endpoints carry these families (primary first). */
  readonly headlessFamilies?: readonly ('IPv4' | 'IPv6')[];
  readonly externalName?: string;
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports: readonly PortSpec[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An Istio ServiceEntry resolved by DNS (or STATIC), with explicit VIPs. */
export interface ServiceEntrySpec {
  readonly name: string;
  readonly host: string;
  readonly addresses: readonly string[];
  readonly resolution: 'DNS' | 'STATIC';
  readonly ports: readonly { readonly name: string; readonly number: number; readonly protocol: string }[];
  readonly endpoints?: readonly string[];
}

/** An Istio PeerAuthentication: namespace-wide (or mesh-wide in `istio-system`), or for the pods a selector matches. */
export interface PeerAuthenticationSpec {
  readonly name: string;
  readonly namespace?: string;
  readonly mode: 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';
  readonly selector?: Readonly<Record<string, string>>;
}

/** Everything the manifest folder holds. */
export interface ClusterSpec {
  readonly pods: readonly PodSpec[];
  readonly services: readonly ServiceSpec[];
  readonly serviceEntries?: readonly ServiceEntrySpec[];
  readonly peerAuthentications?: readonly PeerAuthenticationSpec[];
}

function peerAuthenticationObject(p: PeerAuthenticationSpec): object {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: p.name, namespace: p.namespace ?? NAMESPACE },
    spec: { ...(p.selector ? { selector: { matchLabels: { ...p.selector } } } : {}), mtls: { mode: p.mode } },
  };
}

type Family = 'IPv4' | 'IPv6';

function familyOf(ip: string): Family {
  return isV6(ip) ? 'IPv6' : 'IPv4';
}

function podObject(pod: PodSpec): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod.name,
      namespace: NAMESPACE,
      labels: { ...pod.labels },
      ...(pod.interception ? { annotations: { [INTERCEPTION_ANNOTATION]: pod.interception } } : {}),
    },
    spec: { ...(pod.serviceAccount ? { serviceAccountName: pod.serviceAccount } : {}), containers: [{ name: 'app', image: 'mesh-app' }] },
    status: {
      phase: 'Running',
      podIP: pod.ips[0],
      podIPs: pod.ips.map((ip) => ({ ip })),
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

function serviceFamilies(service: ServiceSpec): Family[] {
  if (service.vips) return service.vips.map(familyOf);
  return [...(service.headlessFamilies ?? [])];
}

function serviceObject(service: ServiceSpec): object {
  const ports = service.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: 'TCP' }));
  const metadata = { name: service.name, namespace: NAMESPACE, ...(service.annotations ? { annotations: { ...service.annotations } } : {}) };
  if (service.externalName) return { apiVersion: 'v1', kind: 'Service', metadata, spec: { type: 'ExternalName', externalName: service.externalName, ports } };
  const families = serviceFamilies(service);
  const ips = service.vips ? { clusterIP: service.vips[0], clusterIPs: [...service.vips] } : { clusterIP: 'None', clusterIPs: ['None'] };
  const spec = {
    ...(service.selector ? { selector: { ...service.selector } } : {}),
    ipFamilyPolicy: families.length > 1 ? 'RequireDualStack' : 'SingleStack',
    ipFamilies: families,
    ...ips,
    ports,
  };
  return { apiVersion: 'v1', kind: 'Service', metadata, spec };
}

function selects(service: ServiceSpec, pod: PodSpec): boolean {
  const selector = Object.entries(service.selector ?? {});
  return selector.length > 0 && selector.every(([k, v]) => pod.labels[k] === v);
}

/** One EndpointSlice per family of the service, listing every selected pod that has an address of that family. */
function endpointSlices(service: ServiceSpec, pods: readonly PodSpec[]): object[] {
  if (service.externalName || !service.selector) return [];
  const selected = pods.filter((p) => selects(service, p));
  return serviceFamilies(service).map((family) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service.name}-${family.toLowerCase()}`, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': service.name } },
    addressType: family,
    ports: service.ports.map((p) => ({ name: p.name, port: p.targetPort, protocol: 'TCP' })),
    endpoints: selected.flatMap((pod) => {
      const ip = pod.ips.find((a) => familyOf(a) === family);
      if (!ip) return [];
      return [{ addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', namespace: NAMESPACE, name: pod.name } }];
    }),
  }));
}

function serviceEntryObject(entry: ServiceEntrySpec): object {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: entry.name, namespace: NAMESPACE },
    spec: {
      hosts: [entry.host],
      addresses: [...entry.addresses],
      location: 'MESH_EXTERNAL',
      resolution: entry.resolution,
      ports: entry.ports.map((p) => ({ ...p })),
      ...(entry.endpoints ? { endpoints: entry.endpoints.map((address) => ({ address })) } : {}),
    },
  };
}

function documents(objects: readonly object[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Writes (or rewrites) the cluster into `dir`: namespace, pods, services with their slices, service entries. */
export function writeCluster(dir: string, cluster: ClusterSpec): void {
  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } };
  writeAtomically(path.join(dir, 'namespace.yaml'), documents([namespace]));
  writeAtomically(path.join(dir, 'services.yaml'), documents(cluster.services.map(serviceObject)));
  writeAtomically(path.join(dir, 'service-entries.yaml'), documents((cluster.serviceEntries ?? []).map(serviceEntryObject)));
  writeAtomically(path.join(dir, 'peer-authentications.yaml'), documents((cluster.peerAuthentications ?? []).map(peerAuthenticationObject)));
  // Pods before the slices that name them: a slice whose pod is not known yet is merged by address alone.
  writeAtomically(path.join(dir, 'pods.yaml'), documents(cluster.pods.map(podObject)));
  writeAtomically(path.join(dir, 'endpointslices.yaml'), documents(cluster.services.flatMap((s) => endpointSlices(s, cluster.pods))));
}
