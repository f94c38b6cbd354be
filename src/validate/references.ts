// Rules over the whole snapshot: names unique per type, and every name one resource refers to exists (clusters
// named by TCP proxies and routes, route configs named by RDS, assignments named by EDS clusters), as a
// go-control-plane snapshot consistency check would demand before Envoy warms anything.
import { TypeUrl } from '../envoy-api/protos.ts';
import { asArr, asObj, asStr, resourceName, type Obj } from './access.ts';
import { discoveryType } from './clusters.ts';
import { hcmsOf, TypeName, typedFiltersOf } from './http.ts';
import { fieldPath, indexPath, type Report } from './problem.ts';
import { routeClusterRefs, type ClusterRef } from './routes.ts';

/** The snapshot's resources as plain records. */
export interface Snapshot {
  readonly listeners: readonly Obj[];
  readonly clusters: readonly Obj[];
  readonly routes: readonly Obj[];
  readonly endpoints: readonly Obj[];
}

/** Gives the report function of one resource. */
export type ReportFor = (typeUrl: string, resource: Obj) => Report;

/** Reports a missing name and the second of two resources of one type with the same name. */
export function checkNames(typeUrl: string, resources: readonly Obj[], reportFor: ReportFor): void {
  const field = typeUrl === TypeUrl.ClusterLoadAssignment ? 'cluster_name' : 'name';
  const seen = new Set<string>();
  for (const resource of resources) {
    const name = resourceName(resource);
    const report = reportFor(typeUrl, resource);
    if (name === '') report(field, 'resource.name_required', 'every resource needs a name');
    else if (seen.has(name)) report(field, 'resource.unique_name', `another resource of this type is already named "${name}"`);
    seen.add(name);
  }
}

/** The clusters a listener's TCP proxies and inline route configs send traffic to. */
export function listenerClusterRefs(listener: Obj): ClusterRef[] {
  const refs: ClusterRef[] = [];
  for (const proxy of typedFiltersOf(listener, TypeName.tcpProxy)) {
    const cluster = asStr(proxy.value['cluster']);
    if (cluster !== undefined) refs.push({ path: fieldPath(proxy.path, 'cluster'), cluster });
    const base = fieldPath(fieldPath(proxy.path, 'weighted_clusters'), 'clusters');
    asArr(asObj(proxy.value['weighted_clusters'])?.['clusters']).forEach((w, i) => {
      const name = asStr(asObj(w)?.['name']);
      if (name !== undefined) refs.push({ path: fieldPath(indexPath(base, i), 'name'), cluster: name });
    });
  }
  for (const hcm of hcmsOf(listener)) {
    const inline = asObj(hcm.value['route_config']);
    if (inline) refs.push(...routeClusterRefs(inline, fieldPath(hcm.path, 'route_config')));
  }
  return refs;
}

function checkClusterRefs(refs: readonly ClusterRef[], clusters: ReadonlySet<string>, report: Report): void {
  for (const ref of refs) {
    if (!clusters.has(ref.cluster)) report(ref.path, 'reference.cluster', `names cluster "${ref.cluster}", which is not in the snapshot`);
  }
}

/** Reports every reference to a cluster, route configuration or load assignment the snapshot does not contain. */
export function checkReferences(snapshot: Snapshot, reportFor: ReportFor): void {
  const clusters = new Set(snapshot.clusters.map(resourceName));
  const routes = new Set(snapshot.routes.map(resourceName));
  const assignments = new Set(snapshot.endpoints.map(resourceName));
  for (const listener of snapshot.listeners) {
    const report = reportFor(TypeUrl.Listener, listener);
    checkClusterRefs(listenerClusterRefs(listener), clusters, report);
    for (const hcm of hcmsOf(listener)) {
      const name = asStr(asObj(hcm.value['rds'])?.['route_config_name']);
      if (name !== undefined && !routes.has(name)) {
        report(fieldPath(fieldPath(hcm.path, 'rds'), 'route_config_name'), 'reference.route_config', `names route configuration "${name}", which is not in the snapshot`);
      }
    }
  }
  for (const route of snapshot.routes) {
    checkClusterRefs(routeClusterRefs(route, ''), clusters, reportFor(TypeUrl.RouteConfiguration, route));
  }
  for (const cluster of snapshot.clusters) {
    if (discoveryType(cluster) !== 'EDS') continue;
    const service = asStr(asObj(cluster['eds_cluster_config'])?.['service_name']) || resourceName(cluster);
    if (!assignments.has(service)) {
      const path = asStr(asObj(cluster['eds_cluster_config'])?.['service_name']) ? 'eds_cluster_config.service_name' : 'name';
      reportFor(TypeUrl.Cluster, cluster)(path, 'reference.eds_assignment', `EDS service "${service}" has no ClusterLoadAssignment in the snapshot`);
    }
  }
}
