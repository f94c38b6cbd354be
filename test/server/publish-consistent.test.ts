// The server publishes through the xDS library's builder, which runs consistent() on every snapshot: a snapshot the
// validator let through but that dangles (here a builder that loses every ClusterLoadAssignment) is reported as a
// failed build and never reaches the cache; the last good snapshot keeps serving.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel, indexModel, loadManifests, podProxyNode } from '../../src/index.ts';
import { ProxyRegistry } from '../../src/server/proxies.ts';
import type { ProxyEntry } from '../../src/server/proxies.ts';
import { buildContext } from '../../src/server/proxy-build.ts';
import { SharedResources } from '../../src/server/shared-resources.ts';
import { SnapshotCache, TypeUrl } from '../../src/xds/index.ts';
import type { Resource, SnapshotType, XdsNode } from '../../src/xds/index.ts';

/** A builder with a bug switched on by `lose`: every endpoint set comes out empty. */
class LossyBuilder extends SharedResources {
  lose = false;

  override snapshotType(typeUrl: string, resources: readonly Resource[]): SnapshotType {
    return super.snapshotType(typeUrl, this.lose && typeUrl === TypeUrl.ClusterLoadAssignment ? [] : resources);
  }
}

test('a snapshot consistent() refuses is reported as a failed build and the last good one keeps serving', async () => {
  const { model } = buildModel((await loadManifests('testdata/translate/mtls.yaml')).objects);
  const pod = model.pods.find((p) => p.namespace === 'pay' && p.name === 'ledger-0');
  assert.ok(pod);
  const index = indexModel(model);
  const shared = new LossyBuilder();
  const cache = new SnapshotCache();
  const rejected: ProxyEntry[] = [];
  const registry = new ProxyRegistry(cache, { published: () => undefined, rejected: (e) => rejected.push(e) });
  const proxyNode = podProxyNode(pod, 'sidecar');
  const node = { cluster: '', user_agent_name: '', user_agent_version: '', client_features: [], ...proxyNode } as XdsNode;
  const entry = registry.open(1, node);

  registry.push(buildContext(model, index, 'shared', shared), entry);
  const good = cache.getSnapshot(entry.key);
  assert.ok(good && good.types.get(TypeUrl.ClusterLoadAssignment)?.resources.size, 'the good snapshot has endpoints');
  assert.equal(entry.published, good);
  assert.deepEqual(rejected, []);

  shared.lose = true;
  registry.push(buildContext(model, index, 'shared', shared), entry);
  assert.deepEqual(rejected, [entry], 'reported as a rejected build');
  assert.equal(cache.getSnapshot(entry.key), good, 'the cache keeps the last good snapshot');
  assert.equal(entry.published, good);
  assert.ok(entry.rejectedAt !== undefined);
  const errors = entry.problems.filter((p) => p.severity === 'error').map((p) => p.message);
  assert.ok(errors.length > 0 && errors.every((m) => /has no ClusterLoadAssignment/.test(m)), errors.join('\n'));
});
