// Requests the API server refuses: 429 with Retry-After (waited for, within a cap), 401 and 403 (reported with the
// RBAC rule that is missing), and 504 "Too large resource version" (a fresh list). Each shows as a problem while it
// lasts and clears after; the store ends equal to the server.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { KubeSource } from '../../src/sources/kube/index.ts';
import { FakeApiServer } from './fake-apiserver.ts';
import { requestsTo, seed, service, slice, sourceFor, view, waitInSync, waitUntil } from './helpers.ts';

const SERVICES = '/api/v1/services';

describe('kube source with refused requests', () => {
  let fake: FakeApiServer;
  let source: KubeSource | undefined;

  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await fake.close();
  });

  async function started(): Promise<KubeSource> {
    fake = await FakeApiServer.start();
    seed(fake);
    source = sourceFor(fake);
    await source.start();
    await waitUntil('every collection is watched', () => fake.liveWatches() === 5);
    return source;
  }

  function problemsMatching(pattern: RegExp): boolean {
    return source!.problems().some((p) => pattern.test(p.message));
  }

  it('waits the Retry-After a 429 asks for before listing again', async () => {
    fake = await FakeApiServer.start();
    seed(fake);
    fake.faults.failNext('list', 'Service', 2, 429, 1);
    source = sourceFor(fake);
    await source.start();
    await waitInSync(source, fake);
    const lists = fake.requests.filter((r) => r.path === SERVICES && !r.watch);
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
    fake.faults.failNext('watch', 'Service', 1, 429, 3600);
    fake.dropWatches();
    await waitUntil('the 429 is reported', () => problemsMatching(/watching \/api\/v1\/services failed: HTTP 429.*retrying after 3600 s/));
    fake.apply(service('default', 'after-throttling'));
    await waitInSync(s, fake);
    await waitUntil('the problem clears', () => s.problems().length === 0);
  });

  it('names the missing RBAC rule when a list is forbidden, until it is granted', async () => {
    const s = await started();
    fake.faults.deny('list', 'Service');
    fake.apply(service('default', 'while-forbidden'));
    fake.errorWatches(410);
    const rule = /HTTP 403 Forbidden.*missing RBAC permission: verb "list" on resource "services" in API group ""/;
    await waitUntil('the missing rule is reported', () => problemsMatching(rule));
    const problem = s.problems().find((p) => rule.test(p.message));
    assert.equal(problem?.origin.object, SERVICES);
    assert.ok(view(s).has('Service/default/web'), 'the last good objects keep serving');
    fake.faults.allowAll();
    await waitInSync(s, fake);
    await waitUntil('the problem clears', () => s.problems().length === 0);
  });

  it('names the API group of a forbidden watch', async () => {
    const s = await started();
    fake.faults.deny('watch', 'EndpointSlice');
    fake.dropWatches();
    const rule = /verb "watch" on resource "endpointslices" in API group "discovery.k8s.io"/;
    await waitUntil('the missing rule is reported', () => problemsMatching(rule));
    fake.faults.allowAll();
    fake.apply(slice('default', 'web-v6b', 'web', 'fd00:10:244::9'));
    await waitInSync(s, fake);
    await waitUntil('the problem clears', () => s.problems().length === 0);
  });

  it('reports rejected credentials (401) until they are accepted again', async () => {
    const s = await started();
    fake.faults.rejectCredentials = true;
    fake.dropWatches();
    await waitUntil('the 401 is reported', () => problemsMatching(/HTTP 401 Unauthorized: the API server rejected the credentials/));
    fake.faults.rejectCredentials = false;
    fake.apply(service('default', 'after-401'));
    await waitInSync(s, fake);
    await waitUntil('the problem clears', () => s.problems().length === 0);
  });

  it('lists afresh when a watch meets a server behind its resourceVersion (504 too large)', async () => {
    const s = await started();
    fake.faults.failNext('watch', 'Service', 2, 504);
    fake.dropWatches();
    await waitUntil('the too-large answer is reported', () => problemsMatching(/HTTP 504: Timeout: Too large resource version/));
    fake.apply(service('default', 'after-504'));
    await waitInSync(s, fake);
    await waitUntil('the problem clears', () => s.problems().length === 0);
    assert.ok(requestsTo(fake, SERVICES).lists >= 2, 'a too-large resourceVersion is dropped for a fresh list');
  });

  it('lists afresh when the too-large answer comes as an ERROR event in the watch stream', async () => {
    const s = await started();
    fake.errorWatches(504);
    await waitUntil('the too-large event is reported', () => problemsMatching(/Too large resource version/));
    fake.apply(service('default', 'after-504-event'));
    await waitInSync(s, fake);
    await waitUntil('every list was taken again', () => requestsTo(fake, SERVICES).lists >= 2);
    await waitUntil('the problem clears', () => s.problems().length === 0);
  });
});
