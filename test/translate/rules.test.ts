import assert from 'node:assert/strict';
import { test } from 'node:test';
import { translate } from '../../src/translate/index.ts';
import { passthroughBind, wildcardAddresses } from '../../src/translate/proxy-addresses.ts';
import { vipGroups } from '../../src/translate/service-plan.ts';
import { dnsLookupFamily } from '../../src/translate/clusters.ts';
import type { EnvoyResources, Listener } from '../../src/translate/types.ts';
import { simulate } from '../../src/translate/simulate.ts';
import { validateResources } from '../../src/validate/index.ts';
import { clients, endpoint, ips, port, proxyFor, service } from './fixtures.ts';
import { mesh, webPod } from './mesh.ts';

const all = (l: Listener): string[] => [l.address, ...(l.additional_addresses ?? []).map((a) => a.address)].map((a) => a.socket_address.address);
const listener = (r: EnvoyResources, name: string): Listener => {
  const l = r.listeners.find((x) => x.name === name);
  assert.ok(l, `listener ${name} in ${r.listeners.map((x) => x.name).join(', ')}`);
  return l;
};

test('wildcards follow the proxy mode with the primary family first', () => {
  const only = (p: typeof clients.v4) => all({ name: 'x', filter_chains: [], ...wildcardAddresses(proxyFor(p), 15001) });
  assert.deepEqual(only(clients.v4), ['0.0.0.0']);
  assert.deepEqual(only(clients.v6), ['::']);
  assert.deepEqual(only(clients.dual4), ['0.0.0.0', '::']);
  assert.deepEqual(only(clients.dual6), ['::', '0.0.0.0']);
});

test('the passthrough bind puts the primary family in source_address and the other as the one extra', () => {
  assert.deepEqual(passthroughBind(proxyFor(clients.v4)), { source_address: { address: '127.0.0.6', port_value: 0 } });
  assert.deepEqual(passthroughBind(proxyFor(clients.v6)), { source_address: { address: '::6', port_value: 0 } });
  assert.deepEqual(passthroughBind(proxyFor(clients.dual6)), {
    source_address: { address: '::6', port_value: 0 },
    extra_source_addresses: [{ address: { address: '127.0.0.6', port_value: 0 } }],
  });
});

test('dns lookup family follows the proxy mode', () => {
  assert.equal(dnsLookupFamily('IPv4'), 'V4_ONLY');
  assert.equal(dnsLookupFamily('IPv6'), 'V6_ONLY');
  assert.equal(dnsLookupFamily('Dual'), 'ALL');
});

test('a family is never both primary and additional in one VIP group', () => {
  const groups = vipGroups(ips('240.240.0.1', '240.240.0.2', '2001:2::1'), false);
  assert.deepEqual(groups.map((g) => g.map((a) => a.ip)), [['240.240.0.1', '2001:2::1'], ['240.240.0.2']]);
  assert.deepEqual(vipGroups(ips('fd00::b', '10.0.0.1'), true).map((g) => g.map((a) => a.ip)), [['fd00::b'], ['10.0.0.1']]);
});

test('a dual proxy names a VIP listener by the service primary VIP and adds the other family', () => {
  for (const client of [clients.dual4, clients.dual6]) {
    const r = translate(mesh(), proxyFor(client));
    assert.deepEqual(all(listener(r, 'fd00:10:96::b_5432')), ['fd00:10:96::b', '10.96.0.11']);
    assert.deepEqual(all(listener(r, '10.96.0.12_9000')), ['10.96.0.12']);
  }
});

test('a single-family proxy gets only VIPs of its family and no listener for services without one', () => {
  const v4 = translate(mesh(), proxyFor(clients.v4));
  assert.deepEqual(all(listener(v4, '10.96.0.11_5432')), ['10.96.0.11']);
  assert.ok(v4.listeners.every((l) => all(l).every((a) => !a.includes(':'))), 'no IPv6 listener address on an IPv4 proxy');
  const v6 = translate(mesh(), proxyFor(clients.v6));
  assert.deepEqual(all(listener(v6, 'fd00:10:96::b_5432')), ['fd00:10:96::b']);
  assert.equal(v6.listeners.find((l) => l.name.endsWith('_9000')), undefined, 'IPv4-only legacy has no listener on an IPv6 proxy');
  assert.ok(v6.listeners.every((l) => all(l).every((a) => a.includes(':'))), 'no IPv4 listener address on an IPv6 proxy');
});

test('HTTP ports share a wildcard listener named by the primary wildcard', () => {
  assert.deepEqual(all(listener(translate(mesh(), proxyFor(clients.dual4)), '0.0.0.0_80')), ['0.0.0.0', '::']);
  assert.deepEqual(all(listener(translate(mesh(), proxyFor(clients.dual6)), '::_80')), ['::', '0.0.0.0']);
  assert.deepEqual(all(listener(translate(mesh(), proxyFor(clients.v6)), '::_8080')), ['::']);
});

test('virtual host domains carry short names and the VIPs the proxy sees, IPv6 bracketed, unique', () => {
  const r = translate(mesh(), proxyFor(clients.dual6));
  const rc = r.routes.find((x) => x.name === '80');
  const vh = rc?.virtual_hosts.find((v) => v.name === 'web.apps.svc.cluster.local:80');
  assert.ok(vh);
  for (const d of ['web.apps.svc.cluster.local', 'web.apps', 'web.apps.svc:80', '10.96.0.10', '10.96.0.10:80', '[fd00:10:96::a]', '[fd00:10:96::a]:80']) {
    assert.ok(vh.domains.includes(d), d);
  }
  assert.ok(!vh.domains.includes('web'), 'bare name only for proxies in the same namespace');
  const domains = rc?.virtual_hosts.flatMap((v) => v.domains) ?? [];
  assert.equal(new Set(domains).size, domains.length);
  const v4 = translate(mesh(), proxyFor(clients.v4)).routes.find((x) => x.name === '80');
  assert.ok(!v4?.virtual_hosts.some((v) => v.domains.some((d) => d.startsWith('['))), 'IPv4 proxy sees no IPv6 VIP domain');
});

test('endpoints keep podIPs order and drop addresses a single-family proxy cannot reach', () => {
  const eps = (client: typeof clients.v4) =>
    translate(mesh(), proxyFor(client)).endpoints.find((e) => e.cluster_name === 'outbound|5432||db.apps.svc.cluster.local')?.endpoints.flatMap((l) =>
      l.lb_endpoints.map((lb) => [lb.endpoint.address, ...(lb.endpoint.additional_addresses ?? []).map((a) => a.address)].map((a) => a.socket_address.address)),
    );
  assert.deepEqual(eps(clients.dual4), [['fd00:10:244:3::1', '10.244.3.1']]);
  assert.deepEqual(eps(clients.v4), [['10.244.3.1']]);
  assert.deepEqual(eps(clients.v6), [['fd00:10:244:3::1']]);
});

test('inbound clusters resolve named target ports and bind the passthrough sources', () => {
  const r = translate(mesh(), proxyFor(webPod));
  const inbound = r.clusters.find((c) => c.name === 'inbound|8080||');
  assert.equal(inbound?.type, 'ORIGINAL_DST');
  assert.equal(inbound?.upstream_bind_config?.source_address.address, '127.0.0.6');
  assert.equal(inbound?.upstream_bind_config?.extra_source_addresses?.[0]?.address.address, '::6');
  const chains = listener(r, 'virtualInbound').filter_chains;
  assert.deepEqual(chains.map((c) => c.filter_chain_match?.destination_port?.value), [15006, 8080, undefined]);
  assert.ok(chains.every((c) => c.filter_chain_match?.prefix_ranges === undefined), 'no IP ranges: both families match');
});

test('per-family strategy splits clusters, listeners and routes by family on dual proxies only', () => {
  const r = translate(mesh(), proxyFor(clients.dual4), { strategy: 'per-family' });
  const names = r.clusters.map((c) => c.name);
  assert.ok(names.includes('outbound|80|IPv4|web.apps.svc.cluster.local') && names.includes('outbound|80|IPv6|web.apps.svc.cluster.local'));
  assert.ok(!names.includes('outbound|80||web.apps.svc.cluster.local'));
  assert.deepEqual(all(listener(r, 'fd00:10:96::b_5432')), ['fd00:10:96::b']);
  assert.deepEqual(all(listener(r, '10.96.0.11_5432')), ['10.96.0.11']);
  assert.deepEqual(r.routes.map((x) => x.name).filter((n) => n.startsWith('80|')), ['80|IPv4', '80|IPv6']);
  const v6 = r.endpoints.find((e) => e.cluster_name === 'outbound|80|IPv6|web.apps.svc.cluster.local');
  assert.deepEqual(v6?.endpoints.flatMap((l) => l.lb_endpoints.map((lb) => lb.endpoint.additional_addresses ?? [])), [[], []]);
  const single = translate(mesh(), proxyFor(clients.v4), { strategy: 'per-family' });
  assert.deepEqual(single, translate(mesh(), proxyFor(clients.v4)), 'per-family equals shared on a single-family proxy');
});

test('the native annotation splits only the annotated service', () => {
  const m = mesh();
  const annotated = { ...m, services: m.services.map((s) => (s.name === 'db' ? { ...s, forwarding: 'native' as const } : s)) };
  const r = translate(annotated, proxyFor(clients.dual4));
  const names = r.clusters.map((c) => c.name);
  assert.ok(names.includes('outbound|5432|IPv6|db.apps.svc.cluster.local'));
  assert.ok(names.includes('outbound|80||web.apps.svc.cluster.local'));
  assert.ok(r.routes.some((x) => x.name === '80'));
});

test('translation is deterministic and sorted by name', () => {
  const a = translate(mesh(), proxyFor(clients.dual6));
  const m = mesh();
  const b = translate({ ...m, services: [...m.services].reverse(), endpoints: [...m.endpoints].reverse() }, proxyFor(clients.dual6));
  assert.deepEqual(a, b);
  for (const list of [a.listeners, a.clusters, a.routes]) {
    const names = list.map((x) => x.name);
    assert.deepEqual(names, [...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
  }
});

test('a service targeting 15006 gets no inbound chain of its own: the port belongs to the loop guard', () => {
  const m = mesh();
  const clash = service('clash', 'apps', ['10.96.0.30'], [port('tcp', 7000, 'TCP', 15006), port('tcp-ok', 7001, 'TCP', 7001)], { selector: { app: 'web' } });
  const r = translate({ ...m, services: [...m.services, clash] }, proxyFor(webPod));
  const chains = listener(r, 'virtualInbound').filter_chains;
  assert.deepEqual(chains.map((c) => [c.name, c.filter_chain_match?.destination_port?.value]), [
    ['virtualInbound-blackhole', 15006],
    ['inbound|7001||', 7001],
    ['inbound|8080||', 8080],
    ['virtualInbound-passthrough', undefined],
  ]);
  assert.ok(!r.clusters.some((c) => c.name === 'inbound|15006||'));
  assert.deepEqual(validateResources(r), []);
});

test('PassthroughCluster keeps the client’s HTTP protocol; inbound passthrough clusters, behind TCP proxies only, need none', () => {
  const r = translate(mesh(), proxyFor(webPod));
  const options = (name: string) => r.clusters.find((c) => c.name === name)?.typed_extension_protocol_options;
  assert.deepEqual(options('PassthroughCluster')?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']?.['use_downstream_protocol_config'], {
    http_protocol_options: {},
    http2_protocol_options: {},
  });
  assert.equal(options('InboundPassthroughCluster'), undefined);
  assert.equal(options('inbound|8080||'), undefined);
  const inbound = listener(r, 'virtualInbound');
  assert.ok(inbound.filter_chains.every((c) => c.filters.every((f) => f.name === 'envoy.filters.network.tcp_proxy')), 'nothing inbound reads HTTP options');
});

test('headless HTTP services state their upstream protocol: HTTP/2 for gRPC, HTTP/1.1 for HTTP, none for TCP', () => {
  const m = mesh();
  const headless = service('peers', 'apps', [], [port('grpc', 50051, 'GRPC', 50051), port('http', 8081, 'HTTP', 8081), port('tcp', 7000, 'TCP', 7000)]);
  const r = translate({ ...m, services: [...m.services, headless] }, proxyFor(clients.dual4));
  const http = (p: number) =>
    r.clusters.find((c) => c.name === `outbound|${p}||peers.apps.svc.cluster.local`)?.typed_extension_protocol_options?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']?.['explicit_http_config'];
  assert.deepEqual(http(50051), { http2_protocol_options: {} });
  assert.deepEqual(http(8081), { http_protocol_options: {} });
  assert.equal(http(7000), undefined);
  assert.deepEqual(validateResources(r), []);
});

test('two headless services on one pod address and port share no listener address: the first by hostname keeps it', () => {
  const m = mesh();
  const a = service('a-peers', 'apps', [], [port('tcp', 7000, 'TCP', 7000)], { selector: { app: 'peer' } });
  const b = service('b-peers', 'apps', [], [port('tcp', 7000, 'TCP', 7000), port('tcp-admin', 7001, 'TCP', 7001)], { selector: { app: 'peer' } });
  const pod = (svc: typeof a) => endpoint(svc, 'peer-0', ['10.244.7.1', 'fd00:10:244:7::1'], [{ name: 'tcp', port: 7000 }, { name: 'tcp-admin', port: 7001 }]);
  const r = translate({ ...m, services: [b, ...m.services, a], endpoints: [...m.endpoints, pod(b), pod(a)] }, proxyFor(clients.dual4));
  const peers = r.listeners.filter((l) => l.name.startsWith('10.244.7.') || l.name.startsWith('fd00:10:244:7:'));
  assert.deepEqual(peers.map((l) => [l.name, l.filter_chains[0]?.name]), [
    ['10.244.7.1_7000', 'outbound|7000||a-peers.apps.svc.cluster.local'],
    ['10.244.7.1_7001', 'outbound|7001||b-peers.apps.svc.cluster.local'],
    ['fd00:10:244:7::1_7000', 'outbound|7000||a-peers.apps.svc.cluster.local'],
    ['fd00:10:244:7::1_7001', 'outbound|7001||b-peers.apps.svc.cluster.local'],
  ]);
  assert.deepEqual(validateResources(r), []);
});

test('a headless port listens on the endpoint port, and HTTP ports stay on the wildcard listener', () => {
  const m = mesh();
  const h = service('mapped', 'apps', [], [port('tcp', 80, 'TCP', 'tcp'), port('http', 8088, 'HTTP', 8088)]);
  const r = translate({ ...m, services: [...m.services, h], endpoints: [...m.endpoints, endpoint(h, 'mapped-0', ['10.244.8.1'], [{ name: 'tcp', port: 9000 }, { name: 'http', port: 8088 }])] }, proxyFor(clients.dual4));
  const names = r.listeners.map((l) => l.name);
  assert.ok(names.includes('10.244.8.1_9000'));
  assert.ok(!names.some((n) => n.startsWith('10.244.8.1_') && n !== '10.244.8.1_9000'));
  assert.ok(names.includes('0.0.0.0_8088'));
});

test('a ServiceEntry with resolution NONE and no addresses gets listeners per endpoint address, one with VIPs does not', () => {
  const m = mesh();
  const none = service('ext', 'apps', [], [port('tcp', 5000, 'TCP', 5000)], { kind: 'ServiceEntry', hostname: 'db.example.com', resolution: 'NONE', headless: false });
  const r = translate({ ...m, services: [...m.services, none], endpoints: [...m.endpoints, { ...endpoint(none, 'x', ['192.0.2.50'], []), pod: undefined }] as typeof m.endpoints }, proxyFor(clients.dual4));
  assert.ok(r.listeners.some((l) => l.name === '192.0.2.50_5000'));
  const withVip = { ...none, vips: ips('240.240.0.9') };
  const r2 = translate({ ...m, services: [...m.services, withVip], endpoints: [...m.endpoints, { ...endpoint(withVip, 'x', ['192.0.2.50'], []), pod: undefined }] as typeof m.endpoints }, proxyFor(clients.dual4));
  assert.deepEqual(r2.listeners.map((l) => l.name).filter((n) => n.endsWith('_5000')), ['240.240.0.9_5000']);
});

test('an HTTP service on a port the sidecar binds itself gets no wildcard listener there; its traffic passes through', () => {
  const m = mesh();
  const reserved = [15001, 15006, 15021, 15090].map((p, i) => service(`reserved${i}`, 'apps', [`10.96.1.${i + 1}`], [port('http', p, 'HTTP', p)]));
  const r = translate({ ...m, services: [...m.services, ...reserved] }, proxyFor(clients.dual4));
  for (const p of [15001, 15006, 15021, 15090]) {
    assert.ok(!r.listeners.some((l) => l.name === `0.0.0.0_${p}`), `no wildcard listener on ${p}`);
    assert.ok(!r.routes.some((rc) => rc.name === String(p)), `no route configuration for ${p}`);
  }
  assert.deepEqual(validateResources(r), []);
  const s = simulate(r, { direction: 'outbound', destination: '10.96.1.3', port: 15021, host: 'reserved2.apps' });
  assert.equal(s.cluster, 'PassthroughCluster');
});
