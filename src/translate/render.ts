// EnvoyResources as Envoy itself would print them: each resource encoded with the real protos, then printed as
// canonical proto3 JSON (the form Envoy's admin API prints and any proto3 JSON parser, Envoy's included, reads back).
import { encodeMessage, TypeUrl } from '../xds/protos.ts';
import { toProto3Json } from '../xds/proto3-json.ts';
import type { EnvoyResources } from './types.ts';

/** The proto3 JSON of each resource list, keyed as in EnvoyResources. */
export interface RenderedResources {
  readonly listeners: readonly Record<string, unknown>[];
  readonly clusters: readonly Record<string, unknown>[];
  readonly routes: readonly Record<string, unknown>[];
  readonly endpoints: readonly Record<string, unknown>[];
}

/** The type URL of each EnvoyResources list. */
export const RESOURCE_TYPES = {
  listeners: TypeUrl.Listener,
  clusters: TypeUrl.Cluster,
  routes: TypeUrl.RouteConfiguration,
  endpoints: TypeUrl.ClusterLoadAssignment,
} as const;

/** One resource encoded, then printed from the bytes, so what is shown is exactly what would be sent. */
export function renderResource(typeUrl: string, value: object): Record<string, unknown> {
  return toProto3Json(typeUrl, encodeMessage(typeUrl, value)) as Record<string, unknown>;
}

/** Every resource as canonical proto3 JSON. */
export function renderResources(r: EnvoyResources): RenderedResources {
  return {
    listeners: r.listeners.map((x) => renderResource(RESOURCE_TYPES.listeners, x)),
    clusters: r.clusters.map((x) => renderResource(RESOURCE_TYPES.clusters, x)),
    routes: r.routes.map((x) => renderResource(RESOURCE_TYPES.routes, x)),
    endpoints: r.endpoints.map((x) => renderResource(RESOURCE_TYPES.endpoints, x)),
  };
}

const ADMIN = 'type.googleapis.com/envoy.admin.v3';

/** The resources in the shape of Envoy's admin `/config_dump` (envoy.admin.v3.ConfigDump), as proto3 JSON. */
export function configDump(r: EnvoyResources): Record<string, unknown> {
  const any = (url: string, value: object): object => ({ type_url: url, value: encodeMessage(url, value) });
  const dump = {
    configs: [
      any(`${ADMIN}.ListenersConfigDump`, {
        dynamic_listeners: r.listeners.map((l) => ({ name: l.name, active_state: { listener: any(TypeUrl.Listener, l) } })),
      }),
      any(`${ADMIN}.ClustersConfigDump`, { dynamic_active_clusters: r.clusters.map((c) => ({ cluster: any(TypeUrl.Cluster, c) })) }),
      any(`${ADMIN}.RoutesConfigDump`, {
        dynamic_route_configs: r.routes.map((rc) => ({ route_config: any(TypeUrl.RouteConfiguration, rc) })),
      }),
      any(`${ADMIN}.EndpointsConfigDump`, {
        dynamic_endpoint_configs: r.endpoints.map((e) => ({ endpoint_config: any(TypeUrl.ClusterLoadAssignment, e) })),
      }),
    ],
  };
  return toProto3Json('envoy.admin.v3.ConfigDump', dump) as Record<string, unknown>;
}
