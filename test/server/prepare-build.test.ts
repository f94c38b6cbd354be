// A generation's first build of a plan may be prepared in slices with yields (`prepare-build.ts`) and the model
// generation built with yields between its stages: both must give the synchronous path's bytes exactly, and a change
// that arrives while a push waits for its preparation must still reach the proxy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel, parseProxy } from '../../src/model/index.ts';
import type { ProxyNode, SourceObject } from '../../src/model/index.ts';
import { ModelGenerations } from '../../src/server/generations.ts';
import { serverMetrics } from '../../src/server/metrics.ts';
import { prepareBuild } from '../../src/server/prepare-build.ts';
import { ProxyRegistry } from '../../src/server/proxies.ts';
import { buildContext, buildProxy } from '../../src/server/proxy-build.ts';
import type { BuildContext } from '../../src/server/proxy-build.ts';
import { Pusher } from '../../src/server/pusher.ts';
import { SharedResources } from '../../src/server/shared-resources.ts';
import { SnapshotCache } from '../../src/xds/index.ts';
import type { Snapshot } from '../../src/xds/index.ts';
import { randomWalk } from '../model/random-cluster.ts';
import { Holdings, historyNodes as nodesOver } from './served.ts';

const NO_NAMES: ReadonlySet<string> = new Set();

/** Every pod's node over the history, plus an SDS twin of each sidecar (another view of the same pod). */
function historyNodes(history: readonly (readonly SourceObject[])[]): ProxyNode[] {
  return nodesOver(history, { '-sds': { SDS: 'true' } });
}

/** A pause that yields a microtask and counts how often it was asked to. */
function countingPause(): { pause: () => Promise<void>; readonly count: () => number } {
  let count = 0;
  return {
    pause: () => {
      count += 1;
      return Promise.resolve();
    },
    count: () => count,
  };
}

for (const seed of [11, 12, 13]) {
  test(`prepared builds in yielding generations serve the bytes of synchronous builds after every step (seed ${seed})`, async () => {
    const history = [...randomWalk(seed, 16)];
    const nodes = historyNodes(history);
    const yielding = new ModelGenerations('shared', new SharedResources());
    const syncShared = new SharedResources();
    const synchronous = new ModelGenerations('shared', syncShared);
    const prepared = new Holdings();
    const reference = new Holdings();
    const { pause, count } = countingPause();
    let compared = 0;
    for (const [step, objects] of history.entries()) {
      const { ctx } = await yielding.nextYielding(objects, pause);
      const { ctx: syncCtx } = synchronous.next(objects);
      for (const node of nodes) {
        const proxy = parseProxy(node, ctx.model).proxy;
        // Every proxy of a plan waits for the one preparation; sliceMs 0 yields after every resource.
        const preparing = proxy ? prepareBuild(ctx, proxy, NO_NAMES, { pause, sliceMs: 0 }) : undefined;
        if (preparing) await preparing.done;
        prepared.keep(node, buildProxy(ctx, node, NO_NAMES, prepared.published.get(node.id)));
        const alone = buildContext(syncCtx.model, syncCtx.index, syncCtx.strategy, syncShared, syncCtx.limits);
        reference.keep(node, buildProxy(alone, node, NO_NAMES, reference.published.get(node.id)));
        const served = reference.of(node);
        assert.deepEqual(prepared.of(node), served, `seed ${seed}, step ${step}: ${node.id}`);
        if (typeof served === 'object') compared += 1;
      }
    }
    assert.ok(compared > 0, 'some proxy was served at all');
    assert.ok(count() > history.length * 3, `preparing and the generations yielded (${count()} pauses)`);
  });
}

test('a build prepared once is not prepared again in its generation, and a built one needs no preparing', async () => {
  const [objects] = [...randomWalk(21, 1)];
  const node = historyNodes([objects!]).find((n) => !n.id.endsWith('-sds'));
  assert.ok(node, 'the cluster has a pod');
  const { ctx } = new ModelGenerations('shared', new SharedResources()).next(objects!);
  const proxy = parseProxy(node, ctx.model).proxy;
  assert.ok(proxy, 'the node parses');
  const first = prepareBuild(ctx, proxy, NO_NAMES);
  assert.equal(first?.started, true, 'a fresh generation prepares the plan');
  const second = prepareBuild(ctx, proxy, NO_NAMES);
  assert.equal(second?.started, false, 'a second proxy of the plan does not start another preparation');
  assert.equal(second.done, first.done, 'it waits for the same one');
  await first.done;
  assert.equal(prepareBuild(ctx, proxy, NO_NAMES), undefined, 'once prepared, nothing is left to prepare');
  const fresh: BuildContext = buildContext(ctx.model, ctx.index, ctx.strategy, ctx.shared, ctx.limits);
  buildProxy(fresh, node, NO_NAMES, undefined);
  assert.equal(prepareBuild(fresh, proxy, NO_NAMES), undefined, 'a generation that built the plan has nothing to prepare');
});

test('a new generation that arrives while a push waits for its preparation reaches the proxy', async () => {
  const history = [...randomWalk(31, 6)];
  const node = historyNodes(history).find((n) => !n.id.endsWith('-sds') && history.every((objects) => buildModel(objects).model.pods.length > 0));
  assert.ok(node, 'the cluster has a pod');
  const shared = new SharedResources();
  const generations = new ModelGenerations('shared', shared);
  let current = generations.next(history[0]!).ctx;
  // Preparing and the queue wait on a gate the test opens, so the generation can change while a push is preparing.
  const gates: (() => void)[] = [];
  const pause = (): Promise<void> => new Promise((resolve) => gates.push(resolve));
  const cache = new SnapshotCache();
  const registry = new ProxyRegistry(cache, { published: () => undefined, rejected: () => undefined });
  const pusher = new Pusher(registry, () => current, serverMetrics(), { pause, sliceMs: 0 });
  const xdsNode = { id: node.id, cluster: '', locality: { region: '', zone: '', sub_zone: '' }, user_agent_name: 'test', user_agent_version: '', client_features: [], metadata: node.metadata ?? {} };
  const entry = registry.open(1, xdsNode);
  pusher.pushAll(performance.now());
  let opened = 0;
  const open = async (n: number): Promise<void> => {
    for (let i = 0; i < n && gates.length > 0; i++, opened++) gates.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  await open(2); // the queue's first turn, then the preparation's first slice
  assert.equal(entry.published, undefined, 'nothing was published while the build is being prepared');
  const last = history[history.length - 1]!;
  current = generations.next(last).ctx;
  pusher.pushAll(performance.now());
  const idle = pusher.idle();
  let done = false;
  void idle.then(() => (done = true));
  for (let round = 0; !done && round < 100_000; round++) await open(1);
  await idle;
  assert.ok(opened > 2, 'the push yielded while it was prepared');
  const expected = buildProxy(buildContext(current.model, current.index, current.strategy, shared, current.limits), node, NO_NAMES, undefined);
  assert.ok(expected.snapshot, 'the newest generation gives the proxy a snapshot');
  const versions = (snapshot: Snapshot | undefined): Record<string, string> =>
    Object.fromEntries([...(snapshot?.types ?? [])].map(([url, t]) => [url, t.version]));
  assert.deepEqual(versions(entry.published), versions(expected.snapshot), 'the proxy holds the newest generation');
  assert.deepEqual(versions(cache.getSnapshot(entry.key)), versions(expected.snapshot), 'and the cache serves it');
  pusher.stop();
});
