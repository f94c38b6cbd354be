// The root reaches pods as a ConfigMap `biplane-ca-root-cert` in every namespace: created where missing, corrected
// where it holds another root, left alone where right, retried after a failure; `serve --ca-secret` does it live.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createRoot } from '../../src/ca/authority.ts';
import { kubeConfigMapApi } from '../../src/ca/kube-configmaps.ts';
import { ROOT_CONFIGMAP, RootPublisher, namespacesOf } from '../../src/ca/root-configmaps.ts';
import type { SourceObject } from '../../src/model/types.ts';
import { KubeConfig } from '../../src/sources/kube/client.ts';
import { FakeApiServer } from '../kube/fake-apiserver.ts';
import { ServeProcess } from '../support/serve.ts';
import { waitFor } from '../support/envoy.ts';

async function fakeCluster(t: import('node:test').TestContext): Promise<{ fake: FakeApiServer; kc: KubeConfig }> {
  const fake = await FakeApiServer.start();
  t.after(() => fake.close());
  const kc = new KubeConfig();
  kc.loadFromString(fake.kubeconfigYaml());
  return { fake, kc };
}

test('the namespaces to publish to are the Namespace objects and every namespace an object sits in', () => {
  const obj = (kind: string, namespace: string, name: string) => ({ key: { kind, namespace, name } }) as unknown as SourceObject;
  assert.deepEqual(namespacesOf([obj('Namespace', '', 'shop'), obj('Pod', 'web', 'a'), obj('Node', '', 'n1'), obj('Service', 'shop', 's')]), ['shop', 'web']);
});

test('the publisher creates missing root ConfigMaps, corrects a wrong one, and leaves a right one alone', async (t) => {
  const { fake, kc } = await fakeCluster(t);
  const root = (await createRoot('cluster.local')).certPem;
  fake.configMaps.put('stale', ROOT_CONFIGMAP, { 'root-cert.pem': 'an old root' });
  fake.configMaps.put('right', ROOT_CONFIGMAP, { 'root-cert.pem': root });
  const publisher = new RootPublisher(kubeConfigMapApi(kc), root, () => undefined);
  await publisher.sync(['fresh', 'right', 'stale']);
  for (const ns of ['fresh', 'right', 'stale']) assert.equal(fake.configMaps.data(ns, ROOT_CONFIGMAP)?.['root-cert.pem'], root, ns);
  assert.deepEqual(fake.configMaps.creates, [`fresh/${ROOT_CONFIGMAP}`]);
  assert.deepEqual(fake.configMaps.replaces, [`stale/${ROOT_CONFIGMAP}`]);
});

test('a namespace whose ConfigMap could not be written is tried again at the next sync, the others are not', async (t) => {
  const { fake, kc } = await fakeCluster(t);
  const root = (await createRoot('cluster.local')).certPem;
  const lines: string[] = [];
  const publisher = new RootPublisher(kubeConfigMapApi(kc), root, (l) => lines.push(l));
  fake.configMaps.failNext = 1;
  await publisher.sync(['a', 'b']);
  assert.equal(fake.configMaps.data('a', ROOT_CONFIGMAP), undefined);
  assert.match(lines.join('\n'), /cannot publish the root to a\/biplane-ca-root-cert/);
  await publisher.sync(['a', 'b']);
  assert.equal(fake.configMaps.data('a', ROOT_CONFIGMAP)?.['root-cert.pem'], root);
  assert.deepEqual(fake.configMaps.creates, [`b/${ROOT_CONFIGMAP}`, `a/${ROOT_CONFIGMAP}`], 'b was done once');
});

test('serve --ca-secret publishes the root ConfigMap to every namespace of the cluster, new ones included', async (t) => {
  const { fake } = await fakeCluster(t);
  for (const name of ['shop', 'web']) fake.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const dir = await mkdtemp(path.join(tmpdir(), 'biplane-root-cm-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfig, fake.kubeconfigYaml());
  const serve = ServeProcess.start(['--kubeconfig', kubeconfig, '--ca-secret', '--xds-address', '127.0.0.1:0', '--admin-address', 'none', '--quiet']);
  t.after(() => serve.kill());
  await serve.listening;
  const root = (): string | undefined => fake.secrets.data('biplane-system', 'biplane-ca')?.['root-cert.pem'];
  const published = (ns: string): boolean => root() !== undefined && fake.configMaps.data(ns, ROOT_CONFIGMAP)?.['root-cert.pem'] === root();
  await waitFor(async () => published('shop') && published('web'), 30_000, () => `root ConfigMaps in shop and web; stderr: ${serve.stderr}`);
  fake.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'late' } });
  await waitFor(async () => published('late'), 30_000, () => `root ConfigMap in late; stderr: ${serve.stderr}`);
});
