// The kube source against the fake API server through the real client: initial list, live changes, rejected objects,
// the ServiceEntry CRD present or absent.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { KubeSource } from '../../src/sources/kube/index.ts';
import type { SourceChange } from '../../src/sources/types.ts';
import { FakeApiServer } from './fake-apiserver.ts';
import { seed, service, serviceEntry, sourceFor, view, waitInSync, waitUntil, pod, requestsTo } from './helpers.ts';

describe('kube source', () => {
  let fake: FakeApiServer;
  let source: KubeSource | undefined;

  beforeEach(async () => {
    fake = await FakeApiServer.start();
    seed(fake);
  });
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await fake.close();
  });

  it('lists every collection at start and holds the same objects and resourceVersions as the server', async () => {
    source = sourceFor(fake);
    await source.start();
    assert.deepEqual([...view(source)].sort(), [...fake.snapshot()].sort());
    assert.equal(source.objects().length, 10);
    const web = source.objects().find((o) => o.key.kind === 'Service' && o.key.name === 'web');
    assert.deepEqual(web?.origin, { source: 'kube', object: 'Service/default/web' });
    // List items come without kind/apiVersion on the wire; the source restores them.
    assert.equal(web?.object['kind'], 'Service');
    assert.equal(web?.object['apiVersion'], 'v1');
    assert.deepEqual(source.problems(), []);
  });

  it('applies additions, modifications and deletions made while watching', async () => {
    source = sourceFor(fake);
    await source.start();
    const changes: SourceChange[] = [];
    source.onChange((c) => changes.push(c));
    fake.apply(service('default', 'api'));
    fake.apply(service('default', 'web', ['10.96.0.10']));
    fake.apply(pod('shop', 'cart2'));
    fake.delete('EndpointSlice', 'shop', 'cart-v6');
    fake.delete('Node', '', 'node-b');
    await waitInSync(source, fake);
    const upserted = changes.flatMap((c) => c.upserted.map((k) => `${k.kind}/${k.name}`)).sort();
    const deleted = changes.flatMap((c) => c.deleted.map((k) => `${k.kind}/${k.name}`)).sort();
    assert.deepEqual(upserted, ['Pod/cart2', 'Service/api', 'Service/web']);
    assert.deepEqual(deleted, ['EndpointSlice/cart-v6', 'Node/node-b']);
  });

  it('keeps the previous good version of an object the model rejects and reports it until fixed', async () => {
    source = sourceFor(fake);
    await source.start();
    const before = view(source).get('Service/default/web');
    const bad = service('default', 'web');
    (bad['spec'] as Record<string, unknown>)['clusterIPs'] = ['not-an-ip'];
    (bad['spec'] as Record<string, unknown>)['clusterIP'] = 'not-an-ip';
    fake.apply(bad);
    await waitUntil('the bad Service is reported', () => source!.problems().length > 0);
    assert.equal(view(source).get('Service/default/web'), before);
    const problem = source.problems()[0];
    assert.equal(problem?.severity, 'error');
    assert.equal(problem?.origin.object, 'Service/default/web');
    assert.match(problem?.origin.field ?? '', /clusterIP/);
    fake.apply(service('default', 'web', ['10.96.0.11']));
    await waitInSync(source, fake);
    assert.deepEqual(source.problems(), []);
  });

  it('keeps a rejected object out of a relist without deleting its good version', async () => {
    source = sourceFor(fake);
    await source.start();
    const before = view(source).get('Service/shop/cart');
    const bad = service('shop', 'cart');
    (bad['spec'] as Record<string, unknown>)['ipFamilies'] = ['IPv5'];
    fake.stallWatches();
    fake.apply(bad);
    fake.compact();
    fake.dropWatches();
    await waitUntil('the relist reports the bad Service', () => source!.problems().some((p) => p.origin.object === 'Service/shop/cart'));
    assert.equal(view(source).get('Service/shop/cart'), before);
    assert.ok(requestsTo(fake, '/api/v1/services').lists >= 2);
  });

  it('skips ServiceEntries with a note when the CRD is not installed', async () => {
    source = sourceFor(fake);
    await source.start();
    assert.equal(fake.requests.filter((r) => r.path.includes('serviceentries')).length, 0);
    assert.match(source.notes().join('\n'), /ServiceEntries are not watched/);
    assert.deepEqual(source.problems(), []);
    fake.apply(service('shop', 'late'));
    await waitInSync(source, fake);
  });

  it('watches ServiceEntries when the CRD is installed', async () => {
    fake.serviceEntryCrd = true;
    // With every Istio CRD served, there is nothing to note.
    fake.peerAuthenticationCrd = true;
    fake.apply(serviceEntry('shop', 'payments'));
    source = sourceFor(fake);
    await source.start();
    assert.ok(view(source).has('ServiceEntry/shop/payments'));
    fake.apply(serviceEntry('default', 'maps'));
    fake.delete('ServiceEntry', 'shop', 'payments');
    await waitInSync(source, fake);
    assert.ok(view(source).has('ServiceEntry/default/maps'));
    assert.deepEqual(source.notes(), []);
  });

  it('watches only the given namespaces for namespaced kinds', async () => {
    source = sourceFor(fake, { namespaces: ['shop'] });
    await source.start();
    const kinds = source.objects().map((o) => `${o.key.kind}/${o.key.namespace}`);
    assert.ok(kinds.includes('Service/shop'));
    assert.ok(!kinds.some((k) => k.endsWith('/default')));
    assert.ok(kinds.includes('Node/'));
    fake.apply(service('default', 'ignored'));
    fake.apply(service('shop', 'seen'));
    await waitUntil('the shop Service arrives', () => view(source!).has('Service/shop/seen'));
    assert.ok(!view(source).has('Service/default/ignored'));
    assert.ok(requestsTo(fake, '/api/v1/namespaces/shop/services').lists >= 1);
  });
});
