// A memo's real risk is a stale or mis-keyed entry: a TranslationCache reused across proxies and model generations
// must give exactly what a fresh cache gives (which is what `translate` uses when the caller keeps none). Compared
// deep-equal over the demo, a generated cluster in every proxy mode, collisions between services, a sequence of
// model changes (through both the full model build and the incremental ModelBuilder) and seeded random edits.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { podProxyNode } from '../../src/model/index.ts';
import { buildModel, createModelBuilder, indexModel, parseProxy, reindexModel } from '../../src/model/index.ts';
import type { MeshModel, ModelIndex, Proxy, SourceObject } from '../../src/model/index.ts';
import { loadManifests } from '../../src/sources/files/index.ts';
import { TranslationCache, translate } from '../../src/translate/index.ts';
import type { ForwardingStrategy } from '../../src/translate/index.ts';
import { generatedCluster } from '../support/generated-cluster.ts';
import { randomWalk } from '../model/random-cluster.ts';
import { clients, endpoint, model, pod, port, proxyFor, service } from './fixtures.ts';

const STRATEGIES: readonly ForwardingStrategy[] = ['shared', 'per-family'];

/** Every pod's sidecar plus the given extra proxies, parsed as the server parses a connecting node. */
function proxiesOf(m: MeshModel, extra: readonly { id: string; metadata: Readonly<Record<string, unknown>> }[] = []): Proxy[] {
  const nodes = [...m.pods.filter((p) => p.ips.length > 0).map((p) => podProxyNode(p, 'sidecar')), ...extra];
  return nodes.map((node) => {
    const { proxy, problems } = parseProxy(node, m);
    assert.ok(proxy, `node ${node.id}: ${problems.map((p) => p.message).join('; ')}`);
    return proxy;
  });
}

/** Asserts the reused cache == a fresh cache for every proxy and strategy; returns the views (mode|primary|strategy) used. */
function assertSame(cache: TranslationCache, index: ModelIndex, proxies: readonly Proxy[], label: string): Set<string> {
  const views = new Set<string>();
  for (const strategy of STRATEGIES) {
    for (const proxy of proxies) {
      const fresh = translate(index, proxy, { strategy });
      assert.deepEqual(translate(index, proxy, { strategy, cache }), fresh, `${label}: ${proxy.id} (${strategy})`);
      views.add(`${proxy.mode}|${proxy.primaryFamily}|${strategy}`);
    }
  }
  return views;
}

const SHAPE = { services: 24, podsPerService: 2 } as const;

function modelOf(objects: readonly SourceObject[]): MeshModel {
  const { model: m, problems } = buildModel(objects);
  assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
  return m;
}

/** A copy of `objects` with the object of this kind and name replaced by `edit(object)` (a new instance, new version). */
function edited(objects: readonly SourceObject[], kind: string, name: string, edit: (o: Record<string, any>) => Record<string, any>): SourceObject[] {
  let found = false;
  const out = objects.map((o) => {
    if (o.key.kind !== kind || o.key.name !== name) return o;
    found = true;
    return { ...o, object: edit(structuredClone(o.object) as Record<string, any>), version: `${o.version}+` };
  });
  assert.ok(found, `no ${kind} ${name} in the generated cluster`);
  return out;
}

/** The three changes of the brief, each as a function of the previous object list. */
const CHANGES: readonly { readonly name: string; readonly apply: (o: readonly SourceObject[]) => SourceObject[] }[] = [
  {
    name: 'a pod changes its IP',
    apply: (objects) => {
      const moved = (o: Record<string, any>): Record<string, any> => {
        o['status'].podIPs = [{ ip: '10.244.200.1' }, ...o['status'].podIPs.slice(1)];
        o['status'].podIP = '10.244.200.1';
        return o;
      };
      const slice = (o: Record<string, any>): Record<string, any> => {
        o['endpoints'][0].addresses = ['10.244.200.1'];
        return o;
      };
      return edited(edited(objects, 'Pod', 'svc-0-0', moved), 'EndpointSlice', 'svc-0-ipv4', slice);
    },
  },
  {
    name: 'a service is added',
    apply: (objects) => {
      const template = objects.find((o) => o.key.kind === 'Service' && o.key.name === 'svc-1');
      assert.ok(template);
      const object = structuredClone(template.object) as Record<string, any>;
      object['metadata'].name = 'svc-new';
      object['spec'].clusterIPs = ['10.96.200.1', 'fd00:10:96::c801'];
      object['spec'].clusterIP = '10.96.200.1';
      object['spec'].ipFamilies = ['IPv4', 'IPv6'];
      object['spec'].ipFamilyPolicy = 'RequireDualStack';
      return [...objects, { ...template, key: { ...template.key, name: 'svc-new' }, object, version: 'new' }];
    },
  },
  {
    name: 'an endpoint is removed',
    apply: (objects) => edited(objects, 'EndpointSlice', 'svc-2-ipv4', (o) => ({ ...o, endpoints: o['endpoints'].slice(1) })),
  },
];

test('a cache reused across the demo pods gives each what a fresh cache gives it, under both strategies', async () => {
  const load = await loadManifests(path.join(import.meta.dirname, '../../examples/demo'));
  const m = modelOf(load.objects);
  const index = indexModel(m);
  const proxies = proxiesOf(m);
  assert.ok(proxies.length >= 4, 'the demo has pods');
  const cache = new TranslationCache();
  assertSame(cache, index, proxies, 'demo');
  assert.ok(cache.stats().hits > 0, 'services are shared between proxies of one view');
});

test('a cache reused across a generated cluster\'s proxies of every mode gives each what a fresh cache gives it', () => {
  const cluster = generatedCluster(SHAPE);
  const m = modelOf(cluster.objects);
  const proxies = proxiesOf(m, cluster.nodes);
  assert.deepEqual(new Set(proxies.map((p) => `${p.mode}|${p.primaryFamily}`)), new Set(['IPv4|IPv4', 'IPv6|IPv6', 'Dual|IPv4', 'Dual|IPv6']));
  assertSame(new TranslationCache(), indexModel(m), proxies, 'generated');
});

test('after each model change the reused cache equals a fresh one and only changed services are rebuilt', () => {
  const cluster = generatedCluster(SHAPE);
  const cache = new TranslationCache();
  let objects: readonly SourceObject[] = cluster.objects;
  let m = modelOf(objects);
  assertSame(cache, indexModel(m), proxiesOf(m, cluster.nodes), 'before');
  for (const change of CHANGES) {
    objects = change.apply(objects);
    m = modelOf(objects);
    const before = cache.stats().misses;
    const views = assertSame(cache, indexModel(m), proxiesOf(m, cluster.nodes), change.name);
    assert.equal(cache.stats().misses - before, views.size, `${change.name}: one service rebuilt per view`);
    assert.equal(cache.stats().services, m.services.length);
  }
});

test('the cache follows the incremental model builder and forgets removed services', () => {
  const cluster = generatedCluster(SHAPE);
  const cache = new TranslationCache();
  const builder = createModelBuilder();
  let objects: readonly SourceObject[] = cluster.objects;
  let update = builder.update(objects);
  let index = reindexModel(update.model, undefined, update.changedServices);
  assertSame(cache, index, proxiesOf(update.model, cluster.nodes), 'first');
  for (const change of [...CHANGES, { name: 'a service is removed', apply: (o: readonly SourceObject[]) => o.filter((x) => x.key.name !== 'svc-new') }]) {
    objects = change.apply(objects);
    update = builder.update(objects);
    index = reindexModel(update.model, index, update.changedServices);
    assertSame(cache, index, proxiesOf(update.model, cluster.nodes), change.name);
    assert.equal(cache.stats().services, update.model.services.length, `${change.name}: services held`);
  }
  assert.ok(!JSON.stringify(translate(index, proxiesOf(update.model)[0] as Proxy, { cache })).includes('svc-new'));
});

test('a VIP or domain claimed by two services resolves the same through a reused cache', () => {
  const a = service('a', 'apps', ['10.96.0.20', 'fd00:10:96::20'], [port('tcp', 9000, 'TCP', 9000), port('http', 80, 'HTTP', 8080)]);
  const b = service('b', 'apps', ['10.96.0.20', 'fd00:10:96::21'], [port('tcp', 9000, 'TCP', 9000), port('http', 80, 'HTTP', 8080)]);
  const c = service('a', 'apps', ['fd00:10:96::20'], [port('http', 80, 'HTTP', 8080)], { kind: 'ServiceEntry', hostname: 'a.apps' });
  const backend = pod('a-1', 'apps', ['10.244.9.1', 'fd00:10:244:9::1'], { app: 'a' });
  const m = model([a, b, c], [endpoint(a, 'a-1', ['10.244.9.1', 'fd00:10:244:9::1'], [{ name: 'tcp', port: 9000 }, { name: 'http', port: 8080 }])], [backend, ...Object.values(clients)]);
  const index = indexModel(m);
  const proxies = [backend, ...Object.values(clients)].map(proxyFor);
  assertSame(new TranslationCache(), index, proxies, 'collisions');
  const dual = translate(index, proxyFor(clients.dual4), { cache: new TranslationCache() });
  const route = dual.routes.find((r) => r.name === '80');
  const domains = route?.virtual_hosts.flatMap((h) => h.domains) ?? [];
  assert.equal(domains.length, new Set(domains).size, 'no domain twice');
  assert.equal(dual.listeners.filter((l) => l.name === '10.96.0.20_9000').length, 1, 'the shared VIP gets one listener');
});

test('a proxy of the same view but another namespace gets its own short names', () => {
  const web = service('web', 'apps', ['10.96.0.30'], [port('http', 80, 'HTTP', 8080)]);
  const inApps = pod('x', 'apps', ['10.244.9.2'], { app: 'x' });
  const elsewhere = pod('y', 'other', ['10.244.9.3'], { app: 'y' });
  const index = indexModel(model([web], [], [inApps, elsewhere]));
  const cache = new TranslationCache();
  const domainsOf = (p: Proxy): string[] => translate(index, p, { cache }).routes[0]?.virtual_hosts[0]?.domains.slice() ?? [];
  assert.ok(domainsOf(proxyFor(inApps)).includes('web'));
  assert.ok(!domainsOf(proxyFor(elsewhere)).includes('web'));
  assertSame(cache, index, [proxyFor(inApps), proxyFor(elsewhere)], 'namespaces');
});

test('a cache reused over twelve seeded generations of random edits gives the bytes a fresh cache gives each generation', () => {
  const cache = new TranslationCache();
  const builder = createModelBuilder();
  let index: ModelIndex | undefined;
  let step = 0;
  for (const objects of randomWalk(21, 12)) {
    const update = builder.update(objects);
    index = reindexModel(update.model, index, update.changedServices);
    for (const strategy of STRATEGIES) {
      for (const proxy of proxiesOf(update.model, generatedCluster(SHAPE).nodes)) {
        const reused: string = JSON.stringify(translate(index, proxy, { strategy, cache }));
        assert.equal(reused, JSON.stringify(translate(index, proxy, { strategy, cache: new TranslationCache() })), `step ${step}: ${proxy.id} (${strategy})`);
      }
    }
    step += 1;
  }
  assert.ok(cache.stats().hits > cache.stats().misses, 'the reused cache did reuse fragments');
});
