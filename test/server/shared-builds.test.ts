// Sidecars that read the same share one server build per model generation, so whatever is in a sidecar's build must
// be in what makes two sidecars "the same": a proxy with certificates over SDS (mesh mTLS) and one without, of the
// same pod, are built apart, in either order, each exactly as it would be built alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel, indexModel, loadManifests, podProxyNode } from '../../src/index.ts';
import type { ProxyNode } from '../../src/index.ts';
import { buildContext, buildProxy } from '../../src/server/proxy-build.ts';
import { SharedResources } from '../../src/server/shared-resources.ts';
import { TypeUrl } from '../../src/xds/index.ts';

test('a sidecar with SDS and one without never share a build, whichever is built first', async () => {
  const { model } = buildModel((await loadManifests('testdata/translate/mtls.yaml')).objects);
  const pod = model.pods.find((p) => p.namespace === 'pay' && p.name === 'ledger-0');
  assert.ok(pod, 'pay/ledger-0 is in the mtls mesh');
  const plain = podProxyNode(pod, 'sidecar');
  const sds: ProxyNode = { id: `${plain.id}-sds`, metadata: { ...plain.metadata, SDS: 'true' } };
  const inbound = (node: ProxyNode, shared: SharedResources, first?: ProxyNode): unknown => {
    const ctx = buildContext(model, indexModel(model), 'shared', shared);
    if (first) buildProxy(ctx, first, new Set(), undefined);
    const build = buildProxy(ctx, node, new Set(), undefined);
    assert.equal(build.rejected, false, JSON.stringify(build.problems));
    return build.snapshot?.types.get(TypeUrl.Listener)?.resources.get('virtualInbound')?.version;
  };
  const aloneSds = inbound(sds, new SharedResources());
  const alonePlain = inbound(plain, new SharedResources());
  assert.ok(aloneSds !== undefined && alonePlain !== undefined);
  assert.notEqual(aloneSds, alonePlain, 'SDS changes the inbound listener');
  assert.equal(inbound(plain, new SharedResources(), sds), alonePlain, 'plain after SDS is built as alone');
  assert.equal(inbound(sds, new SharedResources(), plain), aloneSds, 'SDS after plain is built as alone');
});
