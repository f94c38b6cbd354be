// Compares Envoy's own admin `/config_dump?include_eds` with biplane's `translate --output config-dump`, resource for
// resource. Versions and timestamps are ignored. Envoy prints endpoints from its host sets rather than the message it
// received, so load assignments are compared after the few things that reconstruction adds or reorders are
// normalised: empty `health_check_config`, the default `overprovisioning_factor` 140, and locality order within a
// priority.
import assert from 'node:assert/strict';

type Json = Record<string, unknown>;

/** The dynamic resources of a config dump, by type and name. */
export interface DumpResources {
  readonly listeners: Map<string, Json>;
  readonly clusters: Map<string, Json>;
  readonly routes: Map<string, Json>;
  readonly endpoints: Map<string, Json>;
}

function section(dump: Json, type: string): Json {
  const configs = (dump['configs'] ?? []) as Json[];
  return configs.find((c) => c['@type'] === `type.googleapis.com/envoy.admin.v3.${type}`) ?? {};
}

function byName(items: unknown, pick: (item: Json) => Json | undefined, name: string): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const item of (items ?? []) as Json[]) {
    const resource = pick(item);
    if (resource) out.set(String(resource[name]), resource);
  }
  return out;
}

/** The dynamic listeners (active), clusters (active), route configurations and load assignments of `dump`. */
export function dumpResources(dump: Json): DumpResources {
  const get = (key: string) => (item: Json): Json | undefined => item[key] as Json | undefined;
  return {
    listeners: byName(section(dump, 'ListenersConfigDump')['dynamic_listeners'], (l) => (l['active_state'] as Json | undefined)?.['listener'] as Json | undefined, 'name'),
    clusters: byName(section(dump, 'ClustersConfigDump')['dynamic_active_clusters'], get('cluster'), 'name'),
    routes: byName(section(dump, 'RoutesConfigDump')['dynamic_route_configs'], get('route_config'), 'name'),
    endpoints: byName(section(dump, 'EndpointsConfigDump')['dynamic_endpoint_configs'], get('endpoint_config'), 'cluster_name'),
  };
}

/** A load assignment as Envoy reconstructs it, reduced to what was sent. */
function normalizeAssignment(cla: Json): Json {
  const { policy, endpoints, ...rest } = cla as Json & { policy?: Json; endpoints?: Json[] };
  const keptPolicy = policy && !(Object.keys(policy).length === 1 && policy['overprovisioning_factor'] === 140) ? { policy } : {};
  const groups = (endpoints ?? []).map((group) => ({
    ...group,
    lb_endpoints: ((group['lb_endpoints'] ?? []) as Json[]).map((lb) => {
      const { health_check_config: hc, ...endpoint } = (lb['endpoint'] ?? {}) as Json;
      const keepHc = hc !== undefined && Object.keys(hc as Json).length > 0 ? { health_check_config: hc } : {};
      return { ...lb, endpoint: { ...endpoint, ...keepHc } };
    }),
  }));
  const key = (g: Json): string => `${String(g['priority'] ?? 0).padStart(4, '0')} ${JSON.stringify(g['locality'] ?? {})}`;
  groups.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return { ...rest, ...(groups.length > 0 ? { endpoints: groups } : {}), ...keptPolicy };
}

/**
 * Asserts that Envoy runs exactly what biplane says it sent: the same dynamic listeners, clusters and routes, equal
 * field for field, and for every EDS cluster the same load assignment. Envoy also lists assignments of non-EDS
 * clusters (STATIC, ORIGINAL_DST), which biplane does not send; those must belong to clusters biplane sent.
 */
export function assertSameConfig(envoyDump: Json, biplaneDump: Json, what: string): void {
  const envoy = dumpResources(envoyDump);
  const ours = dumpResources(biplaneDump);
  for (const kind of ['listeners', 'clusters', 'routes'] as const) {
    assert.deepEqual([...envoy[kind].keys()].sort(), [...ours[kind].keys()].sort(), `${what}: the same ${kind} by name`);
    for (const [name, resource] of ours[kind]) assert.deepEqual(envoy[kind].get(name), resource, `${what}: ${kind} ${name}`);
  }
  assert.ok(ours.endpoints.size > 0, `${what}: biplane sent load assignments`);
  for (const [name, cla] of ours.endpoints) {
    const theirs = envoy.endpoints.get(name);
    assert.ok(theirs, `${what}: Envoy has the load assignment of ${name}`);
    assert.deepEqual(normalizeAssignment(theirs), normalizeAssignment(cla), `${what}: endpoints of ${name}`);
  }
  for (const name of envoy.endpoints.keys()) {
    if (ours.endpoints.has(name)) continue;
    const cluster = ours.clusters.get(name);
    assert.ok(cluster && cluster['type'] !== 'EDS', `${what}: Envoy lists endpoints of ${name}, which biplane never sent`);
  }
}
