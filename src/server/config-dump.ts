// A proxy's published snapshot in the shape of Envoy's admin /config_dump (envoy.admin.v3.ConfigDump), printed as
// canonical proto3 JSON, so the tools that read an Envoy's dump can read what biplane sends it. Each resource's Any
// holds the exact bytes sent.
import { TypeUrl, toProto3Json } from '../xds/index.ts';
import type { Snapshot } from '../xds/index.ts';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

/** The ConfigDump JSON of one snapshot; `lastUpdated` is when it was published. */
export function configDump(snapshot: Snapshot, lastUpdated: Date): { configs: Record<string, unknown>[] } {
  const ms = lastUpdated.getTime();
  const last_updated = { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
  const section = (typeUrl: string, wrap: (value: object, name: string, version: string) => object) => {
    const type = snapshot.types.get(typeUrl);
    const version = type?.version ?? '';
    const items = [...(type?.resources.entries() ?? [])].map(([name, r]) => wrap({ type_url: typeUrl, value: r.bytes }, name, version));
    return { version, items };
  };
  const listeners = section(TypeUrl.Listener, (listener, name, version) => ({
    name,
    active_state: { version_info: version, listener, last_updated },
  }));
  const clusters = section(TypeUrl.Cluster, (cluster, _name, version) => ({ version_info: version, cluster, last_updated }));
  const routes = section(TypeUrl.RouteConfiguration, (route_config, _name, version) => ({ version_info: version, route_config, last_updated }));
  const endpoints = section(TypeUrl.ClusterLoadAssignment, (endpoint_config, _name, version) => ({
    version_info: version,
    endpoint_config,
    last_updated,
  }));
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
