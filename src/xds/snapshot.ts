// A Snapshot is everything one node should see: resources per type URL, each type with one version. Snapshots are
// made by a `SnapshotBuilder` (snapshot-builder.ts); this file holds their shape, versions and the consistency check.
import { TypeUrl, messageType } from '../envoy-api/protos.ts';
import { contentVersion } from './resource.ts';
import type { Resource } from './resource.ts';

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

/** One consistency problem: which resource refers to what missing name. */
export interface SnapshotProblem {
  readonly typeUrl: string;
  readonly resource: string;
  readonly message: string;
}

/**
 * Checks references inside a snapshot: every EDS service name a cluster uses has a ClusterLoadAssignment, and every
 * RDS route_config_name an HttpConnectionManager uses (filter chains and api_listener) has a RouteConfiguration.
 * Returns every problem, sorted; an empty list means consistent.
 */
export function consistent(snapshot: Snapshot): SnapshotProblem[] {
  const problems: SnapshotProblem[] = [];
  const endpoints = snapshotResources(snapshot, TypeUrl.ClusterLoadAssignment);
  for (const cluster of snapshotResources(snapshot, TypeUrl.Cluster).values()) {
    const c = decodePlain(TypeUrl.Cluster, cluster.bytes);
    if (c['type'] !== 'EDS') continue;
    const eds = c['eds_cluster_config'] as Record<string, unknown> | undefined;
    const service = typeof eds?.['service_name'] === 'string' && eds['service_name'] !== '' ? eds['service_name'] : cluster.name;
    if (!endpoints.has(service)) {
      problems.push({ typeUrl: TypeUrl.Cluster, resource: cluster.name, message: `EDS service "${service}" has no ClusterLoadAssignment` });
    }
  }
  const routes = snapshotResources(snapshot, TypeUrl.RouteConfiguration);
  for (const listener of snapshotResources(snapshot, TypeUrl.Listener).values()) {
    for (const name of rdsNames(decodePlain(TypeUrl.Listener, listener.bytes))) {
      if (!routes.has(name)) {
        problems.push({ typeUrl: TypeUrl.Listener, resource: listener.name, message: `RDS route_config_name "${name}" has no RouteConfiguration` });
      }
    }
  }
  return problems.sort((a, b) => `${a.typeUrl} ${a.resource} ${a.message}`.localeCompare(`${b.typeUrl} ${b.resource} ${b.message}`));
}

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** Every RDS route_config_name a listener's HttpConnectionManagers name, in filter chains and api_listener. */
function rdsNames(listener: Record<string, unknown>): string[] {
  const hcms: unknown[] = [];
  const api = listener['api_listener'] as Record<string, unknown> | undefined;
  if (api) hcms.push(api['api_listener']);
  const chains = [...asArray(listener['filter_chains']), listener['default_filter_chain']];
  for (const chain of chains) {
    for (const filter of asArray((chain as Record<string, unknown> | undefined)?.['filters'])) {
      hcms.push((filter as Record<string, unknown>)['typed_config']);
    }
  }
  const names: string[] = [];
  for (const any of hcms) {
    const config = any as Record<string, unknown> | undefined;
    if (config?.['@type'] !== HCM) continue;
    const rds = config['rds'] as Record<string, unknown> | undefined;
    if (typeof rds?.['route_config_name'] === 'string') names.push(rds['route_config_name']);
  }
  return names;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function decodePlain(typeUrl: string, bytes: Uint8Array): Record<string, unknown> {
  const type = messageType(typeUrl);
  return type.toObject(type.decode(bytes), { enums: String, longs: Number, json: true }) as Record<string, unknown>;
}
