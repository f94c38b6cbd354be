// Replicas agree without talking to each other: the server's model generations and proxy builds, fed a history of
// cluster changes, publish for every proxy the very bytes (and versions) that a replica started at the history's end
// publishes, and the order objects arrive in never matters. The end-to-end form is test/e2e/replicas.test.ts.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { podProxyNode, podProxyType } from '../../src/model/index.ts';
import { buildModel } from '../../src/model/index.ts';
import type { ProxyNode, SourceObject } from '../../src/model/index.ts';
import { ModelGenerations } from '../../src/server/generations.ts';
import { buildProxy } from '../../src/server/proxy-build.ts';
import { SharedResources } from '../../src/server/shared-resources.ts';
import { loadManifests } from '../../src/sources/files/index.ts';
import { random, randomWalk } from '../model/random-cluster.ts';
import { Holdings, type Served } from './served.ts';

/** A replica as the server runs one: generations one after another, every followed proxy rebuilt on each. */
class Replica {
  readonly #generations = new ModelGenerations('shared', new SharedResources());
  readonly #holdings = new Holdings();

  /** Applies one state of the cluster and rebuilds every proxy in `nodes`, as a push to connected proxies does. */
  apply(objects: readonly SourceObject[], nodes: readonly ProxyNode[]): void {
    const { ctx } = this.#generations.next(objects);
    for (const node of nodes) {
      this.#holdings.keep(node, buildProxy(ctx, node, new Set(), this.#holdings.published.get(node.id)));
    }
  }

  /** What `node` is served now (a refused build keeps the last good snapshot, which a fresh replica never had). */
  served(node: ProxyNode): Served {
    return this.#holdings.of(node);
  }
}

/** The node of every pod with a proxy in `objects`, plus a DNS-capturing twin of each sidecar (auto-allocated VIPs). */
function podNodes(objects: readonly SourceObject[]): ProxyNode[] {
  const out: ProxyNode[] = [];
  for (const pod of buildModel(objects).model.pods) {
    const type = podProxyType(pod) ?? 'sidecar';
    const node = podProxyNode(pod, type);
    out.push(node);
    if (type === 'sidecar') out.push({ id: `${node.id}-dns`, metadata: { ...node.metadata, DNS_CAPTURE: 'true', DNS_AUTO_ALLOCATE: 'true' } });
  }
  return out;
}

/** Proxies that no pod backs, one per IP mode, so proxies stay followed while pods come and go. */
const PODLESS: readonly ProxyNode[] = [
  ['10.244.9.1'],
  ['fd00:10:244:9::1'],
  ['10.244.9.2', 'fd00:10:244:9::2'],
  ['fd00:10:244:9::3', '10.244.9.3'],
].map((ips, i) => ({ id: `sidecar~${ips[0]}~loose-${i}.shop~shop.svc.cluster.local`, metadata: { NAMESPACE: 'shop', INSTANCE_IPS: ips.join(','), DNS_CAPTURE: 'true', DNS_AUTO_ALLOCATE: 'true' } }));

/** Asserts the two replicas serve every node alike. */
function assertAlike(a: Replica, b: Replica, nodes: readonly ProxyNode[], what: string): void {
  let compared = 0;
  for (const node of nodes) {
    const served = a.served(node);
    assert.deepEqual(b.served(node), served, `${what}: ${node.id}`);
    if (typeof served === 'object') compared += 1;
  }
  assert.ok(compared > 0, `${what}: some proxy was served at all`);
}

for (const seed of [1, 2, 3, 4]) {
  test(`a replica that lived through a random history (seed ${seed}) serves the bytes of one started at its end`, () => {
    const history = [...randomWalk(seed, 30)];
    const end = history.at(-1) as readonly SourceObject[];
    const nodes = [...podNodes(end), ...PODLESS];
    const old = new Replica();
    for (const objects of history) old.apply(objects, nodes);
    const fresh = new Replica();
    fresh.apply(end, nodes);
    assertAlike(old, fresh, nodes, `seed ${seed}`);
  });
}

test('the demo cluster listed in any order is served byte-identically', async () => {
  const { objects } = await loadManifests(path.resolve('examples/demo'));
  const nodes = [...podNodes(objects), ...PODLESS];
  const sorted = new Replica();
  sorted.apply(objects, nodes);
  for (const seed of [1, 2, 3]) {
    const next = random(seed);
    const shuffled = objects.map((o) => [next(), o] as const).sort((x, y) => x[0] - y[0]).map(([, o]) => o);
    const other = new Replica();
    other.apply(shuffled, nodes);
    assertAlike(sorted, other, nodes, `shuffle ${seed}`);
  }
  const reversed = new Replica();
  reversed.apply([...objects].reverse(), nodes);
  assertAlike(sorted, reversed, nodes, 'reversed');
});
