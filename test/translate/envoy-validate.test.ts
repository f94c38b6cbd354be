// Envoy itself parses what biplane prints: every golden case's files and the demo client's `biplane translate`
// output, made static (EDS clusters carry their load assignment, HCMs their route configuration inline), pass
// `envoy --mode validate`, so a golden can never freeze configuration Envoy would reject. Skipped with the reason when
// no Envoy is installed, except under CI, where that fails.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { command as translateCmd } from '../../src/cli/translate.ts';
import type { RenderedResources } from '../../src/translate/render.ts';
import { captureCli } from '../support/cli-output.ts';
import { envoyBinary, requireOrSkip } from '../support/requirements.ts';

type Json = Record<string, unknown>;
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const skip = requireOrSkip('envoy --mode validate', ['envoy']);
const GOLDEN = path.join(import.meta.dirname, '../../testdata/translate');

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

/** An Envoy bootstrap holding the printed resources as static resources, with no xDS. */
function staticBootstrap(r: RenderedResources): Json {
  const clusters = r.clusters.map((c) => {
    if (c['type'] !== 'EDS') return c;
    const { eds_cluster_config: eds, ...rest } = c as Json & { eds_cluster_config?: { service_name?: string } };
    const name = eds?.service_name ?? c['name'];
    return { ...rest, type: 'STATIC', load_assignment: r.endpoints.find((e) => e['cluster_name'] === name) ?? { cluster_name: c['name'] } };
  });
  return { node: { id: 'validate', cluster: 'validate' }, static_resources: { listeners: inlineRoutes(r.listeners, r.routes), clusters } };
}

/** Runs `envoy --mode validate` on `bootstrap`; the process is killed when the test ends, whatever happens. */
async function validate(t: TestContext, bootstrap: Json): Promise<{ code: number | null; output: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-envoy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bootstrap.json');
  writeFileSync(file, JSON.stringify(bootstrap, null, 2));
  const child = spawn(envoyBinary() ?? 'envoy', ['--mode', 'validate', '-c', file, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
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

async function translated(strategy: string): Promise<RenderedResources> {
  const run = await captureCli(() => translateCmd.run(['--manifests', 'examples/demo', '--proxy', 'demo/client-dual', '--strategy', strategy]));
  assert.equal(run.code, 0, run.err);
  return JSON.parse(run.out) as RenderedResources;
}

for (const strategy of ['shared', 'per-family']) {
  test(`Envoy validates the ${strategy} translate output for demo/client-dual`, { skip, timeout: 60_000 }, async (t) => {
    const resources = await translated(strategy);
    assert.ok(resources.listeners.length > 0 && resources.clusters.some((c) => c['type'] === 'EDS'));
    const { code, output } = await validate(t, staticBootstrap(resources));
    assert.equal(code, 0, output);
    assert.match(output, /configuration '.*' OK/);
  });
}

test('Envoy rejects the same bootstrap with one unknown enum name, so validation reads every field', { skip, timeout: 60_000 }, async (t) => {
  const bootstrap = staticBootstrap(await translated('shared')) as { static_resources: { clusters: Json[] } };
  bootstrap.static_resources.clusters[0] = { ...bootstrap.static_resources.clusters[0], type: 'NO_SUCH_TYPE' };
  const { code, output } = await validate(t, bootstrap);
  assert.notEqual(code, 0);
  assert.match(output, /NO_SUCH_TYPE/);
});

const cases = readdirSync(GOLDEN, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
for (const name of cases) {
  test(`Envoy validates the golden case ${name} as written on disk`, { skip, timeout: 60_000 }, async (t) => {
    const read = (kind: string): Json[] => JSON.parse(readFileSync(path.join(GOLDEN, name, `${kind}.json`), 'utf8')) as Json[];
    const resources: RenderedResources = { listeners: read('listeners'), clusters: read('clusters'), routes: read('routes'), endpoints: read('endpoints') };
    const { code, output } = await validate(t, staticBootstrap(resources));
    assert.equal(code, 0, output);
    assert.match(output, /configuration '.*' OK/);
  });
}
