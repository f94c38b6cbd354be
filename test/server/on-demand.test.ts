// Proxyless listeners built on demand (a gRPC server naming its own listening address) are built once per distinct
// name per model generation and shared by every proxy of the same view; the full proxyless set is translated once
// per view whatever names each client subscribed to.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { podProxyNode } from '../../src/model/index.ts';
import { buildModel, indexModel } from '../../src/model/index.ts';
import { buildContext, buildProxy } from '../../src/server/proxy-build.ts';
import { SharedResources } from '../../src/server/shared-resources.ts';
import { loadManifests } from '../../src/sources/files/index.ts';
import { TypeUrl } from '../../src/xds/index.ts';

const serverName = (port: number): string => `grpc/server?xds.resource.listening_address=0.0.0.0:${port}`;

test('on-demand server listeners are built once per name and view, and shared by every proxy naming them', async () => {
  const { objects } = await loadManifests(path.resolve('examples/demo'));
  const { model } = buildModel(objects);
  const ctx = buildContext(model, indexModel(model), 'shared', new SharedResources());
  const pod = model.pods.find((p) => p.name === 'greeter-0');
  assert.ok(pod);
  const base = podProxyNode(pod, 'proxyless');
  // Two connections of the same application (same view), naming overlapping sets of server listeners.
  const a = buildProxy(ctx, base, new Set([serverName(7001)]), undefined);
  const b = buildProxy(ctx, { ...base, id: `${base.id}-b` }, new Set([serverName(7001), serverName(7002)]), undefined);
  const plain = buildProxy(ctx, { ...base, id: `${base.id}-c` }, new Set(), undefined);
  for (const build of [a, b, plain]) assert.equal(build.rejected, false, JSON.stringify(build.problems));
  const listenerOf = (build: typeof a, port: number): unknown => build.snapshot?.types.get(TypeUrl.Listener)?.resources.get(serverName(port));
  assert.ok(listenerOf(a, 7001));
  assert.equal(listenerOf(b, 7001), listenerOf(a, 7001), 'one encoded listener for both');
  assert.ok(listenerOf(b, 7002));
  assert.equal(listenerOf(plain, 7001), undefined, 'only those who name it get it');
  assert.equal(ctx.proxyless.size, 1, 'one full proxyless translation for the view');
  const view = [...ctx.proxyless.values()][0];
  assert.deepEqual([...(view?.onDemand.keys() ?? [])].sort(), [serverName(7001), serverName(7002)], 'each name built once');
  assert.equal(plain.snapshot?.types.get(TypeUrl.Cluster), a.snapshot?.types.get(TypeUrl.Cluster), 'the rest of the set is shared');
});
