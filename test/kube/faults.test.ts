// The kube source survives API server faults: after each one it holds exactly the server's objects.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { KubeSource } from '../../src/sources/kube/index.ts';
import type { SourceChange } from '../../src/sources/types.ts';
import { FakeApiServer, type FakeApiServerOptions } from './fake-apiserver.ts';
import { pod, requestsTo, seed, service, sourceFor, view, waitInSync, waitUntil, FAST } from './helpers.ts';

const SERVICES = '/api/v1/services';

describe('kube source under faults', () => {
  let fake: FakeApiServer;
  let source: KubeSource | undefined;

  async function started(options: FakeApiServerOptions = {}, timing: Partial<typeof FAST> = {}): Promise<KubeSource> {
    fake = await FakeApiServer.start(options);
    seed(fake);
    source = sourceFor(fake, { timing });
    await source.start();
    await waitUntil('every collection is watched', () => fake.liveWatches() === 5);
    return source;
  }

  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await fake.close();
  });

  it('relists when a watch resumes from a compacted resourceVersion and gets HTTP 410', async () => {
    const s = await started();
    fake.stallWatches();
    fake.apply(service('default', 'missed'));
    fake.delete('Service', 'shop', 'cart');
    fake.compact();
    fake.dropWatches();
    await waitInSync(s, fake);
    const seen = requestsTo(fake, SERVICES);
    assert.ok(seen.watches.some((w) => w.status === 410), 'a watch was answered 410');
    assert.equal(seen.lists, 2);
  });

  it('relists on an ERROR event with code 410 and drops objects deleted while disconnected', async () => {
    const s = await started({ goneStyle: 'event' });
    fake.errorWatches(410);
    fake.delete('Service', 'default', 'web');
    fake.delete('Pod', 'shop', 'cart');
    fake.apply(service('shop', 'fresh'));
    fake.compact();
    await waitInSync(s, fake);
    assert.ok(!view(s).has('Service/default/web'));
    assert.ok(!view(s).has('Pod/shop/cart'));
    assert.equal(requestsTo(fake, SERVICES).lists, 2);
  });

  it('moves the resourceVersion forward on bookmarks without reporting a change', async () => {
    const s = await started();
    // Pod changes move the global resourceVersion past the last Service event.
    fake.apply(pod('default', 'p1'));
    fake.apply(pod('default', 'p2'));
    await waitInSync(s, fake);
    const changes: SourceChange[] = [];
    s.onChange((c) => changes.push(c));
    const bookmarkRv = String(fake.resourceVersion);
    assert.equal(fake.bookmark(), 5);
    // Without the bookmark the Service watch would resume from an older, now compacted, version and relist.
    await new Promise((resolve) => setTimeout(resolve, 100));
    fake.compact();
    fake.dropWatches();
    await waitUntil('the Service watch resumes', () => fake.liveWatches('Service') === 1);
    await waitInSync(s, fake);
    const seen = requestsTo(fake, SERVICES);
    assert.equal(seen.lists, 1, 'no relist');
    assert.equal(seen.watches.at(-1)?.rv, bookmarkRv);
    assert.deepEqual(changes, []);
  });

  it('retries a list answered with 500 and reports the failure while it lasts', async () => {
    fake = await FakeApiServer.start();
    seed(fake);
    fake.failNextLists('Service', 2);
    source = sourceFor(fake);
    await source.start();
    await waitInSync(source, fake);
    assert.deepEqual(fake.requests.filter((r) => r.path === SERVICES && !r.watch).map((r) => r.status), [500, 500, 200]);
    assert.deepEqual(source.problems(), []);
    await waitUntil('every collection is watched', () => fake.liveWatches() === 5);

    fake.failNextLists('Service', 1000);
    const before = view(source);
    fake.errorWatches(410);
    await waitUntil('the failing relist is reported', () => source!.problems().some((p) => /HTTP 500/.test(p.message)));
    assert.deepEqual(view(source), before, 'the last good objects are kept');
    fake.apply(service('default', 'during-outage'));
    fake.clearListFailures();
    await waitInSync(source, fake);
    await waitUntil('the failure is cleared', () => source!.problems().length === 0);
  });

  it('detects a stalled watch and resumes it from the last resourceVersion', async () => {
    const s = await started({}, { stallMs: 300 });
    const lastRv = String(fake.resourceVersion);
    const watchesBefore = requestsTo(fake, SERVICES).watches.length;
    fake.stallWatches();
    fake.apply(service('default', 'while-stalled'));
    fake.delete('Service', 'shop', 'cart');
    await waitInSync(s, fake);
    const seen = requestsTo(fake, SERVICES);
    assert.equal(seen.lists, 1, 'resumed, not relisted');
    assert.ok(seen.watches.length > watchesBefore);
    assert.equal(seen.watches[watchesBefore]?.rv, lastRv);
  });

  it('detects a watch that stalls right from its start', async () => {
    fake = await FakeApiServer.start();
    seed(fake);
    fake.stallNextWatches(5);
    source = sourceFor(fake, { timing: { stallMs: 300 } });
    await source.start();
    fake.apply(service('default', 'after-start'));
    await waitInSync(source, fake);
    assert.ok(requestsTo(fake, SERVICES).watches.length >= 2);
  });

  it('resumes a dropped watch from its last event with no event lost or repeated', async () => {
    const s = await started();
    const changes: SourceChange[] = [];
    s.onChange((c) => changes.push(c));
    const a = fake.apply(service('default', 'a'));
    await waitUntil('a arrives', () => view(s).has('Service/default/a'));
    const watchesBefore = requestsTo(fake, SERVICES).watches.length;
    fake.dropWatches();
    fake.apply(service('default', 'b'));
    fake.apply(service('default', 'a', ['10.96.0.99']));
    fake.delete('Service', 'default', 'web');
    await waitInSync(s, fake);
    const seen = requestsTo(fake, SERVICES);
    assert.equal(seen.lists, 1, 'resumed, not relisted');
    assert.equal(seen.watches[watchesBefore]?.rv, (a['metadata'] as Record<string, unknown>)['resourceVersion']);
    // Four mutations, four applied changes: one per event.
    const applied = changes.flatMap((c) => [...c.upserted.map((k) => `+${k.name}`), ...c.deleted.map((k) => `-${k.name}`)]);
    assert.deepEqual(applied, ['+a', '+b', '+a', '-web']);
  });

  it('restarts a watch the server ends at its timeout', async () => {
    const s = await started({}, { watchTimeoutSeconds: 1 });
    await waitUntil('the Service watch was renewed', () => requestsTo(fake, SERVICES).watches.length >= 2, 5000);
    fake.apply(service('default', 'after-renewal'));
    await waitInSync(s, fake);
    assert.equal(requestsTo(fake, SERVICES).lists, 1);
  });
});
