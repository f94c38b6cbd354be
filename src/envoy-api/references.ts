// Which names one resource refers to, written once: the clusters a listener's TCP proxies and inline route configs
// and a route configuration's routes send traffic to, the RDS route_config_names of a listener's HTTP connection
// managers, and the EDS service a cluster needs an assignment for; each with its field path. Validation checks them
// against a resource set, the xDS layer's consistent() against a snapshot.
import { asArr, asObj, asStr, fieldPath, indexPath, isSet, resourceName, type Obj } from './plain.ts';
import { enumName } from './protos.ts';
import { hcmsOf, routesOf, TypeName, typedFiltersOf } from './resource-walk.ts';

/** A name one resource refers to, with the field path that names it. */
export interface NameRef {
  readonly path: string;
  readonly name: string;
}

/** The cluster's discovery type name (STATIC when unset), or undefined for a custom `cluster_type` (e.g. aggregate). */
export function discoveryType(cluster: Obj): string | undefined {
  if (isSet(cluster['cluster_type'])) return undefined;
  return enumName('envoy.config.cluster.v3.Cluster.DiscoveryType', cluster['type'], 'STATIC');
}

/** The clusters a route configuration sends traffic to (cluster, weighted clusters, mirrors); cluster_header excluded. */
export function routeClusterRefs(routeConfig: Obj, base: string): NameRef[] {
  const refs: NameRef[] = [];
  for (const route of routesOf(routeConfig, base)) {
    const action = asObj(route.value['route']);
    if (!action) continue;
    const actionPath = fieldPath(route.path, 'route');
    const cluster = asStr(action['cluster']);
    if (cluster !== undefined) refs.push({ path: fieldPath(actionPath, 'cluster'), name: cluster });
    const weighted = fieldPath(fieldPath(actionPath, 'weighted_clusters'), 'clusters');
    asArr(asObj(action['weighted_clusters'])?.['clusters']).forEach((w, i) => {
      const name = asStr(asObj(w)?.['name']);
      if (name !== undefined) refs.push({ path: fieldPath(indexPath(weighted, i), 'name'), name });
    });
    asArr(action['request_mirror_policies']).forEach((m, i) => {
      const name = asStr(asObj(m)?.['cluster']);
      const path = fieldPath(indexPath(fieldPath(actionPath, 'request_mirror_policies'), i), 'cluster');
      if (name !== undefined && name !== '') refs.push({ path, name });
    });
  }
  return refs;
}

/** The clusters a listener's TCP proxies (cluster, weighted clusters) and inline route configs send traffic to. */
export function listenerClusterRefs(listener: Obj): NameRef[] {
  const refs: NameRef[] = [];
  for (const proxy of typedFiltersOf(listener, TypeName.tcpProxy)) {
    const cluster = asStr(proxy.value['cluster']);
    if (cluster !== undefined) refs.push({ path: fieldPath(proxy.path, 'cluster'), name: cluster });
    const base = fieldPath(fieldPath(proxy.path, 'weighted_clusters'), 'clusters');
    asArr(asObj(proxy.value['weighted_clusters'])?.['clusters']).forEach((w, i) => {
      const name = asStr(asObj(w)?.['name']);
      if (name !== undefined) refs.push({ path: fieldPath(indexPath(base, i), 'name'), name });
    });
  }
  for (const hcm of hcmsOf(listener)) {
    const inline = asObj(hcm.value['route_config']);
    if (inline) refs.push(...routeClusterRefs(inline, fieldPath(hcm.path, 'route_config')));
  }
  return refs;
}

/** The RDS route_config_names of a listener's HTTP connection managers (filter chains and api_listener). */
export function rdsRefs(listener: Obj): NameRef[] {
  const refs: NameRef[] = [];
  for (const hcm of hcmsOf(listener)) {
    const name = asStr(asObj(hcm.value['rds'])?.['route_config_name']);
    if (name !== undefined) refs.push({ path: fieldPath(fieldPath(hcm.path, 'rds'), 'route_config_name'), name });
  }
  return refs;
}

/** The EDS service an EDS cluster needs a ClusterLoadAssignment for (its service_name, else its name); null for others. */
export function edsServiceRef(cluster: Obj): NameRef | null {
  if (discoveryType(cluster) !== 'EDS') return null;
  const named = asStr(asObj(cluster['eds_cluster_config'])?.['service_name']);
  return named ? { path: 'eds_cluster_config.service_name', name: named } : { path: 'name', name: resourceName(cluster) };
}
