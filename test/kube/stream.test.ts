// Damaged watch streams and lists: malformed lines, a line cut by a connection reset, a list body cut mid-way, and
// events out of resourceVersion order. No event is lost or applied out of order; the store ends equal to the server.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { KubeSource } from '../../src/sources/kube/index.ts';
import type { SourceChange } from '../../src/sources/types.ts';
import { FakeApiServer } from './fake-apiserver.ts';
import { pod, requestsTo, seed, service, sourceFor, view, waitInSync, waitUntil } from './helpers.ts';

const SERVICES = '/api/v1/services';

describe('kube source with damaged streams', () => {
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

  it('refetches events that arrived as malformed lines instead of losing them', async () => {
    const s = await started();
    // Every line is damaged for a while, replays included: the source keeps retrying and says why.
    fake.faults.corruptNextEvents(1000);
    fake.apply(service('default', 'first'));
    await waitUntil('the malformed line is reported', () => s.problems().some((p) => /malformed watch line/.test(p.message)));
    assert.ok(!view(s).has('Service/default/first'));
    fake.faults.corruptNextEvents(0);
    fake.apply(service('default', 'second'));
    fake.delete('Service', 'shop', 'cart');
    await waitInSync(s, fake);
    await waitUntil('the problem clears', () => s.problems().length === 0);
    assert.equal(requestsTo(fake, SERVICES).lists, 1, 'resumed from the last good resourceVersion, no relist');
  });

  it('resumes after a connection reset in the middle of an event line, losing nothing', async () => {
    const s = await started();
    const changes: SourceChange[] = [];
    s.onChange((c) => changes.push(c));
    fake.faults.cutNextEvent();
    fake.apply(service('default', 'cut'));
    fake.apply(service('default', 'after-cut'));
    await waitInSync(s, fake);
    const applied = changes.flatMap((c) => c.upserted.map((k) => k.name));
    assert.deepEqual(applied, ['cut', 'after-cut'], 'each event applied once, in order');
    assert.deepEqual(s.problems(), []);
  });

  it('retries a list whose body is cut by a connection reset', async () => {
    fake = await FakeApiServer.start();
    seed(fake);
    fake.faults.cutNextLists('Service', 2);
    source = sourceFor(fake);
    await source.start();
    await waitInSync(source, fake);
    assert.equal(requestsTo(fake, SERVICES).lists, 3);
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
    fake.faults.reorderNextEvents(4);
    fake.apply(service('default', 'a'));
    fake.apply(service('default', 'a', ['10.96.0.77']));
    fake.apply(service('default', 'b'));
    fake.delete('Service', 'default', 'web');
    await waitInSync(s, fake);
    // Resuming from the last event delivered (the oldest) replays the newer ones: all are recognised as applied.
    fake.dropWatches();
    fake.apply(pod('default', 'after-replay'));
    await waitInSync(s, fake);
    assert.ok(versionsOfA.length > 0);
    assert.deepEqual(versionsOfA, [...versionsOfA].sort((x, y) => x - y), `Service a went back: ${versionsOfA.join(' → ')}`);
    assert.equal(requestsTo(fake, SERVICES).lists, 1);
  });
});
