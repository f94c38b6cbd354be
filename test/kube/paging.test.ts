// Paginated lists: the source reads a collection in pages of `listPageSize` with the server's continue token, and a
// token that expires half-way (410) starts the list over instead of handing over half a collection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeSource } from '../../src/sources/kube/index.ts';
import type { SourceChange } from '../../src/sources/types.ts';
import { fakeCluster, service, view, waitInSync, waitUntil } from './helpers.ts';

const SERVICES = '/api/v1/services';

describe('kube source paginated lists', () => {
  const cluster = fakeCluster();
  const startWithServices = (count: number): Promise<KubeSource> =>
    cluster.start({
      source: { timing: { listPageSize: 3 } },
      before: (f) => {
        for (let i = 0; i < count; i++) f.apply(service('default', `svc-${String(i).padStart(2, '0')}`));
      },
    });

  function serviceLists(): { limit: string | undefined; token: string | undefined; status: number }[] {
    return cluster.fake.requests
      .filter((r) => r.path === SERVICES && !r.watch)
      .map((r) => ({ limit: r.query['limit'], token: r.query['continue'], status: r.status }));
  }

  it('reads a collection page by page with the continue token and holds every object', async () => {
    const s = await startWithServices(7);
    // 2 seeded Services + 7 = 9 items in pages of 3.
    const lists = serviceLists();
    assert.deepEqual(lists.map((l) => l.limit), ['3', '3', '3']);
    assert.equal(lists[0]?.token, undefined);
    assert.ok(lists[1]?.token && lists[2]?.token && lists[1].token !== lists[2].token, 'each page asks for the next with its token');
    assert.equal([...view(s).keys()].filter((k) => k.startsWith('Service/')).length, 9);
    await waitInSync(s, cluster.fake);
  });

  it('starts a list over when its continue token expires half-way, never applying half a collection', async () => {
    const s = await startWithServices(7);
    await waitUntil('the Service watch is open', () => cluster.fake.liveWatches('Service') === 1);
    const changes: SourceChange[] = [];
    s.onChange((c) => changes.push(c));
    const before = serviceLists().length;
    // The next relist: after its first page, a Service is added and every continue token expires.
    let expired = false;
    cluster.fake.onListPage = (path, query) => {
      if (path !== SERVICES || expired || query['continue'] === undefined) return;
      expired = true;
      cluster.fake.apply(service('default', 'added-mid-list'));
      cluster.fake.expireContinueTokens();
    };
    cluster.fake.errorWatches(410);
    await waitUntil('the relist reached its second page', () => expired);
    await waitInSync(s, cluster.fake);
    const relist = serviceLists().slice(before);
    assert.ok(relist.some((l) => l.status === 410), 'a continue token was refused with 410');
    const restarted = relist.findIndex((l) => l.status === 410) + 1;
    assert.equal(relist[restarted]?.token, undefined, 'the list started over from its first page');
    const deleted = changes.flatMap((c) => c.deleted.map((k) => `${k.kind}/${k.name}`));
    assert.deepEqual(deleted, [], 'no object of the later pages was withdrawn by a half list');
    assert.ok(view(s).has('Service/default/added-mid-list'));
    assert.deepEqual(s.problems(), []);
  });
});
