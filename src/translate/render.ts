// EnvoyResources as Envoy itself would print them: each resource encoded with the real protos, then printed as
// canonical proto3 JSON (the form Envoy's admin API prints and any proto3 JSON parser, Envoy's included, reads back).
import { encodeMessage, TypeUrl } from '../envoy-api/protos.ts';
import { toProto3Json } from '../xds/proto3-json.ts';
import { configDump as dumpOf } from '../xds/config-dump.ts';
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

/** The resources in the shape of Envoy's admin `/config_dump` (envoy.admin.v3.ConfigDump), as proto3 JSON. */
export function configDump(r: EnvoyResources): Record<string, unknown> {
  const lists = new Map<string, readonly object[]>([
    [RESOURCE_TYPES.listeners, r.listeners],
    [RESOURCE_TYPES.clusters, r.clusters],
    [RESOURCE_TYPES.routes, r.routes],
    [RESOURCE_TYPES.endpoints, r.endpoints],
  ]);
  return dumpOf((typeUrl) => {
    const list = lists.get(typeUrl);
    return list && { resources: list.map((value) => [nameOf(value), encodeMessage(typeUrl, value)] as const) };
  });
}

/** A resource's name: `name`, or `cluster_name` for a load assignment. */
function nameOf(value: object): string {
  const named = value as { name?: unknown; cluster_name?: unknown };
  return String(named.name ?? named.cluster_name ?? '');
}
