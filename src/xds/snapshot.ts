// A Snapshot is everything one node should see: resources per type URL, each type with one version. Snapshots are
// made by a `SnapshotBuilder` (snapshot-builder.ts); this file holds their shape, versions and the consistency check.
import { TypeUrl, decodeMessage } from '../envoy-api/protos.ts';
import type { ResourceProblem } from '../envoy-api/problem.ts';
import { edsServiceRef, rdsRefs } from '../envoy-api/references.ts';
import { contentVersion } from './resource.ts';
import type { Resource } from './resource.ts';
import { compareStrings } from '../compare-strings.ts';

/** The resources of one type URL in a snapshot, and the version that names this exact set. */
export interface SnapshotType {
  readonly version: string;
  readonly resources: ReadonlyMap<string, Resource>;
}

/** What one node should see; immutable, so streams can compare old and new snapshots by reference and version. */
export interface Snapshot {
  readonly types: ReadonlyMap<string, SnapshotType>;
}

/** The version of a set of resources: a hash of their sorted names and content versions. */
export function typeVersion(resources: Iterable<Resource>): string {
  const parts = [...resources].map((r) => `${r.name}\u0000${r.version}`);
  // Callers mostly pass resources already sorted by name; checking is linear, sorting a sorted list is not free.
  let sorted = true;
  for (let i = 1; i < parts.length && sorted; i++) sorted = (parts[i - 1] as string) <= (parts[i] as string);
  if (!sorted) parts.sort();
  return contentVersion(parts.join('\n'));
}

/** The resources of one type (empty when the snapshot has none of that type). */
export function snapshotResources(snapshot: Snapshot, typeUrl: string): ReadonlyMap<string, Resource> {
  return snapshot.types.get(typeUrl)?.resources ?? EMPTY;
}

/** The version of one type, or '' when the snapshot does not carry that type. */
export function snapshotVersion(snapshot: Snapshot, typeUrl: string): string {
  return snapshot.types.get(typeUrl)?.version ?? '';
}

const EMPTY: ReadonlyMap<string, Resource> = new Map();

/**
 * Checks references inside a snapshot: every EDS service name a cluster uses has a ClusterLoadAssignment, and every
 * RDS route_config_name an HttpConnectionManager uses (filter chains and api_listener) has a RouteConfiguration. The
 * names come from src/envoy-api/references.ts, the walk the validator uses too. Returns every problem, sorted; an
 * empty list means consistent. Each problem has the validator's shape and rule id (`reference.eds_assignment`,
 * `reference.route_config`).
 */
export function consistent(snapshot: Snapshot): ResourceProblem[] {
  const problems: ResourceProblem[] = [];
  const endpoints = snapshotResources(snapshot, TypeUrl.ClusterLoadAssignment);
  for (const cluster of snapshotResources(snapshot, TypeUrl.Cluster).values()) {
    const need = edsServiceRef(decodeMessage(TypeUrl.Cluster, cluster.bytes));
    if (need && !endpoints.has(need.name)) {
      const message = `EDS service "${need.name}" has no ClusterLoadAssignment`;
      problems.push({ typeUrl: TypeUrl.Cluster, resource: cluster.name, path: need.path, rule: 'reference.eds_assignment', message });
    }
  }
  const routes = snapshotResources(snapshot, TypeUrl.RouteConfiguration);
  for (const listener of snapshotResources(snapshot, TypeUrl.Listener).values()) {
    for (const ref of rdsRefs(decodeMessage(TypeUrl.Listener, listener.bytes))) {
      if (!routes.has(ref.name)) {
        const message = `RDS route_config_name "${ref.name}" has no RouteConfiguration`;
        problems.push({ typeUrl: TypeUrl.Listener, resource: listener.name, path: ref.path, rule: 'reference.route_config', message });
      }
    }
  }
  return problems.sort((a, b) => `${a.typeUrl} ${a.resource} ${a.message}`.localeCompare(`${b.typeUrl} ${b.resource} ${b.message}`));
}
