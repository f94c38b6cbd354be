// The kube source's health is what /ready reports: unhealthy with the failing request while a list fails, healthy
// again once the collection lists and watches; an object the model refuses does not make the source unhealthy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeApiServer } from './fake-apiserver.ts';
import { seed, service, sourceFor, waitInSync, waitUntil } from './helpers.ts';

test('a failing relist makes the kube source unhealthy with the reason; recovered, it is healthy', { timeout: 30_000 }, async (t) => {
  const fake = await FakeApiServer.start();
  seed(fake);
  const source = sourceFor(fake);
  t.after(async () => {
    await source.stop();
    await fake.close();
  });
  await source.start();
  await waitUntil('every collection is watched', () => fake.liveWatches() === 5);
  assert.deepEqual(source.health(), { ok: true });
  fake.apply({ ...service('default', 'Bad_Name') });
  await waitUntil('the bad object is reported', () => source.problems().some((p) => /Bad_Name/.test(p.message) || /Bad_Name/.test(p.origin.object ?? '')));
  assert.deepEqual(source.health(), { ok: true }, 'bad content is a problem, not a failing source');

  fake.failNextLists('Service', 1000);
  fake.errorWatches(410);
  await waitUntil('the failing relist makes the source unhealthy', () => !source.health().ok);
  const health = source.health();
  assert.ok(!health.ok && /HTTP 500/.test(health.reason), JSON.stringify(health));
  fake.delete('Service', 'default', 'Bad_Name');
  fake.clearListFailures();
  await waitInSync(source, fake);
  await waitUntil('the source is healthy again', () => source.health().ok);
});
