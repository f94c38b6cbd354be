// Every name one resource refers to exists in the set: clusters named by TCP proxies and routes, route configs named
// by RDS, assignments named by EDS clusters, as a go-control-plane snapshot consistency check would demand before Envoy
// warms anything. What each resource refers to is src/envoy-api/references.ts's walk, remembered through the Memo;
// only the lookups run per set.
import { TypeUrl } from '../envoy-api/protos.ts';
import type { Obj } from '../envoy-api/plain.ts';
import { edsServiceRef, listenerClusterRefs, rdsRefs, routeClusterRefs, type NameRef } from '../envoy-api/references.ts';
import type { ResourceProblem } from '../envoy-api/problem.ts';
import { reporter, type Memo } from './problem.ts';

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
  readonly clusters: readonly NameRef[];
  readonly rds: readonly NameRef[];
}

/** The cluster refs of a routes array, per route, plus every name referred to (to skip the walk when all exist). */
interface RouteRefs {
  readonly perRoute: readonly { readonly route: Obj; readonly refs: readonly NameRef[] }[];
  readonly names: ReadonlySet<string>;
}

function listenerRefsOf(listener: Obj): ListenerRefs {
  return { clusters: listenerClusterRefs(listener), rds: rdsRefs(listener) };
}

function routeRefsOf(routes: readonly Obj[]): RouteRefs {
  const perRoute = routes.map((route) => ({ route, refs: routeClusterRefs(route, '') }));
  return { perRoute, names: new Set(perRoute.flatMap((r) => r.refs.map((ref) => ref.name))) };
}

function missingCluster(name: string): string {
  return `names cluster "${name}", which is not in the snapshot`;
}

/** Reports every reference to a cluster, route configuration or load assignment the snapshot does not contain. */
export function checkReferences(set: SetFacts, memo: Memo, into: ResourceProblem[]): void {
  const clusters = set.clusters.names;
  const listenerRefs = memo.slot<Obj, ListenerRefs>('listener references');
  for (const listener of set.listeners.plain) {
    const refs = listenerRefs(listener, listenerRefsOf);
    const report = reporter(TypeUrl.Listener, listener, into);
    for (const ref of refs.clusters) if (!clusters.has(ref.name)) report(ref.path, 'reference.cluster', missingCluster(ref.name));
    for (const ref of refs.rds) {
      if (!set.routes.names.has(ref.name)) report(ref.path, 'reference.route_config', `names route configuration "${ref.name}", which is not in the snapshot`);
    }
  }
  const routeRefs = memo.slot<readonly Obj[], RouteRefs>('route references')(set.routes.plain, routeRefsOf);
  let complete = true;
  for (const name of routeRefs.names) if (!clusters.has(name)) complete = false;
  if (!complete) {
    for (const { route, refs } of routeRefs.perRoute) {
      const report = reporter(TypeUrl.RouteConfiguration, route, into);
      for (const ref of refs) if (!clusters.has(ref.name)) report(ref.path, 'reference.cluster', missingCluster(ref.name));
    }
  }
  const edsNeeds = memo.slot<Obj, NameRef | null>('EDS needs');
  for (const cluster of set.clusters.plain) {
    const need = edsNeeds(cluster, edsServiceRef);
    if (need === null || set.endpoints.names.has(need.name)) continue;
    reporter(TypeUrl.Cluster, cluster, into)(need.path, 'reference.eds_assignment', `EDS service "${need.name}" has no ClusterLoadAssignment in the snapshot`);
  }
}
