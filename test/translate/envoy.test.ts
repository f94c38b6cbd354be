// Envoy itself judges what biplane prints: every demo pod's translation under both strategies, the `biplane translate`
// output, and every golden case as written on disk, made static (see envoy.ts), pass `envoy --mode validate`, so a
// golden can never freeze configuration Envoy would reject. Two negative controls show that validation reads every
// field and Envoy's own rules. Skipped with the reason when no Envoy is installed, except under CI, where that fails.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { command as translateCmd } from '../../src/cli/translate.ts';
import { loadMesh } from '../../src/index.ts';
import { loadManifests } from '../../src/sources/files/index.ts';
import { translate } from '../../src/translate/index.ts';
import type { RenderedResources } from '../../src/translate/render.ts';
import { captureCli } from '../support/cli-output.ts';
import { requireOrSkip } from '../support/requirements.ts';
import { assertEnvoyAccepts, envoyValidate, staticBootstrap, translatedBootstrap } from './envoy.ts';
import { clients, port, proxyFor, service } from './fixtures.ts';
import { GOLDEN_ROOT, goldenCases } from './golden-cases.ts';
import { mesh } from './mesh.ts';

type Json = Record<string, unknown>;
const skip = requireOrSkip('envoy --mode validate', ['envoy']);
const DEMO = path.join(import.meta.dirname, '../../examples/demo');

async function printed(strategy: string): Promise<RenderedResources> {
  const run = await captureCli(() => translateCmd.run(['--manifests', DEMO, '--proxy', 'demo/client-dual', '--strategy', strategy]));
  assert.equal(run.code, 0, run.err);
  return JSON.parse(run.out) as RenderedResources;
}

for (const strategy of ['shared', 'per-family']) {
  test(`Envoy validates what biplane translate prints for demo/client-dual (${strategy})`, { skip, timeout: 60_000 }, async (t) => {
    const resources = await printed(strategy);
    assert.ok(resources.listeners.length > 0 && resources.clusters.some((c) => c['type'] === 'EDS'));
    await assertEnvoyAccepts(t, staticBootstrap(resources), `client-dual (${strategy})`);
  });
}

test('Envoy accepts every demo pod’s sidecar configuration under both strategies', { skip, timeout: 300_000 }, async (t) => {
  const pods = (await loadManifests(DEMO)).objects.filter((o) => o.key.kind === 'Pod').map((o) => `${o.key.namespace}/${o.key.name}`);
  assert.ok(pods.length >= 10, 'the demo has its pods');
  for (const pod of pods.sort()) {
    const loaded = await loadMesh(DEMO, pod);
    assert.ok(!('error' in loaded), 'error' in loaded ? loaded.error : '');
    for (const strategy of ['shared', 'per-family'] as const) {
      await assertEnvoyAccepts(t, translatedBootstrap(loaded.proxy, translate(loaded.index, loaded.proxy, { strategy })), `${pod} (${strategy})`);
    }
  }
});

const cases = goldenCases();
for (const name of cases) {
  test(`Envoy validates the golden case ${name} as written on disk`, { skip, timeout: 60_000 }, async (t) => {
    const read = (kind: string): Json[] => JSON.parse(readFileSync(path.join(GOLDEN_ROOT, name, `${kind}.json`), 'utf8')) as Json[];
    const resources: RenderedResources = { listeners: read('listeners'), clusters: read('clusters'), routes: read('routes'), endpoints: read('endpoints') };
    await assertEnvoyAccepts(t, staticBootstrap(resources), name);
  });
}

test('Envoy accepts HTTP services on the ports the sidecar binds itself (15001, 15006, 15021, 15090)', { skip, timeout: 60_000 }, async (t) => {
  const m = mesh();
  const reserved = [15001, 15006, 15021, 15090].map((p, i) => service(`reserved${i}`, 'apps', [`10.96.1.${i + 1}`, `fd00:10:96:1::${i + 1}`], [port('http', p, 'HTTP', p)]));
  const proxy = proxyFor(clients.dual6);
  await assertEnvoyAccepts(t, translatedBootstrap(proxy, translate({ ...m, services: [...m.services, ...reserved] }, proxy)), 'reserved ports');
});

test('Envoy rejects one unknown enum name, so validation reads every field', { skip, timeout: 60_000 }, async (t) => {
  const bootstrap = staticBootstrap(await printed('shared')) as { static_resources: { clusters: Json[] } };
  bootstrap.static_resources.clusters[0] = { ...bootstrap.static_resources.clusters[0], type: 'NO_SUCH_TYPE' };
  const { code, output } = await envoyValidate(t, bootstrap);
  assert.notEqual(code, 0);
  assert.match(output, /NO_SUCH_TYPE/);
});

test('Envoy rejects two listeners on one address, so an accepted translation means something', { skip, timeout: 60_000 }, async (t) => {
  const loaded = await loadMesh(DEMO, 'demo/client-dual');
  assert.ok(!('error' in loaded));
  const r = translate(loaded.index, loaded.proxy);
  const first = r.listeners.find((l) => l.bind_to_port?.value === false);
  assert.ok(first);
  const { code, output } = await envoyValidate(t, translatedBootstrap(loaded.proxy, { ...r, listeners: [...r.listeners, { ...first, name: 'copy' }] }));
  assert.notEqual(code, 0);
  assert.match(output, /duplicate address/);
});
