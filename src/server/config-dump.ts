// A proxy's published snapshot in the shape of Envoy's admin /config_dump (envoy.admin.v3.ConfigDump), so the
// tools that read an Envoy's dump can read what biplane sends it. Resources are decoded from the exact bytes sent.
import { TypeUrl, decodeMessage } from '../xds/index.ts';
import type { Snapshot } from '../xds/index.ts';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

/** The ConfigDump JSON of one snapshot; `lastUpdated` is when it was published. */
export function configDump(snapshot: Snapshot, lastUpdated: Date): { configs: Record<string, unknown>[] } {
  const at = lastUpdated.toISOString();
  const section = (typeUrl: string, wrap: (value: Record<string, unknown>, version: string) => Record<string, unknown>) => {
    const type = snapshot.types.get(typeUrl);
    const version = type?.version ?? '';
    const items = [...(type?.resources.values() ?? [])].map((r) => wrap({ '@type': typeUrl, ...decodeMessage(typeUrl, r.bytes) }, version));
    return { version, items };
  };
  const listeners = section(TypeUrl.Listener, (listener, version) => ({
    name: listener['name'],
    active_state: { version_info: version, listener, last_updated: at },
  }));
  const clusters = section(TypeUrl.Cluster, (cluster, version) => ({ version_info: version, cluster, last_updated: at }));
  const routes = section(TypeUrl.RouteConfiguration, (route_config, version) => ({ version_info: version, route_config, last_updated: at }));
  const endpoints = section(TypeUrl.ClusterLoadAssignment, (endpoint_config, version) => ({
    version_info: version,
    endpoint_config,
    last_updated: at,
  }));
  return {
    configs: [
      { '@type': `${ADMIN}ClustersConfigDump`, version_info: clusters.version, dynamic_active_clusters: clusters.items },
      { '@type': `${ADMIN}ListenersConfigDump`, version_info: listeners.version, dynamic_listeners: listeners.items },
      { '@type': `${ADMIN}RoutesConfigDump`, dynamic_route_configs: routes.items },
      { '@type': `${ADMIN}EndpointsConfigDump`, dynamic_endpoint_configs: endpoints.items },
    ],
  };
}
