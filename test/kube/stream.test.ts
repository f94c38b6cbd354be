// Damaged watch streams and lists: malformed lines, a line cut by a connection reset, a list body cut mid-way, and
// events out of resourceVersion order. No event is lost or applied out of order; the store ends equal to the server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeSource } from '../../src/sources/kube/index.ts';
import type { SourceChange } from '../../src/sources/types.ts';
import { fakeCluster, pod, requestsTo, service, view, waitInSync, waitUntil } from './helpers.ts';

const SERVICES = '/api/v1/services';

describe('kube source with damaged streams', () => {
  const cluster = fakeCluster();
  const started = (): Promise<KubeSource> => cluster.start({ watches: 5 });

  it('refetches events that arrived as malformed lines instead of losing them', async () => {
    const s = await started();
    // Every line is damaged for a while, replays included: the source keeps retrying and says why.
    cluster.fake.faults.corruptNextEvents(1000);
    cluster.fake.apply(service('default', 'first'));
    await waitUntil('the malformed line is reported', () => s.problems().some((p) => /malformed watch line/.test(p.message)));
    assert.ok(!view(s).has('Service/default/first'));
    cluster.fake.faults.corruptNextEvents(0);
    cluster.fake.apply(service('default', 'second'));
    cluster.fake.delete('Service', 'shop', 'cart');
    await waitInSync(s, cluster.fake);
    await waitUntil('the problem clears', () => s.problems().length === 0);
    assert.equal(requestsTo(cluster.fake, SERVICES).lists, 1, 'resumed from the last good resourceVersion, no relist');
  });

  it('resumes after a connection reset in the middle of an event line, losing nothing', async () => {
    const s = await started();
    const changes: SourceChange[] = [];
    s.onChange((c) => changes.push(c));
    cluster.fake.faults.cutNextEvent();
    cluster.fake.apply(service('default', 'cut'));
    cluster.fake.apply(service('default', 'after-cut'));
    await waitInSync(s, cluster.fake);
    const applied = changes.flatMap((c) => c.upserted.map((k) => k.name));
    assert.deepEqual(applied, ['cut', 'after-cut'], 'each event applied once, in order');
    assert.deepEqual(s.problems(), []);
  });

  it('retries a list whose body is cut by a connection reset', async () => {
    const source = await cluster.start({ before: (f) => f.faults.cutNextLists('Service', 2) });
    await waitInSync(source, cluster.fake);
    assert.equal(requestsTo(cluster.fake, SERVICES).lists, 3);
    assert.deepEqual(source.problems(), []);
  });

  it('skips an event older than the version of the object it already holds', async () => {
    const s = await started();
    // The version of Service a after every change the source reports: it must never go back.
    const versionsOfA: number[] = [];
    s.onChange(() => {
      const v = view(s).get('Service/default/a');
      if (v !== undefined) versionsOfA.push(Number(v));
    });
    // Four events delivered newest first: web deleted, b added, a modified, a added.
    cluster.fake.faults.reorderNextEvents(4);
    cluster.fake.apply(service('default', 'a'));
    cluster.fake.apply(service('default', 'a', ['10.96.0.77']));
    cluster.fake.apply(service('default', 'b'));
    cluster.fake.delete('Service', 'default', 'web');
    await waitInSync(s, cluster.fake);
    // Resuming from the last event delivered (the oldest) replays the newer ones: all are recognised as applied.
    cluster.fake.dropWatches();
    cluster.fake.apply(pod('default', 'after-replay'));
    await waitInSync(s, cluster.fake);
    assert.ok(versionsOfA.length > 0);
    assert.deepEqual(versionsOfA, [...versionsOfA].sort((x, y) => x - y), `Service a went back: ${versionsOfA.join(' → ')}`);
    assert.equal(requestsTo(cluster.fake, SERVICES).lists, 1);
  });
});
