// The push path's "skip untouched proxies" rule is exact: after every step of a seeded random history, a server that
// skips the proxies whose inputs did not change (and keeps their parse, and shares one build between sidecars that
// read the same) serves every proxy the very bytes of a server that rebuilds every proxy alone on every step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProxyNode, SourceObject } from '../../src/model/index.ts';
import { BuildInputs } from '../../src/server/build-inputs.ts';
import { ModelGenerations } from '../../src/server/generations.ts';
import { buildContext, buildProxy } from '../../src/server/proxy-build.ts';
import { SharedResources } from '../../src/server/shared-resources.ts';
import { source } from '../model/fixtures.ts';
import { randomWalk } from '../model/random-cluster.ts';
import { Holdings, historyNodes as nodesOver } from './served.ts';

const NO_NAMES: ReadonlySet<string> = new Set();

/** The server's way: one build context per generation, untouched proxies skipped, parses kept. */
class Skipping {
  readonly #generations = new ModelGenerations('shared', new SharedResources());
  readonly #inputs = new BuildInputs();
  readonly served = new Holdings();
  skipped = 0;
  built = 0;

  apply(objects: readonly SourceObject[], nodes: readonly ProxyNode[]): void {
    const { ctx } = this.#generations.next(objects);
    for (const node of nodes) {
      const published = this.served.published.get(node.id);
      if (this.#inputs.untouched(ctx, node, NO_NAMES, published)) {
        this.skipped += 1;
        continue;
      }
      this.built += 1;
      const build = buildProxy(ctx, node, NO_NAMES, published, this.#inputs.parse(ctx, node, node));
      this.served.keep(node, build);
      this.#inputs.record(ctx, node, NO_NAMES, this.served.published.get(node.id), build.rejected);
    }
  }
}

/** The reference: every proxy rebuilt on every step, each in a build context of its own (nothing shared between proxies). */
class Everyone {
  readonly #shared = new SharedResources();
  readonly #generations = new ModelGenerations('shared', this.#shared);
  readonly served = new Holdings();

  apply(objects: readonly SourceObject[], nodes: readonly ProxyNode[]): void {
    const { ctx } = this.#generations.next(objects);
    for (const node of nodes) {
      const alone = buildContext(ctx.model, ctx.index, ctx.strategy, this.#shared, ctx.limits);
      this.served.keep(node, buildProxy(alone, node, NO_NAMES, this.served.published.get(node.id)));
    }
  }
}

/** Every pod's node over the whole history (pods come and go, their nodes stay), a DNS-capturing twin of each
 * sidecar, and podless sidecars of every IP mode in two namespaces. */
function historyNodes(history: readonly (readonly SourceObject[])[]): ProxyNode[] {
  const pods = nodesOver(history, { '-dns': { DNS_CAPTURE: 'true', DNS_AUTO_ALLOCATE: 'true' }, '-sds': { SDS: 'true' } });
  const podless = [['10.244.9.1'], ['fd00:10:244:9::1'], ['10.244.9.2', 'fd00:10:244:9::2'], ['fd00:10:244:9::3', '10.244.9.3']].flatMap((ips, i) =>
    ['shop', 'web'].map((ns) => ({ id: `sidecar~${ips[0]}~loose-${i}.${ns}~${ns}.svc.cluster.local`, metadata: { NAMESPACE: ns, INSTANCE_IPS: ips.join(',') } })),
  );
  return [...pods, ...podless];
}

/** A PeerAuthentication (mesh-wide in istio-system, else namespace-wide, or for one app's pods). */
function peerAuth(namespace: string, name: string, mode: string, app?: string): SourceObject {
  const selector = app ? { selector: { matchLabels: { app } } } : {};
  return source({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { namespace, name }, spec: { ...selector, mtls: { mode } } });
}

/** The policies of step `step`: they appear, change mode, narrow to a workload and go, so mTLS inputs churn too. */
function policiesAt(step: number): SourceObject[] {
  const modes = ['STRICT', 'PERMISSIVE', 'DISABLE'];
  const out: SourceObject[] = [];
  if (step % 4 !== 3) out.push(peerAuth('istio-system', 'default', modes[step % 3]!));
  if (step % 5 >= 2) out.push(peerAuth('shop', 'ns', modes[(step + 1) % 3]!));
  if (step % 3 === 1) out.push(peerAuth('web', 'one-app', 'STRICT', 'web'));
  return out;
}

let totalSkipped = 0;
let totalBuilt = 0;

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`skipping untouched proxies serves the bytes of rebuilding everyone after every step (seed ${seed})`, () => {
    const history = [...randomWalk(seed, 30)];
    const nodes = historyNodes(history);
    const skipping = new Skipping();
    const everyone = new Everyone();
    let compared = 0;
    history.forEach((objects, step) => {
      skipping.apply(objects, nodes);
      everyone.apply(objects, nodes);
      for (const node of nodes) {
        const served = everyone.served.of(node);
        assert.deepEqual(skipping.served.of(node), served, `seed ${seed}, step ${step}: ${node.id}`);
        if (typeof served === 'object') compared += 1;
      }
    });
    assert.ok(compared > 0, 'some proxy was served at all');
    totalSkipped += skipping.skipped;
    totalBuilt += skipping.built;
  });
}

test('skipping untouched proxies serves the bytes of rebuilding everyone while PeerAuthentications change (mTLS inputs)', () => {
  const history = [...randomWalk(7, 24)].map((objects, step) => [...objects, ...policiesAt(step)]);
  const nodes = historyNodes(history);
  const skipping = new Skipping();
  const everyone = new Everyone();
  history.forEach((objects, step) => {
    skipping.apply(objects, nodes);
    everyone.apply(objects, nodes);
    for (const node of nodes) assert.deepEqual(skipping.served.of(node), everyone.served.of(node), `step ${step}: ${node.id}`);
  });
  assert.ok(nodes.some((n) => n.metadata?.['SDS'] === 'true'), 'sidecars with certificates were among the proxies');
});

test('the random histories exercised both paths: some proxies were skipped and some rebuilt', () => {
  assert.ok(totalSkipped > 0, `skipped ${totalSkipped}`);
  assert.ok(totalBuilt > totalSkipped / 10, `built ${totalBuilt}`);
});
