import assert from 'node:assert/strict';
import { test } from 'node:test';
import { command as bootstrap } from '../../src/cli/bootstrap.ts';
import { command as translateCmd } from '../../src/cli/translate.ts';
import { sidecarBootstrap } from '../../src/translate/bootstrap.ts';
import { fromProto3Json, toProto3Json, type JsonValue } from '../../src/xds/index.ts';
import { captureCli } from '../support/cli-output.ts';
import { clients, proxyFor } from './fixtures.ts';

const MESH = 'testdata/translate/mesh.yaml';


test('translate prints encoder-produced resources and a config dump', async () => {
  const r = await captureCli(() => translateCmd.run(['--manifests', MESH, '--proxy', 'demo/client-dual']));
  assert.equal(r.code, 0);
  const parsed = JSON.parse(r.out) as { listeners: { name: string }[] };
  assert.ok(parsed.listeners.some((l) => l.name === 'virtualOutbound'));
  const dump = await captureCli(() => translateCmd.run(['--manifests', MESH, '--proxy', 'demo/client-v4', '--output', 'config-dump']));
  const configs = (JSON.parse(dump.out) as { configs: { '@type': string }[] }).configs.map((c) => c['@type'].split('.').pop());
  assert.deepEqual(configs, ['ListenersConfigDump', 'ClustersConfigDump', 'RoutesConfigDump', 'EndpointsConfigDump']);
});

test('translate exits 1 naming an unknown pod and 2 on usage errors', async () => {
  const missing = await captureCli(() => translateCmd.run(['--manifests', MESH, '--proxy', 'demo/nope']));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /pod demo\/nope not found/);
  assert.equal((await captureCli(() => translateCmd.run(['--manifests', MESH]))).code, 2);
  assert.equal((await captureCli(() => translateCmd.run(['--manifests', MESH, '--proxy', 'a/b', '--strategy', 'x']))).code, 2);
});

test('the bootstrap encodes as a real Bootstrap with admin on the primary localhost and both wildcards', () => {
  const b = sidecarBootstrap(proxyFor(clients.dual6), { host: '::1', port: 15010 });
  const type = 'envoy.config.bootstrap.v3.Bootstrap';
  const decoded = toProto3Json(type, fromProto3Json(type, b as JsonValue)) as any;
  assert.equal(decoded.admin.address.socket_address.address, '::1');
  assert.deepEqual(decoded.node.metadata, (b['node'] as { metadata: object }).metadata, 'the Struct metadata survives encoding');
  const stats = decoded.static_resources.listeners.find((l: any) => l.name === 'stats');
  assert.equal(stats.address.socket_address.address, '::');
  assert.equal(stats.additional_addresses[0].address.socket_address.address, '0.0.0.0');
  assert.equal(decoded.static_resources.clusters[0].type, 'STATIC');
  const v4 = sidecarBootstrap(proxyFor(clients.v4), { host: 'biplane.system', port: 15010 }) as any;
  assert.equal(v4.static_resources.clusters[0].dns_lookup_family, 'V4_ONLY');
  assert.equal(v4.static_resources.listeners[1].additional_addresses, undefined);
});

test('bootstrap command prints JSON for a pod and rejects a bad xds address', async () => {
  const r = await captureCli(() => bootstrap.run(['--manifests', MESH, '--proxy', 'shop/catalog-0']));
  assert.equal(r.code, 0);
  assert.match((JSON.parse(r.out) as { node: { id: string } }).node.id, /^sidecar~fd00:.*~catalog-0\.shop~shop\.svc\.cluster\.local$/);
  assert.equal((await captureCli(() => bootstrap.run(['--manifests', MESH, '--proxy', 'a/b', '--xds-address', 'nope']))).code, 2);
});
