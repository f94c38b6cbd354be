// The push queue on its own, with fake connections whose push settles when the test says so (as an ACK would):
// merging, one push per connection at a time, the in-flight bound, new connections first, batches with yields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PushQueue } from '../../src/server/push-queue.ts';

/** A fake fleet: every push is recorded and stays running until `settle(key)`. */
function fakeFleet(options: { batch?: number; maxInFlight?: number; pause?: () => Promise<void> } = {}) {
  const started: { key: string; item: number[] }[] = [];
  const open = new Map<string, () => void>();
  const queue = new PushQueue<number[]>(
    (key, item) => {
      started.push({ key, item });
      return new Promise<void>((resolve) => open.set(key, resolve));
    },
    (older, newer) => [...older, ...newer],
    options,
  );
  const settle = (key: string): void => {
    const resolve = open.get(key);
    assert.ok(resolve, `${key} has a push running`);
    open.delete(key);
    resolve();
  };
  return { queue, started, open, settle };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Lets the queue work until nothing changes for a few turns. */
async function quiet(): Promise<void> {
  for (let i = 0; i < 5; i++) await turn();
}

test('pushes queued for one connection before it is served are merged into one push', async () => {
  const { queue, started, settle } = fakeFleet();
  queue.enqueue('a', [1]);
  queue.enqueue('a', [2]);
  queue.enqueue('b', [3]);
  queue.enqueue('a', [4]);
  assert.equal(queue.length, 2);
  await quiet();
  assert.deepEqual(started, [{ key: 'a', item: [1, 2, 4] }, { key: 'b', item: [3] }]);
  settle('a');
  settle('b');
  await queue.idle();
  assert.equal(queue.inFlight, 0);
});

test('a connection never has a second push running while its first one is unsettled, and the later ones merge', async () => {
  const { queue, started, settle } = fakeFleet();
  queue.enqueue('a', [1]);
  await quiet();
  queue.enqueue('a', [2]);
  queue.enqueue('a', [3]);
  await quiet();
  assert.deepEqual(started.map((s) => s.item), [[1]], 'the second push waits for the first to settle');
  assert.equal(queue.length, 1);
  settle('a');
  await quiet();
  assert.deepEqual(started.map((s) => s.item), [[1], [2, 3]]);
  settle('a');
  await queue.idle();
});

test('no more pushes run at once than the in-flight bound, and each settled one lets the next start', async () => {
  const { queue, started, settle } = fakeFleet({ maxInFlight: 3 });
  for (let i = 0; i < 10; i++) queue.enqueue(`c${i}`, [i]);
  await quiet();
  assert.equal(started.length, 3);
  assert.equal(queue.inFlight, 3);
  assert.equal(queue.length, 7);
  settle('c0');
  await quiet();
  assert.equal(started.length, 4);
  assert.equal(queue.inFlight, 3);
  for (let i = 1; i < 10; i++) {
    settle(`c${i}`);
    await quiet();
  }
  await queue.idle();
  assert.deepEqual(started.map((s) => s.key), Array.from({ length: 10 }, (_, i) => `c${i}`));
});

test('a new connection is served before pushes that were already waiting', async () => {
  const { queue, started, settle } = fakeFleet({ maxInFlight: 1 });
  for (let i = 0; i < 5; i++) queue.enqueue(`old${i}`, [i]);
  await quiet();
  assert.deepEqual(started.map((s) => s.key), ['old0']);
  queue.enqueue('new', [99], true);
  queue.enqueue('old3', [33], true); // a waiting key asked for first moves ahead too, keeping its merged item
  settle('old0');
  await quiet();
  settle('new');
  await quiet();
  settle('old3');
  await quiet();
  assert.deepEqual(started.map((s) => s.key).slice(0, 4), ['old0', 'new', 'old3', 'old1']);
  assert.deepEqual(started[2]?.item, [3, 33]);
  for (const key of ['old1', 'old2', 'old4']) {
    settle(key);
    await quiet();
  }
  await queue.idle();
});

test('synchronous pushes start in batches, and the queue yields between them', async () => {
  const events: string[] = [];
  let release: (() => void) | undefined;
  const queue = new PushQueue<number>(
    (key) => void events.push(key),
    (a, b) => a + b,
    { batch: 2, pause: () => new Promise<void>((resolve) => (release = () => { events.push('yield'); resolve(); })) },
  );
  for (let i = 0; i < 5; i++) queue.enqueue(`p${i}`, i);
  const idle = queue.idle();
  while (queue.length > 0 || release) {
    const step = release;
    release = undefined;
    if (step) step();
    await turn();
  }
  await idle;
  assert.deepEqual(events, ['yield', 'p0', 'p1', 'yield', 'p2', 'p3', 'yield', 'p4', 'yield']);
});

test('a forgotten or stopped queue drops what waits, and a throwing push does not stop the others', async () => {
  const ran: string[] = [];
  const queue = new PushQueue<number>(
    (key) => {
      ran.push(key);
      if (key === 'bad') throw new Error('boom');
    },
    (a, b) => a + b,
  );
  queue.enqueue('bad', 1);
  queue.enqueue('gone', 1);
  queue.enqueue('good', 1);
  queue.forget('gone');
  await queue.idle();
  assert.deepEqual(ran, ['bad', 'good']);
  queue.enqueue('late', 1);
  queue.stop();
  queue.enqueue('later', 1);
  await queue.idle();
  assert.deepEqual(ran, ['bad', 'good']);
  assert.equal(queue.length, 0);
});

test('a batch also ends once its time budget is spent: with none, every turn starts exactly one push', async () => {
  const events: string[] = [];
  const queue = new PushQueue<number>((key) => void events.push(key), (a, b) => a + b, {
    batch: 100,
    budgetMs: 0,
    pause: () => new Promise<void>((resolve) => setImmediate(() => (events.push('yield'), resolve()))),
  });
  for (let i = 0; i < 3; i++) queue.enqueue(`p${i}`, i);
  await queue.idle();
  assert.deepEqual(events, ['yield', 'p0', 'yield', 'p1', 'yield', 'p2', 'yield']);
});
