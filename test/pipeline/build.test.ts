// buildProxyConfig, the one way a proxy's configuration is built: the translator is chosen by the proxy's kind, the
// result is checked for that proxy's client, and a translator crash comes back as a problem rather than an exception.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel, buildProxyConfig, indexModel, loadManifests, loadMesh, parseProxy, podProxyNode, translate, validateResources } from '../../src/index.ts';
import type { ModelIndex, Proxy } from '../../src/index.ts';
import { translateProxyless } from '../../src/translate/proxyless/index.ts';

const DEMO = 'examples/demo';

async function demoProxy(pod: string, type: Proxy['type']): Promise<{ index: ModelIndex; proxy: Proxy }> {
  const { model } = buildModel((await loadManifests(DEMO)).objects);
  const [namespace, name] = pod.split('/');
  const found = model.pods.find((p) => p.namespace === namespace && p.name === name);
  assert.ok(found, `${pod} is in the demo`);
  const proxy = parseProxy(podProxyNode(found, type), model).proxy;
  assert.ok(proxy, `${pod}'s node parses`);
  return { index: indexModel(model), proxy };
}

test('a sidecar gets exactly what translate gives it, checked as Envoy with no problem', async () => {
  const mesh = await loadMesh(DEMO, 'demo/client-dual');
  assert.ok(!('error' in mesh), 'the demo loads');
  const clients: string[] = [];
  const built = buildProxyConfig(mesh.index, mesh.proxy, { check: (r, client) => (clients.push(client), validateResources(r, { client }).length === 0 ? [] : [{ severity: 'error', message: 'invalid', origin: {} }]) });
  const { problems, ...resources } = translate(mesh.index, mesh.proxy);
  assert.deepEqual(built.resources, resources);
  assert.deepEqual(problems, []);
  assert.deepEqual(built.problems, []);
  assert.deepEqual(clients, ['envoy']);
});

test('a proxyless application gets gRPC resources, validated for gRPC by default', async () => {
  const { index, proxy } = await demoProxy('demo/greeter-0', 'proxyless');
  const clients: string[] = [];
  const built = buildProxyConfig(index, proxy, { check: (_r, client) => (clients.push(client), []) });
  assert.ok(built.resources && built.resources.listeners.length > 0, 'it has listeners');
  assert.ok(built.resources.listeners.every((l) => 'api_listener' in l || l.name.startsWith('grpc/server')), 'only gRPC listeners');
  assert.deepEqual(clients, ['grpc']);
  assert.deepEqual(buildProxyConfig(index, proxy).problems, [], 'the default check finds nothing wrong');
});

test('a translator that throws gives no resources and one error problem saying why', async () => {
  const { index, proxy } = await demoProxy('demo/greeter-0', 'proxyless');
  const built = buildProxyConfig(index, proxy, { proxyless: () => { throw new Error('boom'); } });
  assert.equal(built.resources, undefined);
  assert.deepEqual(built.problems, [{ severity: 'error', message: 'translation failed: boom', origin: { source: 'generated' } }]);
});

test('the default check reports each validator finding as an error at the resource and field it is about', async () => {
  const { index, proxy } = await demoProxy('demo/greeter-0', 'proxyless');
  const good = translateProxyless(index, proxy);
  const cluster = good.clusters[0];
  assert.ok(cluster, 'the greeter has a cluster');
  const built = buildProxyConfig(index, proxy, { proxyless: () => ({ ...good, clusters: [...good.clusters, cluster] }) });
  assert.ok(built.resources, 'validation problems still come with the resources');
  assert.ok(built.problems.length > 0, 'a cluster defined twice is found');
  assert.ok(built.problems.every((p) => p.severity === 'error' && p.origin.source === 'generated'));
  assert.ok(built.problems.some((p) => p.origin.field?.startsWith(`Cluster[${cluster.name}]`)), 'the field names the cluster');
});

test('loadMesh explains a bad pod name instead of loading', async () => {
  const bad = await loadMesh(DEMO, 'no-slash');
  assert.ok('error' in bad && /NAMESPACE\/POD/.test(bad.error));
  const missing = await loadMesh(DEMO, 'demo/nobody');
  assert.ok('error' in missing && /not found/.test(missing.error));
});
