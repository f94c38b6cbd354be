// Spec §11: auto-allocated ServiceEntry VIPs only for proxies whose DNS the agent captures; every other proxy matches
// a TLS ServiceEntry host by SNI on the port's wildcard listener (both families), the rest falling through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indexModel } from '../../src/model/model-index.ts';
import { parseProxy } from '../../src/model/proxy.ts';
import type { Proxy, Service } from '../../src/model/types.ts';
import { TranslationCache, translate } from '../../src/translate/index.ts';
import { simulate } from '../../src/translate/simulate.ts';
import { validateResources } from '../../src/validate/index.ts';
import { clients, model, port, proxyFor, service } from './fixtures.ts';

const HOST = 'api.weather.example';
const CLUSTER = `outbound|443||${HOST}`;
/** Addresses the client's resolver might return for the external host (outside the mesh, documentation ranges). */
const OUTSIDE = ['198.18.7.7', '2001:db8:7::7'];

function entry(name: string, host: string, vips: string[], extra: Partial<Service> = {}): Service {
  return service(name, 'ext', vips, [port('https', 443, 'TLS')], {
    kind: 'ServiceEntry',
    hostname: host,
    resolution: 'DNS',
    location: 'MESH_EXTERNAL',
    ...extra,
  });
}

const weather = entry('weather', HOST, ['240.240.0.1', '2001:2::1'], { autoAllocated: true });
const web = service('web', 'apps', ['198.18.96.10', '2001:db8:96::a'], [port('http', 443, 'HTTP', 8080)]);

function withDns(proxy: Proxy): Proxy {
  return { ...proxy, dnsCapture: true, dnsAutoAllocate: true };
}

test('parseProxy reads DNS capture and auto-allocation from node metadata with and without the ISTIO_META_ prefix', () => {
  const read = (metadata: Record<string, unknown>): Proxy | undefined =>
    parseProxy({ id: 'sidecar~198.18.0.5~a.ns~ns.svc.cluster.local', metadata }).proxy;
  const plain = read({ DNS_CAPTURE: 'true', DNS_AUTO_ALLOCATE: '1' });
  assert.deepEqual([plain?.dnsCapture, plain?.dnsAutoAllocate], [true, true]);
  const istio = read({ ISTIO_META_DNS_CAPTURE: 'TRUE', ISTIO_META_DNS_AUTO_ALLOCATE: 'true' });
  assert.deepEqual([istio?.dnsCapture, istio?.dnsAutoAllocate], [true, true]);
  const off = read({ DNS_CAPTURE: 'false', ISTIO_META_DNS_AUTO_ALLOCATE: '0' });
  assert.deepEqual([off?.dnsCapture, off?.dnsAutoAllocate], [false, false]);
  const none = read({});
  assert.deepEqual([none?.dnsCapture, none?.dnsAutoAllocate], [false, false]);
});

test('a dual proxy without DNS capture sends TLS with the host as SNI to the ServiceEntry cluster over IPv4 and IPv6', () => {
  const r = translate(model([weather], [], []), proxyFor(clients.dual4));
  for (const destination of OUTSIDE) {
    const s = simulate(r, { direction: 'outbound', destination, port: 443, protocol: 'tls', sni: HOST });
    assert.equal(s.listener, '0.0.0.0_443', destination);
    assert.equal(s.cluster, CLUSTER, destination);
  }
  const wildcard = r.listeners.find((l) => l.name === '0.0.0.0_443');
  assert.deepEqual(wildcard?.additional_addresses?.map((a) => a.address.socket_address.address), ['::']);
  assert.deepEqual(validateResources(r), []);
});

test('a proxy without DNS capture gets no listener on auto-allocated VIPs', () => {
  const r = translate(model([weather], [], []), proxyFor(clients.dual4));
  const addresses = r.listeners.flatMap((l) => [l.address, ...(l.additional_addresses ?? []).map((a) => a.address)]);
  assert.deepEqual(addresses.filter((a) => ['240.240.0.1', '2001:2::1'].includes(a.socket_address.address)), []);
});

test('TLS to another name or plain TCP on the SNI wildcard still falls through to PassthroughCluster', () => {
  const r = translate(model([weather], [], []), proxyFor(clients.dual4));
  for (const destination of OUTSIDE) {
    const other = simulate(r, { direction: 'outbound', destination, port: 443, protocol: 'tls', sni: 'other.example' });
    assert.equal(other.cluster, 'PassthroughCluster', destination);
    const tcp = simulate(r, { direction: 'outbound', destination, port: 443, protocol: 'tcp' });
    assert.equal(tcp.cluster, 'PassthroughCluster', destination);
  }
});

test('a proxy whose DNS is captured with auto-allocation gets the VIP listener and no SNI chain', () => {
  const r = translate(model([weather], [], []), withDns(proxyFor(clients.dual4)));
  for (const destination of ['240.240.0.1', '2001:2::1']) {
    const s = simulate(r, { direction: 'outbound', destination, port: 443, protocol: 'tls', sni: HOST });
    assert.equal(s.listener, '240.240.0.1_443', destination);
    assert.equal(s.cluster, CLUSTER, destination);
  }
  assert.equal(r.listeners.find((l) => l.name === '0.0.0.0_443'), undefined);
});

test('DNS capture without auto-allocation still matches the host by SNI', () => {
  const r = translate(model([weather], [], []), { ...proxyFor(clients.dual4), dnsCapture: true });
  const s = simulate(r, { direction: 'outbound', destination: OUTSIDE[1] ?? '', port: 443, protocol: 'tls', sni: HOST });
  assert.equal(s.cluster, CLUSTER);
});

test('explicit ServiceEntry addresses keep their listener for every proxy', () => {
  const billing = entry('billing', 'billing.example', ['198.18.10.10', '2001:db8:10::10'], { resolution: 'STATIC' });
  const r = translate(model([billing], [], []), proxyFor(clients.dual4));
  assert.ok(r.listeners.some((l) => l.name === '198.18.10.10_443'));
  assert.equal(r.listeners.find((l) => l.name === '0.0.0.0_443'), undefined);
});

test('a resolution NONE host without addresses is matched by SNI too', () => {
  const passthrough = entry('any', 'none.example', [], { resolution: 'NONE', headless: false });
  const r = translate(model([passthrough], [], []), proxyFor(clients.v6));
  const s = simulate(r, { direction: 'outbound', destination: '2001:db8:9::9', port: 443, protocol: 'tls', sni: 'none.example' });
  assert.equal(s.listener, '::_443');
  assert.equal(s.cluster, 'outbound|443||none.example');
});

test('an HTTP service on the same port shares the wildcard: HTTP routes, SNI to the entry, the rest passes through', () => {
  const r = translate(model([weather, web], [], []), proxyFor(clients.dual4));
  assert.equal(r.listeners.filter((l) => l.name.endsWith('_443') && l.name.startsWith('0.0.0.0')).length, 1);
  const http = simulate(r, { direction: 'outbound', destination: '198.18.96.10', port: 443, host: 'web.apps' });
  assert.equal(http.cluster, 'outbound|443||web.apps.svc.cluster.local');
  const tls = simulate(r, { direction: 'outbound', destination: '2001:db8:7::7', port: 443, protocol: 'tls', sni: HOST });
  assert.equal(tls.cluster, CLUSTER);
  const other = simulate(r, { direction: 'outbound', destination: '198.18.7.7', port: 443, protocol: 'tls', sni: 'x.example' });
  assert.equal(other.cluster, 'PassthroughCluster');
  assert.deepEqual(validateResources(r), []);
});

test('per-family forwarding splits the SNI wildcard into one listener per family, each to its own cluster', () => {
  const r = translate(model([weather], [], []), proxyFor(clients.dual6), { strategy: 'per-family' });
  const v6 = simulate(r, { direction: 'outbound', destination: '2001:db8:7::7', port: 443, protocol: 'tls', sni: HOST });
  assert.deepEqual([v6.listener, v6.cluster], ['::_443', `outbound|443|IPv6|${HOST}`]);
  const v4 = simulate(r, { direction: 'outbound', destination: '198.18.7.7', port: 443, protocol: 'tls', sni: HOST });
  assert.deepEqual([v4.listener, v4.cluster], ['0.0.0.0_443', `outbound|443|IPv4|${HOST}`]);
});

test('auto-allocated VIPs are route domains only for proxies that capture DNS', () => {
  const api = entry('api', 'api.example', ['240.240.0.2', '2001:2::2'], { autoAllocated: true, ports: [port('http', 80, 'HTTP')] });
  const domains = (proxy: Proxy): readonly string[] =>
    translate(model([api], [], []), proxy).routes.find((rc) => rc.name === '80')?.virtual_hosts[0]?.domains ?? [];
  assert.ok(!domains(proxyFor(clients.dual4)).includes('240.240.0.2'));
  assert.ok(domains(proxyFor(clients.dual4)).includes('api.example'));
  assert.ok(domains(withDns(proxyFor(clients.dual4))).includes('240.240.0.2'));
  assert.ok(domains(withDns(proxyFor(clients.dual4))).includes('[2001:2::2]'));
});

test('the translation cache keeps DNS-capturing and other proxies of the same mode apart and equals a fresh cache', () => {
  const mesh = indexModel(model([weather, web], [], []));
  const cache = new TranslationCache();
  for (const proxy of [proxyFor(clients.dual4), withDns(proxyFor(clients.dual4)), proxyFor(clients.dual4)]) {
    assert.deepEqual(translate(mesh, proxy, { cache }), translate(mesh, proxy));
  }
});
