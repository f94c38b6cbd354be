// The ServiceEntry CRD coming and going while the source runs: discovery is asked again on a bounded schedule, the
// ServiceEntry reflector starts when the CRD appears and stops when it goes, and its objects go with it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeSource } from '../../src/sources/kube/index.ts';
import { fakeCluster, serviceEntry, view, waitInSync, waitUntil } from './helpers.ts';

const SERVICE_ENTRIES = '/apis/networking.istio.io/v1/serviceentries';

describe('kube source and the ServiceEntry CRD', () => {
  const cluster = fakeCluster();
  const started = (crd: boolean): Promise<KubeSource> =>
    cluster.start({ server: { serviceEntryCrd: crd }, before: (f) => crd && f.apply(serviceEntry('shop', 'payments')) });

  function serviceEntryCount(s: KubeSource): number {
    return [...view(s).keys()].filter((k) => k.startsWith('ServiceEntry/')).length;
  }

  it('starts watching ServiceEntries when their CRD is installed while running', async () => {
    const s = await started(false);
    assert.match(s.notes().join('\n'), /ServiceEntries are not watched/);
    cluster.fake.installServiceEntryCrd();
    cluster.fake.apply(serviceEntry('shop', 'payments'));
    await waitUntil('the ServiceEntry arrives', () => view(s).has('ServiceEntry/shop/payments'));
    cluster.fake.apply(serviceEntry('default', 'maps'));
    await waitInSync(s, cluster.fake);
    assert.match(s.notes().join('\n'), /ServiceEntries are now watched/);
    assert.deepEqual(s.problems(), []);
  });

  it('stops watching and drops every ServiceEntry when the CRD is removed, even with the deletions missed', async () => {
    const s = await started(true);
    cluster.fake.apply(serviceEntry('default', 'maps'));
    await waitInSync(s, cluster.fake);
    // The ServiceEntry watch hears nothing more, so the deletions that come with the CRD's removal never reach it.
    cluster.fake.stallWatches();
    cluster.fake.removeServiceEntryCrd();
    await waitUntil('the ServiceEntries are dropped', () => serviceEntryCount(s) === 0);
    await waitInSync(s, cluster.fake);
    assert.match(s.notes().join('\n'), /ServiceEntries are no longer watched/);
    await waitUntil('no problem remains', () => s.problems().length === 0);
    const requestsThen = cluster.fake.requests.filter((r) => r.path === SERVICE_ENTRIES).length;
    // Discovery runs every 300 ms in tests; over three rounds no ServiceEntry request is made any more.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(cluster.fake.requests.filter((r) => r.path === SERVICE_ENTRIES).length, requestsThen);
  });

  it('watches ServiceEntries again when the CRD comes back', async () => {
    const s = await started(true);
    cluster.fake.removeServiceEntryCrd();
    await waitUntil('the ServiceEntry watch is stopped', () => /no longer watched/.test(s.notes().join('\n')));
    assert.equal(serviceEntryCount(s), 0);
    cluster.fake.installServiceEntryCrd();
    cluster.fake.apply(serviceEntry('shop', 'payments'));
    await waitUntil('the ServiceEntry is back', () => view(s).has('ServiceEntry/shop/payments'));
    await waitInSync(s, cluster.fake);
    assert.deepEqual(s.problems(), []);
  });

  it('reports forbidden discovery with the missing non-resource rule, keeping what it watches', async () => {
    const s = await started(true);
    cluster.fake.faults.denyDiscovery();
    const rule = /API discovery failed: HTTP 403.*missing RBAC permission: verb "get" on nonResourceURLs \["\/apis"\]/;
    await waitUntil('the refused discovery is reported', () => s.problems().some((p) => rule.test(p.message)));
    assert.ok(view(s).has('ServiceEntry/shop/payments'), 'a failed discovery stops nothing');
    cluster.fake.faults.allowAll();
    cluster.fake.apply(serviceEntry('default', 'maps'));
    await waitInSync(s, cluster.fake);
    await waitUntil('the problem clears', () => s.problems().length === 0);
  });
});

/** A PeerAuthentication with a mesh-wide-style mode; `mode` may be a bad value on purpose. */
function peerAuthentication(ns: string, name: string, mode: string): Record<string, unknown> {
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace: ns }, spec: { mtls: { mode } } };
}

describe('kube source and the PeerAuthentication CRD', () => {
  const cluster = fakeCluster();

  it('watches PeerAuthentications the cluster serves and refuses a bad one at its field', async () => {
    const s = await cluster.start({
      server: { peerAuthenticationCrd: true },
      before: (f) => {
        f.apply(peerAuthentication('istio-system', 'default', 'STRICT'));
        f.apply(peerAuthentication('shop', 'broken', 'strict'));
      },
    });
    assert.ok(view(s).has('PeerAuthentication/istio-system/default'));
    assert.ok(!view(s).has('PeerAuthentication/shop/broken'));
    assert.deepEqual(s.problems().map((p) => [p.origin.object, p.origin.field]), [['PeerAuthentication/shop/broken', 'spec.mtls.mode']]);
    assert.doesNotMatch(s.notes().join('\n'), /PeerAuthentications are not watched/);
  });

  it('starts watching PeerAuthentications when their CRD is installed while running', async () => {
    const s = await cluster.start({ server: { peerAuthenticationCrd: false } });
    assert.match(s.notes().join('\n'), /PeerAuthentications are not watched: the cluster does not serve security\.istio\.io\/v1/);
    cluster.fake.peerAuthenticationCrd = true;
    cluster.fake.apply(peerAuthentication('shop', 'default', 'PERMISSIVE'));
    await waitUntil('the PeerAuthentication arrives', () => view(s).has('PeerAuthentication/shop/default'));
    await waitInSync(s, cluster.fake);
    assert.match(s.notes().join('\n'), /PeerAuthentications are now watched/);
  });
});
