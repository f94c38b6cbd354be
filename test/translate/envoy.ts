// Lets a real Envoy judge a translation: the printed resources (canonical proto3 JSON) become static resources of a
// bootstrap (EDS clusters as STATIC clusters holding their load assignment, RDS as inline route configurations), and
// `envoy --mode validate` loads it without opening a socket, or a running Envoy serves it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { Proxy } from '../../src/model/types.ts';
import { sidecarBootstrap } from '../../src/translate/bootstrap.ts';
import { renderResources, type RenderedResources } from '../../src/translate/render.ts';
import type { EnvoyResources } from '../../src/translate/types.ts';
import { envoyBinary } from '../support/requirements.ts';

type Json = Record<string, unknown>;
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** A copy of `value` where every HCM that names an RDS route configuration holds that configuration inline. */
function inlineRoutes(value: unknown, routes: readonly Json[]): unknown {
  if (Array.isArray(value)) return value.map((v) => inlineRoutes(v, routes));
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inlineRoutes(v, routes)]));
  const rds = out['rds'] as { route_config_name: string } | undefined;
  if (out['@type'] === HCM && rds) {
    delete out['rds'];
    out['route_config'] = routes.find((r) => r['name'] === rds.route_config_name);
    assert.ok(out['route_config'], `route configuration ${rds.route_config_name} is translated`);
  }
  return out;
}

/**
 * A bootstrap holding printed resources as static resources, with no xDS. With a `proxy`, it is that pod's sidecar
 * bootstrap (node, admin, stats and readiness listeners) plus the resources; without, a bare node.
 */
export function staticBootstrap(r: RenderedResources, proxy?: Proxy): Json {
  const clusters = r.clusters.map((c) => {
    if (c['type'] !== 'EDS') return c;
    const { eds_cluster_config: eds, ...rest } = c as Json & { eds_cluster_config?: { service_name?: string } };
    const name = eds?.service_name ?? c['name'];
    return { ...rest, type: 'STATIC', load_assignment: r.endpoints.find((e) => e['cluster_name'] === name) ?? { cluster_name: c['name'] } };
  });
  const listeners = inlineRoutes(r.listeners, r.routes) as Json[];
  if (!proxy) return { node: { id: 'validate', cluster: 'validate' }, static_resources: { listeners, clusters } };
  const base = sidecarBootstrap(proxy, { host: '127.0.0.1', port: 15010 });
  const statics = base['static_resources'] as { clusters: Json[]; listeners: Json[] };
  return {
    node: base['node'],
    admin: base['admin'],
    static_resources: { clusters: [...statics.clusters, ...clusters], listeners: [...statics.listeners, ...listeners] },
  };
}

/** `staticBootstrap` of a translation, through the same printer `biplane translate` uses. */
export function translatedBootstrap(proxy: Proxy, r: EnvoyResources): Json {
  return staticBootstrap(renderResources(r), proxy);
}

/** What `envoy --mode validate` said: its exit code and output. */
export interface EnvoyVerdict {
  readonly code: number | null;
  readonly output: string;
}

/** Runs `envoy --mode validate` on `bootstrap`; the process is killed when the test ends, whatever happens. */
export async function envoyValidate(t: TestContext, bootstrap: Json): Promise<EnvoyVerdict> {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-envoy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bootstrap.json');
  writeFileSync(file, JSON.stringify(bootstrap, null, 2));
  const child = spawn(envoyBinary() ?? 'envoy', ['--mode', 'validate', '-c', file, '--log-level', 'warn', '--use-dynamic-base-id'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  return { code, output };
}

/** Asserts that Envoy validates `bootstrap`. */
export async function assertEnvoyAccepts(t: TestContext, bootstrap: Json, what: string): Promise<void> {
  const { code, output } = await envoyValidate(t, bootstrap);
  assert.equal(code, 0, `${what}: ${output}`);
  assert.match(output, /configuration '.*' OK/, what);
}
