// A push skips a proxy only when nothing its last build read has changed; a PeerAuthentication change (STRICT to
// PERMISSIVE) changes what every sidecar's inbound listener accepts, so it must never be skipped over.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel, indexModel, loadManifests, podProxyNode } from '../../src/index.ts';
import { BuildInputs } from '../../src/server/build-inputs.ts';
import { buildContext, buildProxy } from '../../src/server/proxy-build.ts';
import { SharedResources } from '../../src/server/shared-resources.ts';

test('a proxy built before a PeerAuthentication change is rebuilt after it, and skipped while nothing changes', async () => {
  const { model } = buildModel((await loadManifests('testdata/translate/mtls.yaml')).objects);
  assert.ok(model.peerAuthentications.length > 0, 'the mtls mesh has policies');
  const pod = model.pods.find((p) => p.namespace === 'pay' && p.name === 'ledger-0');
  assert.ok(pod);
  const node = podProxyNode(pod, 'sidecar');
  const index = indexModel(model);
  const shared = new SharedResources();
  const owner = {};
  const inputs = new BuildInputs();
  const before = buildContext(model, index, 'shared', shared);
  const build = buildProxy(before, node, new Set(), undefined, inputs.parse(before, owner, node));
  inputs.record(before, owner, new Set(), build.snapshot, build.rejected);
  const same = buildContext(model, index, 'shared', shared);
  assert.equal(inputs.untouched(same, owner, new Set(), build.snapshot), true, 'nothing changed: skipped');
  const relaxed = { ...model, peerAuthentications: model.peerAuthentications.map((p) => ({ ...p, mode: 'PERMISSIVE' as const })) };
  const after = buildContext(relaxed, index, 'shared', shared);
  assert.equal(inputs.untouched(after, owner, new Set(), build.snapshot), false, 'the policies changed: rebuilt');
});
