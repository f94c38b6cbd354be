// Lets a real Envoy judge a translation: the resources become static resources of the pod's bootstrap (EDS clusters
// as STATIC clusters holding their load assignment, RDS as inline route configurations), encoded as a binary
// Bootstrap, and `envoy --mode validate` loads it without opening a socket.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Proxy } from '../../src/model/types.ts';
import { encodableBootstrap, sidecarBootstrap } from '../../src/translate/bootstrap.ts';
import type { Cluster, EnvoyResources, Listener, NamedFilter } from '../../src/translate/types.ts';
import { encodeMessage } from '../../src/xds/protos.ts';

const VENV_ENVOY = '/work/main/.venv-envoy/lib/python3.11/site-packages/envoy/_bin/envoy';

/** The Envoy binary to test with: `$ENVOY_BIN`, else the project-local one; undefined when neither exists. */
export function envoyBinary(): string | undefined {
  const configured = process.env['ENVOY_BIN'];
  if (configured) return existsSync(configured) ? configured : undefined;
  return existsSync(VENV_ENVOY) ? VENV_ENVOY : undefined;
}

function staticCluster(cluster: Cluster, r: EnvoyResources): Cluster {
  if (cluster.type !== 'EDS') return cluster;
  const { eds_cluster_config: _eds, ...rest } = cluster;
  const assignment = r.endpoints.find((e) => e.cluster_name === cluster.name) ?? { cluster_name: cluster.name, endpoints: [] };
  return { ...rest, type: 'STATIC', load_assignment: assignment };
}

function inlineRoutes(filter: NamedFilter, r: EnvoyResources): NamedFilter {
  const config = filter.typed_config as Record<string, unknown>;
  const rds = config['rds'] as { route_config_name: string } | undefined;
  if (!rds) return filter;
  const { rds: _rds, ...rest } = config;
  const route_config = r.routes.find((x) => x.name === rds.route_config_name) ?? { name: rds.route_config_name, virtual_hosts: [] };
  return { ...filter, typed_config: { ...rest, '@type': String(config['@type']), route_config } };
}

function staticListener(listener: Listener, r: EnvoyResources): Listener {
  const chain = <C extends { filters: readonly NamedFilter[] }>(c: C): C => ({ ...c, filters: c.filters.map((f) => inlineRoutes(f, r)) });
  return {
    ...listener,
    filter_chains: listener.filter_chains.map(chain),
    ...(listener.default_filter_chain ? { default_filter_chain: chain(listener.default_filter_chain) } : {}),
  };
}

/** The pod's bootstrap with `r` as static resources, no dynamic resources, as Bootstrap bytes. */
export function staticBootstrapBytes(proxy: Proxy, r: EnvoyResources): Uint8Array {
  const base = sidecarBootstrap(proxy, { host: '127.0.0.1', port: 15010 });
  const statics = base['static_resources'] as { clusters: object[]; listeners: object[] };
  const bootstrap = {
    node: base['node'],
    admin: base['admin'],
    static_resources: {
      clusters: [...statics.clusters, ...r.clusters.map((c) => staticCluster(c, r))],
      listeners: [...statics.listeners, ...r.listeners.map((l) => staticListener(l, r))],
    },
  };
  return encodeMessage('envoy.config.bootstrap.v3.Bootstrap', encodableBootstrap(bootstrap));
}

/** What `envoy --mode validate` said about the translation: exit status and its output. */
export interface EnvoyVerdict {
  readonly ok: boolean;
  readonly output: string;
}

/** Runs `envoy --mode validate` on the translation of one proxy. */
export function envoyValidate(envoy: string, proxy: Proxy, r: EnvoyResources): EnvoyVerdict {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-envoy-'));
  try {
    const file = path.join(dir, 'bootstrap.pb');
    writeFileSync(file, staticBootstrapBytes(proxy, r));
    const run = spawnSync(envoy, ['--mode', 'validate', '-c', file, '--log-level', 'error', '--base-id', String(process.pid % 60000)], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { ok: run.status === 0, output: `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
