// Loading the cluster connection: a kubeconfig file, the KUBECONFIG variable, IPv6 loopback, and clear errors.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeSource, loadKubeConfig } from '../../src/sources/kube/index.ts';
import { FakeApiServer } from './fake-apiserver.ts';
import { FAST, seed, view, waitInSync, service } from './helpers.ts';

describe('kube source connection', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'biplane-kube-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('connects through a kubeconfig file given by path', async () => {
    const fake = await FakeApiServer.start();
    const source = new KubeSource({ kubeconfig: writeConfig(dir, 'file.yaml', fake), timing: FAST, log: () => undefined });
    try {
      seed(fake);
      await source.start();
      assert.deepEqual([...view(source)].sort(), [...fake.snapshot()].sort());
      assert.ok(fake.requests.length > 0);
    } finally {
      await source.stop();
      await fake.close();
    }
  });

  it('connects through the KUBECONFIG variable to a server on [::1]', async () => {
    const fake = await FakeApiServer.start({ host: '::1' });
    const saved = process.env['KUBECONFIG'];
    process.env['KUBECONFIG'] = writeConfig(dir, 'env.yaml', fake);
    const source = new KubeSource({ timing: FAST, log: () => undefined });
    try {
      assert.match(fake.url, /^http:\/\/\[::1\]:\d+$/);
      seed(fake);
      await source.start();
      fake.apply(service('default', 'over-ipv6', ['fd00:10:96::99']));
      await waitInSync(source, fake);
    } finally {
      if (saved === undefined) delete process.env['KUBECONFIG'];
      else process.env['KUBECONFIG'] = saved;
      await source.stop();
      await fake.close();
    }
  });

  it('names the file when a kubeconfig cannot be read', () => {
    const missing = path.join(dir, 'nope.yaml');
    assert.throws(() => loadKubeConfig({ kubeconfig: missing }), (err: Error) => err.message.includes(missing));
  });

  it('names the file when a kubeconfig has no current cluster', () => {
    const file = path.join(dir, 'empty.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    assert.throws(() => loadKubeConfig({ kubeconfig: file }), /empty\.yaml: no current cluster/);
  });

  it('rejects start when the API server is unreachable, naming the failure', async () => {
    const fake = await FakeApiServer.start();
    const file = writeConfig(dir, 'gone.yaml', fake);
    await fake.close();
    const source = new KubeSource({ kubeconfig: file, timing: { ...FAST, startTimeoutMs: 500 }, log: () => undefined });
    await assert.rejects(source.start(), /did not sync within 500 ms.*API discovery failed/);
    await source.stop();
  });
});

function writeConfig(dir: string, name: string, fake: FakeApiServer): string {
  const file = path.join(dir, name);
  writeFileSync(file, fake.kubeconfigYaml());
  return file;
}
