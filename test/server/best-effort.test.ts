// The server publishes around a service whose translation fails: the proxy gets everything else, and the problem,
// with the service's file and line, is reported instead of the whole snapshot being rejected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indexModel, podProxyNode } from '../../src/index.ts';
import type { Locality } from '../../src/model/index.ts';
import { buildContext, buildProxy } from '../../src/server/proxy-build.ts';
import { SharedResources } from '../../src/server/shared-resources.ts';
import { TypeUrl } from '../../src/xds/index.ts';
import { clients, endpoint, model, port, service } from '../translate/fixtures.ts';

test('a service whose translation fails is left out of the published snapshot, which still carries every other service', () => {
  const good = service('good', 'apps', ['10.96.0.50', 'fd00:10:96::50'], [port('http', 80, 'HTTP', 8080)]);
  const broken = service('broken', 'apps', ['10.96.0.51'], [port('http', 80, 'HTTP', 8080)], { origin: { source: 'files', file: 'broken.yaml', line: 4 } });
  /** A model value the load-assignment builder cannot handle: the model always gives an endpoint a locality. */
  const localityLess = endpoint(broken, 'broken-1', ['10.244.9.51'], [{ name: 'http', port: 8080 }], { locality: undefined as unknown as Locality });
  const m = model([good, broken], [endpoint(good, 'good-1', ['10.244.9.50'], [{ name: 'http', port: 8080 }]), localityLess], [clients.dual4]);
  const ctx = buildContext(m, indexModel(m), 'shared', new SharedResources());
  const build = buildProxy(ctx, podProxyNode(clients.dual4, 'sidecar'), new Set(), undefined);
  assert.equal(build.rejected, false, JSON.stringify(build.problems));
  const clusters = [...(build.snapshot?.types.get(TypeUrl.Cluster)?.resources.keys() ?? [])];
  assert.ok(clusters.includes('outbound|80||good.apps.svc.cluster.local'), clusters.join(' '));
  assert.ok(!clusters.some((c) => c.includes('broken.apps')), clusters.join(' '));
  assert.equal(build.problems.length, 1);
  assert.match(build.problems[0]?.message ?? '', /^service broken\.apps\.svc\.cluster\.local: translation failed/);
  assert.equal(build.problems[0]?.origin.file, 'broken.yaml');
  assert.equal(build.problems[0]?.origin.line, 4);
});
