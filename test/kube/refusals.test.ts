// Requests the API server refuses: 429 with Retry-After (waited for, within a cap), 401 and 403 (reported with the
// RBAC rule that is missing), and 504 "Too large resource version" (a fresh list). Each shows as a problem while it
// lasts and clears after; the store ends equal to the server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeSource } from '../../src/sources/kube/index.ts';
import { fakeCluster, requestsTo, service, slice, view, waitInSync, waitUntil } from './helpers.ts';

const SERVICES = '/api/v1/services';

describe('kube source with refused requests', () => {
  const cluster = fakeCluster();
  const started = (): Promise<KubeSource> => cluster.start({ watches: 5 });

  function problemsMatching(pattern: RegExp): boolean {
    return cluster.source.problems().some((p) => pattern.test(p.message));
  }

  it('waits the Retry-After a 429 asks for before listing again', async () => {
    const source = await cluster.start({ before: (f) => f.faults.failNext('list', 'Service', 2, 429, 1) });
    await waitInSync(source, cluster.fake);
    const lists = cluster.fake.requests.filter((r) => r.path === SERVICES && !r.watch);
    assert.deepEqual(lists.map((r) => r.status), [429, 429, 200]);
    for (let i = 1; i < lists.length; i++) {
      const gap = lists[i]!.at - lists[i - 1]!.at;
      // Retry-After: 1 means no new request for a second (a few ms of timer slack allowed).
      assert.ok(gap >= 990, `request ${i} came ${gap} ms after the one refused with Retry-After: 1`);
    }
    assert.deepEqual(source.problems(), []);
  });

  it('reports a throttled watch while it lasts and caps a huge Retry-After', async () => {
    const s = await started();
    // Retry-After: 3600 is capped at retryAfterMaxMs (1.5 s in tests).
    cluster.fake.faults.failNext('watch', 'Service', 1, 429, 3600);
    cluster.fake.dropWatches();
    await waitUntil('the 429 is reported', () => problemsMatching(/watching \/api\/v1\/services failed: HTTP 429.*retrying after 3600 s/));
    cluster.fake.apply(service('default', 'after-throttling'));
    await waitInSync(s, cluster.fake);
    await waitUntil('the problem clears', () => s.problems().length === 0);
  });

  it('names the missing RBAC rule when a list is forbidden, until it is granted', async () => {
    const s = await started();
    cluster.fake.faults.deny('list', 'Service');
    cluster.fake.apply(service('default', 'while-forbidden'));
    cluster.fake.errorWatches(410);
    const rule = /HTTP 403 Forbidden.*missing RBAC permission: verb "list" on resource "services" in API group ""/;
    await waitUntil('the missing rule is reported', () => problemsMatching(rule));
    const problem = s.problems().find((p) => rule.test(p.message));
    assert.equal(problem?.origin.object, SERVICES);
    assert.ok(view(s).has('Service/default/web'), 'the last good objects keep serving');
    cluster.fake.faults.allowAll();
    await waitInSync(s, cluster.fake);
    await waitUntil('the problem clears', () => s.problems().length === 0);
  });

  it('names the API group of a forbidden watch', async () => {
    const s = await started();
    cluster.fake.faults.deny('watch', 'EndpointSlice');
    cluster.fake.dropWatches();
    const rule = /verb "watch" on resource "endpointslices" in API group "discovery.k8s.io"/;
    await waitUntil('the missing rule is reported', () => problemsMatching(rule));
    cluster.fake.faults.allowAll();
    cluster.fake.apply(slice('default', 'web-v6b', 'web', 'fd00:10:244::9'));
    await waitInSync(s, cluster.fake);
    await waitUntil('the problem clears', () => s.problems().length === 0);
  });

  it('reports rejected credentials (401) until they are accepted again', async () => {
    const s = await started();
    cluster.fake.faults.rejectCredentials = true;
    cluster.fake.dropWatches();
    await waitUntil('the 401 is reported', () => problemsMatching(/HTTP 401 Unauthorized: the API server rejected the credentials/));
    cluster.fake.faults.rejectCredentials = false;
    cluster.fake.apply(service('default', 'after-401'));
    await waitInSync(s, cluster.fake);
    await waitUntil('the problem clears', () => s.problems().length === 0);
  });

  it('lists afresh when a watch meets a server behind its resourceVersion (504 too large)', async () => {
    const s = await started();
    cluster.fake.faults.failNext('watch', 'Service', 2, 504);
    cluster.fake.dropWatches();
    await waitUntil('the too-large answer is reported', () => problemsMatching(/HTTP 504: Timeout: Too large resource version/));
    cluster.fake.apply(service('default', 'after-504'));
    await waitInSync(s, cluster.fake);
    await waitUntil('the problem clears', () => s.problems().length === 0);
    assert.ok(requestsTo(cluster.fake, SERVICES).lists >= 2, 'a too-large resourceVersion is dropped for a fresh list');
  });

  it('lists afresh when the too-large answer comes as an ERROR event in the watch stream', async () => {
    const s = await started();
    cluster.fake.errorWatches(504);
    await waitUntil('the too-large event is reported', () => problemsMatching(/Too large resource version/));
    cluster.fake.apply(service('default', 'after-504-event'));
    await waitInSync(s, cluster.fake);
    await waitUntil('every list was taken again', () => requestsTo(cluster.fake, SERVICES).lists >= 2);
    await waitUntil('the problem clears', () => s.problems().length === 0);
  });
});
