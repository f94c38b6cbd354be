import assert from 'node:assert/strict';
import { test } from 'node:test';
import { command as bootstrap } from '../../src/cli/bootstrap.ts';
import { command as translateCmd } from '../../src/cli/translate.ts';
import { parseProxy } from '../../src/model/index.ts';
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
  assert.deepEqual(configs, ['ClustersConfigDump', 'ListenersConfigDump', 'RoutesConfigDump', 'EndpointsConfigDump'], 'Envoy admin order, as the server dumps');
});

test('translate and bootstrap with --dns-capture: VIP listeners and the metadata that asks for them', async () => {
  const names = async (flags: string[]): Promise<string[]> => {
    const r = await captureCli(() => translateCmd.run(['--manifests', MESH, '--proxy', 'demo/client-dual', ...flags]));
    assert.equal(r.code, 0);
    return (JSON.parse(r.out) as { listeners: { name: string }[] }).listeners.map((l) => l.name);
  };
  const sni = await names([]);
  const dns = await names(['--dns-capture']);
  assert.ok(sni.includes('0.0.0.0_443') && !sni.some((n) => n.startsWith('240.240.')));
  assert.ok(!dns.includes('0.0.0.0_443') && dns.some((n) => n.startsWith('240.240.')));
  const b = await captureCli(() => bootstrap.run(['--manifests', MESH, '--proxy', 'demo/client-dual', '--dns-capture']));
  assert.equal(b.code, 0);
  const node = (JSON.parse(b.out) as { node: { id: string; metadata: Record<string, unknown> } }).node;
  const proxy = parseProxy({ id: node.id, metadata: node.metadata }).proxy;
  assert.deepEqual([proxy?.dnsCapture, proxy?.dnsAutoAllocate], [true, true]);
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

test('bootstrap states INTERCEPTION_MODE from --interception, else from the pod’s annotation, and the proxy reads it back', async () => {
  const metadata = async (args: string[]): Promise<Record<string, unknown>> => {
    const r = await captureCli(() => bootstrap.run(['--manifests', MESH, ...args]));
    assert.equal(r.code, 0, r.err);
    return (JSON.parse(r.out) as { node: { metadata: Record<string, unknown> } }).node.metadata;
  };
  assert.equal((await metadata(['--proxy', 'demo/client-dual']))['INTERCEPTION_MODE'], undefined);
  assert.equal((await metadata(['--proxy', 'demo/client-dual', '--interception', 'tproxy']))['INTERCEPTION_MODE'], 'TPROXY');
  assert.equal((await metadata(['--proxy', 'demo/client-tproxy']))['INTERCEPTION_MODE'], 'TPROXY');
  const stated = await metadata(['--proxy', 'demo/client-tproxy', '--interception', 'redirect']);
  assert.equal(stated['INTERCEPTION_MODE'], 'REDIRECT');
  assert.equal(parseProxy({ id: 'sidecar~10.244.3.11~client-tproxy.demo~demo.svc.cluster.local', metadata: stated }).proxy?.interception, 'REDIRECT');
  const bad = await captureCli(() => bootstrap.run(['--manifests', MESH, '--proxy', 'demo/client-dual', '--interception', 'none']));
  assert.equal(bad.code, 2);
  assert.match(bad.err, /redirect or tproxy/);
});

test('translate honours the pod’s interception annotation', async () => {
  const r = await captureCli(() => translateCmd.run(['--manifests', MESH, '--proxy', 'demo/client-tproxy']));
  const listeners = (JSON.parse(r.out) as { listeners: { name: string; transparent?: boolean }[] }).listeners;
  assert.equal(listeners.find((l) => l.name === 'virtualInbound')?.transparent, true);
});

test('bootstrap with --sds-socket adds the sds-grpc cluster on that socket and node metadata SDS, which the proxy reads back', async () => {
  const args = ['--manifests', 'testdata/translate/mtls.yaml', '--proxy', 'pay/ledger-0'];
  const plain = JSON.parse((await captureCli(() => bootstrap.run(args))).out) as { static_resources: { clusters: { name: string }[] } };
  assert.ok(!plain.static_resources.clusters.some((c) => c.name === 'sds-grpc'));
  const r = await captureCli(() => bootstrap.run([...args, '--sds-socket', '/var/run/biplane/sds.sock']));
  assert.equal(r.code, 0, r.err);
  const b = JSON.parse(r.out) as {
    node: { id: string; metadata: Record<string, unknown> };
    static_resources: { clusters: { name: string; load_assignment?: { endpoints: { lb_endpoints: { endpoint: { address: unknown } }[] }[] } }[] };
  };
  const sds = b.static_resources.clusters.find((c) => c.name === 'sds-grpc');
  assert.deepEqual(sds?.load_assignment?.endpoints[0]?.lb_endpoints[0]?.endpoint.address, { pipe: { path: '/var/run/biplane/sds.sock' } });
  assert.equal(parseProxy({ id: b.node.id, metadata: b.node.metadata }).proxy?.sds, true);
  assert.equal((await captureCli(() => bootstrap.run([...args, '--sds-socket', '']))).code, 2);
});

test('bootstrap --xds-tls gives the xds-grpc cluster TLS: ALPN h2, the root file, the server name as SNI and SAN, the SDS certificate', async () => {
  type Tls = { sni?: string; common_tls_context: { alpn_protocols: string[]; tls_certificate_sds_secret_configs: { name: string }[]; validation_context: { trusted_ca: { filename: string }; match_typed_subject_alt_names: unknown[] } } };
  const tlsOf = async (flags: string[]): Promise<Tls | undefined> => {
    const r = await captureCli(() => bootstrap.run(['--manifests', 'testdata/translate/mtls.yaml', '--proxy', 'pay/ledger-0', '--sds-socket', '/s.sock', ...flags]));
    assert.equal(r.code, 0, r.err);
    const b = JSON.parse(r.out) as { static_resources: { clusters: { name: string; transport_socket?: { typed_config: Tls } }[] } };
    return b.static_resources.clusters.find((c) => c.name === 'xds-grpc')?.transport_socket?.typed_config;
  };
  assert.equal(await tlsOf([]), undefined, 'plaintext without the flag');
  const byName = await tlsOf(['--xds-address', 'biplane.biplane-system.svc:15012', '--xds-tls', '--xds-root', '/etc/root.pem']);
  assert.equal(byName?.sni, 'biplane.biplane-system.svc');
  assert.deepEqual(byName?.common_tls_context.alpn_protocols, ['h2']);
  assert.deepEqual(byName?.common_tls_context.tls_certificate_sds_secret_configs.map((c) => c.name), ['default']);
  assert.deepEqual(byName?.common_tls_context.validation_context, {
    trusted_ca: { filename: '/etc/root.pem' },
    match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'biplane.biplane-system.svc' } }],
  });
  const byIp = await tlsOf(['--xds-address', '[2001:db8::1]:15012', '--xds-tls', '--xds-root', '/etc/root.pem', '--xds-server-name', 'biplane.biplane-system.svc']);
  assert.equal(byIp?.sni, 'biplane.biplane-system.svc', 'the name given wins over the IP literal');
  const ipSan = await tlsOf(['--xds-address', '[2001:db8::1]:15012', '--xds-tls', '--xds-root', '/etc/root.pem']);
  assert.equal(ipSan?.sni, undefined, 'no SNI for an IP address');
  assert.deepEqual(ipSan?.common_tls_context.validation_context.match_typed_subject_alt_names, [{ san_type: 'IP_ADDRESS', matcher: { exact: '2001:db8::1' } }]);
  const base = ['--manifests', 'testdata/translate/mtls.yaml', '--proxy', 'pay/ledger-0'];
  for (const bad of [['--xds-tls', '--xds-root', '/r.pem'], ['--sds-socket', '/s', '--xds-tls'], ['--sds-socket', '/s', '--xds-root', '/r.pem']]) {
    const r = await captureCli(() => bootstrap.run([...base, ...bad]));
    assert.equal(r.code, 2, `${bad.join(' ')}: ${r.err}`);
  }
});

test('translate --sds gives a sidecar endpoint tlsMode metadata and its cluster the TLS match; without it, neither', async () => {
  const run = async (flags: string[]): Promise<string> => {
    const r = await captureCli(() => translateCmd.run(['--manifests', 'testdata/translate/mtls.yaml', '--proxy', 'pay/ledger-0', ...flags]));
    assert.equal(r.code, 0, r.err);
    return r.out;
  };
  const [plain, sds] = [await run([]), await run(['--sds'])];
  assert.ok(!plain.includes('tlsMode') && !plain.includes('sds-grpc'));
  assert.ok(sds.includes('"tlsMode": "istio"') && sds.includes('outbound_.7000_._.archive.pay.svc.cluster.local'));
});
