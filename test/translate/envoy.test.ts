// A real Envoy judges every translation we ship: each demo pod's sidecar configuration (both strategies) and each
// golden case, loaded by `envoy --mode validate` as static resources. Without an Envoy binary the tests skip with
// the reason, except under CI=true, where they fail.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { loadMesh } from '../../src/cli/translate.ts';
import { loadManifests } from '../../src/sources/files/index.ts';
import { translate } from '../../src/translate/index.ts';
import { envoyBinary, envoyValidate } from './envoy.ts';
import { clients, port, proxyFor, service } from './fixtures.ts';
import { mesh } from './mesh.ts';

const DEMO = path.join(import.meta.dirname, '../../examples/demo');
const GOLDEN = path.join(import.meta.dirname, '../../testdata/translate');

/** The Envoy binary, or undefined after skipping `t` (failing it under CI). */
function requireEnvoy(t: TestContext): string | undefined {
  const envoy = envoyBinary();
  if (envoy) return envoy;
  const reason = 'no Envoy binary: set ENVOY_BIN';
  if (process.env['CI'] === 'true') assert.fail(reason);
  t.skip(reason);
  return undefined;
}

test('Envoy accepts every demo pod’s sidecar configuration under both strategies', async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const pods = (await loadManifests(DEMO)).objects.filter((o) => o.key.kind === 'Pod').map((o) => `${o.key.namespace}/${o.key.name}`);
  assert.ok(pods.length >= 10, 'the demo has its pods');
  for (const pod of pods.sort()) {
    const mesh = await loadMesh(DEMO, pod);
    assert.ok(!('error' in mesh), 'error' in mesh ? mesh.error : '');
    for (const strategy of ['shared', 'per-family'] as const) {
      const verdict = envoyValidate(envoy, mesh.proxy, translate(mesh.index, mesh.proxy, { strategy }));
      assert.ok(verdict.ok, `${pod} (${strategy}): ${verdict.output}`);
    }
  }
});

test('Envoy accepts every golden case’s translation', async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const cases = readdirSync(GOLDEN, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  assert.ok(cases.length >= 6);
  for (const name of cases) {
    const spec = parse(readFileSync(path.join(GOLDEN, name, 'case.yaml'), 'utf8')) as { manifests?: string; proxy: string; strategy?: string };
    const mesh = await loadMesh(path.join(GOLDEN, name, spec.manifests ?? 'input.yaml'), spec.proxy);
    assert.ok(!('error' in mesh), 'error' in mesh ? mesh.error : '');
    const verdict = envoyValidate(envoy, mesh.proxy, translate(mesh.index, mesh.proxy, { strategy: spec.strategy === 'per-family' ? 'per-family' : 'shared' }));
    assert.ok(verdict.ok, `${name}: ${verdict.output}`);
  }
});

test('Envoy rejects a translation with two listeners on one address, so an accepted one means something', async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const mesh = await loadMesh(DEMO, 'demo/client-dual');
  assert.ok(!('error' in mesh));
  const r = translate(mesh.index, mesh.proxy);
  const first = r.listeners.find((l) => l.bind_to_port?.value === false);
  assert.ok(first);
  const verdict = envoyValidate(envoy, mesh.proxy, { ...r, listeners: [...r.listeners, { ...first, name: 'copy' }] });
  assert.equal(verdict.ok, false);
  assert.match(verdict.output, /duplicate address/);
});

test('Envoy accepts HTTP services on the ports the sidecar binds itself (15001, 15006, 15021, 15090)', (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const m = mesh();
  const reserved = [15001, 15006, 15021, 15090].map((p, i) => service(`reserved${i}`, 'apps', [`10.96.1.${i + 1}`, `fd00:10:96:1::${i + 1}`], [port('http', p, 'HTTP', p)]));
  const proxy = proxyFor(clients.dual6);
  const verdict = envoyValidate(envoy, proxy, translate({ ...m, services: [...m.services, ...reserved] }, proxy));
  assert.ok(verdict.ok, verdict.output);
});
