// Well-known label and annotation names, spelled once.

/** Service annotation: `native` asks for one listener/cluster per IP family (see spec §6); anything else is shared. */
export const FORWARDING_ANNOTATION = 'biplane.io/ip-family-forwarding';

/**
 * ServiceEntry annotation: which families get an auto-allocated VIP when `spec.addresses` is empty. A comma-separated
 * list of `IPv4` and `IPv6` (default both), or `none` to allocate nothing.
 */
export const AUTO_ALLOCATE_ANNOTATION = 'biplane.io/auto-allocate';

/** EndpointSlice label naming the Service the slice belongs to. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Node label holding the region of the endpoints on it. */
export const REGION_LABEL = 'topology.kubernetes.io/region';

/** Node label holding the zone of the endpoints on it. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** DNS suffix of Service hostnames: `name.namespace.svc.cluster.local`. */
export const CLUSTER_DOMAIN = 'svc.cluster.local';

/** The hostname of the Kubernetes Service `namespace/name`. */
export function serviceHostname(namespace: string, name: string): string {
  return `${name}.${namespace}.${CLUSTER_DOMAIN}`;
}
