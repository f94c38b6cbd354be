// The one renderer of Envoy's admin /config_dump shape (envoy.admin.v3.ConfigDump) as canonical proto3 JSON, in
// Envoy's own section order (clusters, listeners, routes, endpoints). Each resource's Any holds the exact bytes given,
// so what is printed is what was (or would be) sent. The server dumps published snapshots with it, `biplane translate
// --output config-dump` freshly translated resources.
import { toProto3Json } from './proto3-json.ts';
import { TypeUrl } from '../envoy-api/protos.ts';
import type { Snapshot } from './snapshot.ts';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

/** One type's encoded resources as (name, bytes), and the version they were sent at (none offline). */
export interface DumpedType {
  readonly version?: string;
  readonly resources: readonly (readonly [string, Uint8Array])[];
}

/** The ConfigDump JSON of the given types' resources; `lastUpdated` (when they were published) is left out when unknown. */
export function configDump(typeOf: (typeUrl: string) => DumpedType | undefined, lastUpdated?: Date): { configs: Record<string, unknown>[] } {
  const stamp = lastUpdated === undefined ? {} : { last_updated: timestamp(lastUpdated) };
  const section = (typeUrl: string, wrap: (value: object, name: string, version: string) => object) => {
    const type = typeOf(typeUrl);
    const version = type?.version ?? '';
    const items = (type?.resources ?? []).map(([name, bytes]) => wrap({ type_url: typeUrl, value: bytes }, name, version));
    return { version, items };
  };
  const listeners = section(TypeUrl.Listener, (listener, name, version) => ({ name, active_state: { version_info: version, listener, ...stamp } }));
  const clusters = section(TypeUrl.Cluster, (cluster, _name, version) => ({ version_info: version, cluster, ...stamp }));
  const routes = section(TypeUrl.RouteConfiguration, (route_config, _name, version) => ({ version_info: version, route_config, ...stamp }));
  const endpoints = section(TypeUrl.ClusterLoadAssignment, (endpoint_config, _name, version) => ({ version_info: version, endpoint_config, ...stamp }));
  const dump = {
    configs: [
      { '@type': `${ADMIN}ClustersConfigDump`, version_info: clusters.version, dynamic_active_clusters: clusters.items },
      { '@type': `${ADMIN}ListenersConfigDump`, version_info: listeners.version, dynamic_listeners: listeners.items },
      { '@type': `${ADMIN}RoutesConfigDump`, dynamic_route_configs: routes.items },
      { '@type': `${ADMIN}EndpointsConfigDump`, dynamic_endpoint_configs: endpoints.items },
    ],
  };
  return toProto3Json('envoy.admin.v3.ConfigDump', dump) as { configs: Record<string, unknown>[] };
}

/** The ConfigDump JSON of one published snapshot, each type at its version, updated at `lastUpdated`. */
export function snapshotConfigDump(snapshot: Snapshot, lastUpdated: Date): { configs: Record<string, unknown>[] } {
  return configDump((typeUrl) => {
    const type = snapshot.types.get(typeUrl);
    if (!type) return undefined;
    return { version: type.version, resources: [...type.resources.entries()].map(([name, r]) => [name, r.bytes] as const) };
  }, lastUpdated);
}

function timestamp(at: Date): { seconds: number; nanos: number } {
  const ms = at.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}
