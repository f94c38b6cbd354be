// EnvoyResources as Envoy itself would print them: each resource encoded with the real protos and decoded back, so
// what a user (or a golden file) sees is what the encoder produced, `@type` on every Any.
import { decodeMessage, encodeMessage, TypeUrl } from '../xds/protos.ts';
import type { EnvoyResources } from './types.ts';

/** The decoded form of each resource list, keyed as in EnvoyResources. */
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

/** Encodes then decodes one message, proving the plain object is a valid instance of its type. */
export function roundTrip(typeUrl: string, value: object): Record<string, unknown> {
  return decodeMessage(typeUrl, encodeMessage(typeUrl, value));
}

/** Every resource through encode → decode. */
export function renderResources(r: EnvoyResources): RenderedResources {
  return {
    listeners: r.listeners.map((x) => roundTrip(RESOURCE_TYPES.listeners, x)),
    clusters: r.clusters.map((x) => roundTrip(RESOURCE_TYPES.clusters, x)),
    routes: r.routes.map((x) => roundTrip(RESOURCE_TYPES.routes, x)),
    endpoints: r.endpoints.map((x) => roundTrip(RESOURCE_TYPES.endpoints, x)),
  };
}

const ADMIN = 'type.googleapis.com/envoy.admin.v3';

/** The resources in the shape of Envoy's admin `/config_dump` (envoy.admin.v3.ConfigDump), encoded and decoded. */
export function configDump(r: EnvoyResources): Record<string, unknown> {
  const any = (url: string, value: object): object => ({ '@type': url, ...value });
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
  return roundTrip('envoy.admin.v3.ConfigDump', dump);
}
