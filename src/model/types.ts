// The mesh model: plain, readonly, serializable data. Every address knows its family; every holder of addresses keeps
// an ordered list, primary family first. Sources produce `SourceObject`s; `buildModel` turns them into a `MeshModel`.

/** An IP family, spelled as Kubernetes spells `ipFamilies`. */
export type IPFamily = 'IPv4' | 'IPv6';

/** An IP literal with its family. `ip` is canonical: lowercase, IPv6 compressed (RFC 5952), no brackets or zone. */
export interface Address {
  readonly ip: string;
  readonly family: IPFamily;
}

/** What a proxy can reach: one family or both. */
export type IPMode = 'IPv4' | 'IPv6' | 'Dual';

/** Where a fact came from, so every problem can name file, line, object and field. All parts optional. */
export interface Origin {
  readonly source?: 'files' | 'kube' | 'proxy' | 'generated';
  readonly file?: string;
  /** 1-based line of the object (or of the field, when known) in `file`. */
  readonly line?: number;
  /** `Kind/namespace/name` or `Kind/name` for cluster-scoped objects. */
  readonly object?: string;
  /** Dotted path inside the object, e.g. `spec.clusterIPs[1]`. */
  readonly field?: string;
}

/** One thing wrong with the input. Errors drop the object (or field); warnings keep it. */
export interface Problem {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly origin: Origin;
}

/** Kinds of Kubernetes (and Istio) objects biplane reads. */
export type ObjectKind = 'Service' | 'EndpointSlice' | 'Pod' | 'Node' | 'Namespace' | 'ServiceEntry' | 'PeerAuthentication';

/** Identity of a source object: kind, namespace ('' for cluster-scoped) and name. */
export interface ObjectKey {
  readonly kind: ObjectKind;
  readonly namespace: string;
  readonly name: string;
}

/** A raw object as a source read it (the Kubernetes JSON shape), with where it came from. */
export interface SourceObject {
  readonly key: ObjectKey;
  /** The object itself: `apiVersion`, `kind`, `metadata`, `spec`, `status`, ... as the API server serves it. */
  readonly object: Readonly<Record<string, unknown>>;
  readonly origin: Origin;
  /** `metadata.resourceVersion` for objects from a cluster; a content hash for files. */
  readonly version: string;
}

/** Application protocol of a port, chosen as Istio does: `appProtocol`, then the port name's prefix, else TCP. */
export type PortProtocol = 'HTTP' | 'HTTP2' | 'GRPC' | 'TCP' | 'TLS' | 'UDP';

/** A port a service exposes. */
export interface ServicePort {
  readonly name: string;
  readonly port: number;
  readonly protocol: PortProtocol;
  /** A number, or a container port name that each endpoint resolves. Absent for ServiceEntry ports without one. */
  readonly targetPort?: number | string;
}

/** How clients find a service's backends. STATIC: by endpoint IPs (EDS); DNS: by resolving a name; NONE: passthrough. */
export type Resolution = 'STATIC' | 'DNS' | 'NONE';

/** How a dual-stack service's traffic leaves a proxy: one resource for both families, or one per family. */
export type FamilyForwarding = 'shared' | 'native';

/** A Kubernetes Service or one host of a ServiceEntry. */
export interface Service {
  readonly kind: 'Service' | 'ServiceEntry';
  /** `name.namespace.svc.cluster.local` for Services; the host for ServiceEntries. */
  readonly hostname: string;
  readonly name: string;
  readonly namespace: string;
  readonly ports: readonly ServicePort[];
  /** Virtual IPs, primary first (`spec.clusterIPs` order). Empty for headless and ExternalName. */
  readonly vips: readonly Address[];
  /** The VIPs were auto-allocated (a ServiceEntry without `addresses`): only DNS-capturing proxies dial them. */
  readonly autoAllocated?: boolean;
  /** `spec.ipFamilies` (for ServiceEntries: the families of its VIPs). */
  readonly ipFamilies: readonly IPFamily[];
  readonly ipFamilyPolicy: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  readonly headless: boolean;
  /** For ExternalName Services: the DNS name. */
  readonly externalName?: string;
  readonly resolution: Resolution;
  /** ServiceEntry `location`; Services are MESH_INTERNAL. */
  readonly location: 'MESH_INTERNAL' | 'MESH_EXTERNAL';
  /** From the `biplane.io/ip-family-forwarding` annotation; `shared` unless it says `native`. */
  readonly forwarding: FamilyForwarding;
  readonly selector?: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly origin: Origin;
}

/** Where an endpoint runs, from its Node's `topology.kubernetes.io/region` and `zone` labels. */
export interface Locality {
  readonly region?: string;
  readonly zone?: string;
  readonly subzone?: string;
}

/** A port of an endpoint: the EndpointSlice port (or ServiceEntry endpoint port), matched to a service port by name. */
export interface EndpointPort {
  readonly name: string;
  readonly port: number;
}

/** One backend of a service: a pod (all its IPs, `podIPs` order) or, for slices without a Pod targetRef, one address. */
export interface Endpoint {
  /** The hostname of the service this endpoint belongs to. */
  readonly service: string;
  readonly addresses: readonly Address[];
  readonly ports: readonly EndpointPort[];
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly locality: Locality;
  readonly labels: Readonly<Record<string, string>>;
  /** The pod behind it, when the slice named one (targetRef kind Pod). */
  readonly pod?: { readonly namespace: string; readonly name: string };
  /** For DNS ServiceEntry endpoints: a hostname instead of addresses. */
  readonly hostname?: string;
  readonly origin: Origin;
}

/** A pod as far as the mesh cares: where it is and which IPs it has. */
export interface Pod {
  readonly namespace: string;
  readonly name: string;
  /** `status.podIPs`, primary first (at most one per family). */
  readonly ips: readonly Address[];
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly nodeName?: string;
  /** `spec.serviceAccountName` (`default` when unset): the identity the pod's workload certificate and token carry. */
  readonly serviceAccount: string;
  readonly locality: Locality;
  readonly origin: Origin;
}

/** Istio's mutual TLS mode of a PeerAuthentication (UNSET inherits from the wider policy). */
export type MtlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

/** An Istio `security.istio.io` PeerAuthentication: how a workload's sidecar accepts inbound connections. */
export interface PeerAuthentication {
  readonly namespace: string;
  readonly name: string;
  /** `spec.selector.matchLabels`; absent = the whole namespace (the whole mesh in the root namespace). */
  readonly selector?: Readonly<Record<string, string>>;
  readonly mode: MtlsMode;
  /** `spec.portLevelMtls`: workload port (container port) → mode; honoured only with a selector, as in Istio. */
  readonly portModes: Readonly<Record<string, MtlsMode>>;
  /** `metadata.creationTimestamp`: among policies of one level the oldest wins, as in Istio. */
  readonly created?: string;
  readonly origin: Origin;
}

/** The whole mesh at one moment, sorted deterministically (services by hostname, endpoints by service then address). */
export interface MeshModel {
  readonly services: readonly Service[];
  readonly endpoints: readonly Endpoint[];
  readonly pods: readonly Pod[];
  /** The Kubernetes cluster's IP families, primary first (never inferred from selector-less headless services). */
  readonly kubeClusterFamilies: readonly IPFamily[];
  /** PeerAuthentication policies, sorted by namespace then name. */
  readonly peerAuthentications: readonly PeerAuthentication[];
}

/** Who is asking for configuration: an Envoy sidecar or a proxyless gRPC application. */
export type ProxyType = 'sidecar' | 'proxyless';

/**
 * How the pod's traffic reaches the sidecar (Istio's `INTERCEPTION_MODE`): NAT `REDIRECT` (the default; the upstream
 * side of inbound connections binds `127.0.0.6` / `::6`) or `TPROXY` (transparent sockets; inbound keeps the client's
 * own source address).
 */
export type InterceptionMode = 'REDIRECT' | 'TPROXY';

/** A connected (or imagined) proxy, as the translator sees it. */
export interface Proxy {
  /** The xDS node id. */
  readonly id: string;
  readonly type: ProxyType;
  readonly namespace: string;
  /** Pod name, when the node id or metadata names one. */
  readonly pod?: string;
  /** Its IPs, first = the pod IP; the pod's `podIPs` when the model knows the pod. */
  readonly ips: readonly Address[];
  readonly mode: IPMode;
  /** Family of the first IP; the family that goes first everywhere for a dual proxy. */
  readonly primaryFamily: IPFamily;
  /** From node metadata `INTERCEPTION_MODE`; REDIRECT when absent. */
  readonly interception: InterceptionMode;
  /** Node metadata `DNS_CAPTURE` (or `ISTIO_META_DNS_CAPTURE`): the pod's DNS is answered by its agent. */
  readonly dnsCapture?: boolean;
  /** Node metadata `DNS_AUTO_ALLOCATE` (or `ISTIO_META_…`): the agent answers auto-allocated ServiceEntry VIPs. */
  readonly dnsAutoAllocate?: boolean;
  /**
   * Node metadata `SDS` (or `ISTIO_META_SDS`): the pod's agent serves its certificate over SDS, so the sidecar takes
   * part in mesh mTLS (auto-mTLS outbound, PeerAuthentication inbound). Without it, it can neither offer nor verify.
   */
  readonly sds?: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly locality: Locality;
  /** Node metadata as sent, for generators that need more (e.g. Envoy version). */
  readonly metadata: Readonly<Record<string, unknown>>;
}
