// The sections of an admin config dump (Envoy's or biplane's `/debug/config_dump`, proto3 JSON) and the resources
// inside each, read defensively: a missing field reads as empty.

/** The four sections `proxy-config` shows. */
export type DumpSection = 'listeners' | 'clusters' | 'routes' | 'endpoints';

/** Every section, in the order `all` prints them (istioctl's). */
export const DUMP_SECTIONS: readonly DumpSection[] = ['clusters', 'listeners', 'routes', 'endpoints'];

/** A JSON object seen loosely. */
export type Json = Record<string, unknown>;

/** `v` as an object (empty when it is not one). */
export const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
/** `v` as an array (empty when it is not one). */
export const arr = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
/** `v` as a string, else undefined. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The admin type of each section's config, and the field holding its resources with the key of each resource. */
const SHAPE: Readonly<Record<DumpSection, { type: string; list: string; inner: (item: Json) => unknown }>> = {
  clusters: { type: 'ClustersConfigDump', list: 'dynamic_active_clusters', inner: (i) => i['cluster'] },
  listeners: { type: 'ListenersConfigDump', list: 'dynamic_listeners', inner: (i) => obj(i['active_state'])['listener'] },
  routes: { type: 'RoutesConfigDump', list: 'dynamic_route_configs', inner: (i) => i['route_config'] },
  endpoints: { type: 'EndpointsConfigDump', list: 'dynamic_endpoint_configs', inner: (i) => i['endpoint_config'] },
};

/** One section's config object of a dump, as is (undefined when the dump has none). */
export function dumpSection(dump: unknown, section: DumpSection): Json | undefined {
  const type = `type.googleapis.com/envoy.admin.v3.${SHAPE[section].type}`;
  const found = arr(obj(dump)['configs']).find((c) => obj(c)['@type'] === type);
  return found === undefined ? undefined : obj(found);
}

/** The resources (Listener, Cluster, RouteConfiguration, ClusterLoadAssignment objects) of one section. */
export function sectionResources(dump: unknown, section: DumpSection): Json[] {
  const config = dumpSection(dump, section);
  return arr(config?.[SHAPE[section].list]).map((item) => obj(SHAPE[section].inner(obj(item))));
}

/** A core Address as text: `10.0.0.1:80`, `[fd00::1]:80`, `::6` without a port, or a pipe's path. */
export function addressText(address: unknown, withPort = true): string {
  const a = obj(address);
  const pipe = str(obj(a['pipe'])['path']);
  if (pipe !== undefined) return `unix:${pipe}`;
  const socket = obj(a['socket_address']);
  const ip = str(socket['address']) ?? '?';
  if (!withPort) return ip;
  const port = socket['port_value'] ?? socket['named_port'] ?? 0;
  return ip.includes(':') ? `[${ip}]:${String(port)}` : `${ip}:${String(port)}`;
}
