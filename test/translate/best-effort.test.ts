// Best-effort translation: a service whose translation fails costs that service, not the proxy. The failures here are
// real model values a builder cannot handle (an endpoint without a locality, a pod without labels), not injected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoint, Locality, Proxy } from '../../src/model/index.ts';
import { indexModel } from '../../src/model/index.ts';
import { buildProxyConfig } from '../../src/pipeline/build.ts';
import { TranslationCache, translate } from '../../src/translate/index.ts';
import type { EnvoyResources } from '../../src/translate/index.ts';
import { validateResources } from '../../src/validate/index.ts';
import { clients, endpoint, model, pod, port, proxyFor, service } from './fixtures.ts';

const origin = { source: 'files', file: 'mesh/broken.yaml', line: 12, object: 'Service/apps/broken' } as const;
const good = service('good', 'apps', ['10.96.0.40', 'fd00:10:96::40'], [port('http', 80, 'HTTP', 8080), port('db', 9000, 'TCP', 9000)]);
const broken = service('broken', 'apps', ['10.96.0.41', 'fd00:10:96::41'], [port('http', 80, 'HTTP', 8080), port('admin', 8081, 'HTTP', 8081), port('db', 9001, 'TCP', 9001)], { origin });
const goodEndpoint = endpoint(good, 'good-1', ['10.244.9.40', 'fd00:10:244:9::40'], [{ name: 'http', port: 8080 }, { name: 'db', port: 9000 }]);
/** A model value the load-assignment builder cannot handle: the model always gives an endpoint a locality. */
const localityLess = endpoint(broken, 'broken-1', ['10.244.9.41'], [{ name: 'http', port: 8080 }], { locality: undefined as unknown as Locality });

function resourcesOf(r: EnvoyResources): EnvoyResources {
  return { listeners: r.listeners, clusters: r.clusters, routes: r.routes, endpoints: r.endpoints };
}

test('a service whose translation fails is left out whole, the others are served, and the problem names it at its origin', () => {
  const proxy = proxyFor(clients.dual4);
  const result = translate(indexModel(model([good, broken], [goodEndpoint, localityLess], [clients.dual4])), proxy);
  assert.equal(result.problems.length, 1);
  assert.match(result.problems[0]?.message ?? '', /^service broken\.apps\.svc\.cluster\.local: translation failed \(/);
  assert.deepEqual(result.problems[0]?.origin, origin);
  assert.equal(result.problems[0]?.severity, 'error');
  const served = resourcesOf(result);
  assert.ok(!JSON.stringify(served).includes('broken.apps'), 'nothing of the broken service, nor anything naming it');
  assert.ok(!served.listeners.some((l) => l.name.endsWith('_8081')), 'the port only it served has no listener');
  assert.ok(!served.routes.some((r) => r.name === '8081'), 'nor a route configuration');
  assert.ok(served.clusters.some((c) => c.name === 'outbound|80||good.apps.svc.cluster.local'));
  assert.ok(served.listeners.some((l) => l.name === '10.96.0.40_9000'));
  assert.ok(served.routes.find((r) => r.name === '80')?.virtual_hosts.some((h) => h.name === 'good.apps.svc.cluster.local:80'));
  const without = translate(indexModel(model([good], [goodEndpoint], [clients.dual4])), proxy);
  assert.deepEqual(served, resourcesOf(without), 'exactly what the mesh without that service gives');
  assert.deepEqual(validateResources(served), [], 'every reference left is consistent');
});

test('a proxy built through the pipeline is served without the broken service and reports it beside its resources', () => {
  const index = indexModel(model([good, broken], [goodEndpoint, localityLess], [clients.dual4]));
  const built = buildProxyConfig(index, proxyFor(clients.dual4));
  assert.ok(built.resources && built.resources.clusters.some((c) => c.name === 'outbound|9000||good.apps.svc.cluster.local'));
  assert.ok(!('problems' in built.resources), 'the resources carry no problems of their own');
  assert.deepEqual(built.leftOut.map((p) => p.origin), [origin], 'the broken service is reported as left out');
  assert.deepEqual(built.problems, [], 'and nothing stops the rest from being published: it validates');
});

test('a reused cache reports the memoised failure to every proxy of the view, and the service returns once fixed', () => {
  const cache = new TranslationCache();
  const index = indexModel(model([good, broken], [goodEndpoint, localityLess], [clients.dual4, clients.dual6]));
  for (const p of [clients.dual4, clients.dual4, clients.dual6]) {
    assert.deepEqual(translate(index, proxyFor(p), { cache }).problems.map((x) => x.origin), [origin], p.name);
  }
  const fixed: Endpoint = { ...localityLess, locality: {} };
  const healed = translate(indexModel(model([good, broken], [goodEndpoint, fixed], [clients.dual4])), proxyFor(clients.dual4), { cache });
  assert.deepEqual(healed.problems, []);
  assert.ok(healed.clusters.some((c) => c.name === 'outbound|8081||broken.apps.svc.cluster.local'));
});

test('a proxy whose inbound side cannot be built keeps its outbound configuration and refuses inbound rather than guess', () => {
  /** A proxy value the inbound side cannot read (parseProxy always gives labels), of a pod the model does not know. */
  const proxy: Proxy = { ...proxyFor(pod('odd', 'client', ['10.244.1.9', 'fd00:10:244:1::9'], {})), labels: undefined as unknown as Proxy['labels'] };
  const result = translate(indexModel(model([good], [goodEndpoint], [])), proxy);
  assert.equal(result.problems.length, 1);
  assert.match(result.problems[0]?.message ?? '', /inbound side failed/);
  assert.deepEqual(result.problems[0]?.origin, { source: 'proxy', object: `Proxy/${proxy.id}` });
  const names = result.listeners.map((l) => l.name);
  assert.ok(names.includes('virtualOutbound') && !names.includes('virtualInbound'), names.join(' '));
  assert.ok(!result.clusters.some((c) => c.name.startsWith('inbound|') || c.name === 'InboundPassthroughCluster'), 'no inbound clusters');
  assert.ok(result.clusters.some((c) => c.name === 'outbound|80||good.apps.svc.cluster.local'), 'the outbound side is served');
  assert.deepEqual(validateResources(resourcesOf(result)), []);
});
