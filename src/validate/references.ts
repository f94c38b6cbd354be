// Every name one resource refers to exists in the snapshot: clusters named by TCP proxies and routes, route configs
// named by RDS, assignments named by EDS clusters, as a go-control-plane snapshot consistency check would demand
// before Envoy warms anything. What each resource refers to is remembered through the Memo; only the lookups run per set.
import { TypeUrl } from '../envoy-api/protos.ts';
import { asArr, asObj, asStr, resourceName, type Obj } from './access.ts';
import { discoveryType } from './clusters.ts';
import { hcmsOf, TypeName, typedFiltersOf } from './http.ts';
import { fieldPath, indexPath, reporter, type Memo, type ValidationProblem } from './problem.ts';
import { routeClusterRefs, type ClusterRef } from './routes.ts';

/** One type's resources as the set rules read them: plain records and the names they go by. */
export interface TypeFacts {
  readonly plain: readonly Obj[];
  readonly names: ReadonlySet<string>;
}

/** The four types of one snapshot, as facts. */
export interface SetFacts {
  readonly listeners: TypeFacts;
  readonly routes: TypeFacts;
  readonly clusters: TypeFacts;
  readonly endpoints: TypeFacts;
}

/** What a listener refers to: clusters (TCP proxy, inline routes) and RDS names, with where. */
interface ListenerRefs {
  readonly clusters: readonly ClusterRef[];
  readonly rds: readonly ClusterRef[];
}

/** The cluster refs of a routes array, per route, plus every name referred to (to skip the walk when all exist). */
interface RouteRefs {
  readonly perRoute: readonly { readonly route: Obj; readonly refs: readonly ClusterRef[] }[];
  readonly names: ReadonlySet<string>;
}

/** The EDS service a cluster needs an assignment for, with the field that names it; null when it needs none. */
type EdsNeed = { readonly service: string; readonly path: string } | null;

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

function listenerRefsOf(listener: Obj): ListenerRefs {
  const rds: ClusterRef[] = [];
  for (const hcm of hcmsOf(listener)) {
    const name = asStr(asObj(hcm.value['rds'])?.['route_config_name']);
    if (name !== undefined) rds.push({ path: fieldPath(fieldPath(hcm.path, 'rds'), 'route_config_name'), cluster: name });
  }
  return { clusters: listenerClusterRefs(listener), rds };
}

function routeRefsOf(routes: readonly Obj[]): RouteRefs {
  const perRoute = routes.map((route) => ({ route, refs: routeClusterRefs(route, '') }));
  return { perRoute, names: new Set(perRoute.flatMap((r) => r.refs.map((ref) => ref.cluster))) };
}

function edsNeed(cluster: Obj): EdsNeed {
  if (discoveryType(cluster) !== 'EDS') return null;
  const named = asStr(asObj(cluster['eds_cluster_config'])?.['service_name']);
  return { service: named || resourceName(cluster), path: named ? 'eds_cluster_config.service_name' : 'name' };
}

function missingCluster(name: string): string {
  return `names cluster "${name}", which is not in the snapshot`;
}

/** Reports every reference to a cluster, route configuration or load assignment the snapshot does not contain. */
export function checkReferences(set: SetFacts, memo: Memo, into: ValidationProblem[]): void {
  const clusters = set.clusters.names;
  const listenerRefs = memo.slot<Obj, ListenerRefs>('listener references');
  for (const listener of set.listeners.plain) {
    const refs = listenerRefs(listener, listenerRefsOf);
    const report = reporter(TypeUrl.Listener, listener, into);
    for (const ref of refs.clusters) if (!clusters.has(ref.cluster)) report(ref.path, 'reference.cluster', missingCluster(ref.cluster));
    for (const ref of refs.rds) {
      if (!set.routes.names.has(ref.cluster)) report(ref.path, 'reference.route_config', `names route configuration "${ref.cluster}", which is not in the snapshot`);
    }
  }
  const routeRefs = memo.slot<readonly Obj[], RouteRefs>('route references')(set.routes.plain, routeRefsOf);
  let complete = true;
  for (const name of routeRefs.names) if (!clusters.has(name)) complete = false;
  if (!complete) {
    for (const { route, refs } of routeRefs.perRoute) {
      const report = reporter(TypeUrl.RouteConfiguration, route, into);
      for (const ref of refs) if (!clusters.has(ref.cluster)) report(ref.path, 'reference.cluster', missingCluster(ref.cluster));
    }
  }
  const edsNeeds = memo.slot<Obj, EdsNeed>('EDS needs');
  for (const cluster of set.clusters.plain) {
    const need = edsNeeds(cluster, edsNeed);
    if (need === null || set.endpoints.names.has(need.service)) continue;
    reporter(TypeUrl.Cluster, cluster, into)(need.path, 'reference.eds_assignment', `EDS service "${need.service}" has no ClusterLoadAssignment in the snapshot`);
  }
}
