import assert from 'node:assert/strict';
import { test } from 'node:test';
import { translate } from '../../src/translate/index.ts';
import { detect, matchFilterChain, simulate } from '../../src/translate/simulate.ts';
import type { FilterChain, FilterChainMatch, Listener } from '../../src/translate/types.ts';
import { clients, endpoint, port, proxyFor, service } from './fixtures.ts';
import { mesh, webPod } from './mesh.ts';

const WEB = 'outbound|80||web.apps.svc.cluster.local';
const DB = 'outbound|5432||db.apps.svc.cluster.local';

test('a dual IPv4-primary proxy sends IPv4 and IPv6 calls to a dual service through the same listener and cluster', () => {
  const r = translate(mesh(), proxyFor(clients.dual4));
  for (const vip of ['fd00:10:96::b', '10.96.0.11']) {
    const s = simulate(r, { direction: 'outbound', destination: vip, port: 5432 });
    assert.equal(s.listener, 'fd00:10:96::b_5432', vip);
    assert.equal(s.cluster, DB);
    assert.equal(s.upstreamFamily, 'IPv6', 'upstream family is the endpoint first address, not the client family');
  }
});

test('an HTTP call by IPv6 VIP lands on the same-family wildcard and routes by bracketed authority', () => {
  for (const client of [clients.dual4, clients.dual6]) {
    const r = translate(mesh(), proxyFor(client));
    const s = simulate(r, { direction: 'outbound', destination: 'fd00:10:96::a', port: 80 });
    assert.equal(s.routeConfig, '80');
    assert.equal(s.virtualHost, 'web.apps.svc.cluster.local:80');
    assert.equal(s.cluster, WEB);
    assert.deepEqual(s.upstreams, [['10.244.2.1', 'fd00:10:244:2::1'], ['10.244.2.2', 'fd00:10:244:2::2']]);
    const v4 = simulate(r, { direction: 'outbound', destination: '10.96.0.10', port: 80, host: 'web.apps' });
    assert.equal(v4.cluster, WEB);
  }
});

test('an IPv4-only proxy reaches dual services over IPv4 and never gets an IPv6 upstream', () => {
  const r = translate(mesh(), proxyFor(clients.v4));
  const tcp = simulate(r, { direction: 'outbound', destination: '10.96.0.11', port: 5432 });
  assert.equal(tcp.listener, '10.96.0.11_5432');
  assert.deepEqual(tcp.upstreams, [['10.244.3.1']]);
  const http = simulate(r, { direction: 'outbound', destination: '10.96.0.10', port: 80 });
  assert.equal(http.listener, '0.0.0.0_80');
  assert.deepEqual(http.upstreams, [['10.244.2.1'], ['10.244.2.2']]);
  const v6 = simulate(r, { direction: 'outbound', destination: 'fd00:10:96::b', port: 5432 });
  assert.match(v6.error ?? '', /no IPv6 capture listener/);
});

test('an IPv6-only proxy reaches dual services over IPv6 and an IPv6-only service by name', () => {
  const r = translate(mesh(), proxyFor(clients.v6));
  const tcp = simulate(r, { direction: 'outbound', destination: 'fd00:10:96::b', port: 5432 });
  assert.equal(tcp.listener, 'fd00:10:96::b_5432');
  assert.deepEqual(tcp.upstreams, [['fd00:10:244:3::1']]);
  const http = simulate(r, { direction: 'outbound', destination: 'fd00:10:96::c', port: 8080, host: 'modern.apps.svc.cluster.local:8080' });
  assert.equal(http.listener, '::_8080');
  assert.equal(http.cluster, 'outbound|8080||modern.apps.svc.cluster.local');
  assert.match(simulate(r, { direction: 'outbound', destination: '10.96.0.12', port: 9000 }).error ?? '', /no IPv4 capture/);
});

test('an unknown destination of either family passes through on the dual proxy', () => {
  const r = translate(mesh(), proxyFor(clients.dual6));
  for (const dst of ['192.0.2.1', '2001:db8::1']) {
    const s = simulate(r, { direction: 'outbound', destination: dst, port: 443 });
    assert.equal(s.listener, 'virtualOutbound');
    assert.equal(s.cluster, 'PassthroughCluster');
    assert.deepEqual(s.upstreams, [[dst]]);
  }
});

test('inbound calls bind the passthrough source of the destination family', () => {
  const r = translate(mesh(), proxyFor(webPod));
  const v4 = simulate(r, { direction: 'inbound', destination: '10.244.2.1', port: 8080 });
  assert.equal(v4.cluster, 'inbound|8080||');
  assert.equal(v4.sourceAddress, '127.0.0.6');
  const v6 = simulate(r, { direction: 'inbound', destination: 'fd00:10:244:2::1', port: 8080 });
  assert.equal(v6.cluster, 'inbound|8080||');
  assert.equal(v6.sourceAddress, '::6');
  const other = simulate(r, { direction: 'inbound', destination: 'fd00:10:244:2::1', port: 9999 });
  assert.equal(other.cluster, 'InboundPassthroughCluster');
  assert.equal(other.sourceAddress, '::6');
});

test('single-family proxies bind only their own passthrough source', () => {
  const m = mesh();
  const v6pod = { ...webPod, name: 'web-v6', ips: m.pods[0]!.ips.filter((a) => a.family === 'IPv6') };
  const r = translate(m, proxyFor(v6pod));
  const s = simulate(r, { direction: 'inbound', destination: 'fd00:10:244:2::1', port: 8080 });
  assert.equal(s.sourceAddress, '::6');
  assert.equal(simulate(r, { direction: 'inbound', destination: '10.244.2.1', port: 8080 }).listener, undefined);
});

test('native forwarding keeps the client family end to end on a dual proxy', () => {
  const r = translate(mesh(), proxyFor(clients.dual4), { strategy: 'per-family' });
  const v4 = simulate(r, { direction: 'outbound', destination: '10.96.0.11', port: 5432 });
  assert.equal(v4.listener, '10.96.0.11_5432');
  assert.equal(v4.cluster, 'outbound|5432|IPv4|db.apps.svc.cluster.local');
  assert.deepEqual(v4.upstreams, [['10.244.3.1']]);
  const v6 = simulate(r, { direction: 'outbound', destination: 'fd00:10:96::a', port: 80, host: 'web.apps.svc.cluster.local' });
  assert.equal(v6.listener, '::_80');
  assert.equal(v6.routeConfig, '80|IPv6');
  assert.equal(v6.cluster, 'outbound|80|IPv6|web.apps.svc.cluster.local');
  assert.deepEqual(v6.upstreams, [['fd00:10:244:2::1'], ['fd00:10:244:2::2']]);
});

test('a connection sent straight to 15001 or 15006 ends in the black hole on both families, never passed through', () => {
  const r = translate(mesh(), proxyFor(webPod));
  for (const dst of ['10.244.2.1', 'fd00:10:244:2::1']) {
    const out = simulate(r, { direction: 'outbound', destination: dst, port: 15001 });
    assert.equal(out.listener, 'virtualOutbound');
    assert.equal(out.filterChain, 'virtualOutbound-blackhole');
    assert.equal(out.cluster, 'BlackHoleCluster');
    assert.deepEqual(out.upstreams, [], 'no upstream to connect to');
    const inbound = simulate(r, { direction: 'inbound', destination: dst, port: 15006 });
    assert.equal(inbound.listener, 'virtualInbound');
    assert.equal(inbound.filterChain, 'virtualInbound-blackhole');
    assert.equal(inbound.cluster, 'BlackHoleCluster');
  }
});

test('non-HTTP connections to an HTTP port pass through to their original destination on both families', () => {
  for (const client of [clients.dual4, clients.dual6]) {
    const r = translate(mesh(), proxyFor(client));
    for (const dst of ['192.0.2.10', '2001:db8::10', '10.96.0.10', 'fd00:10:96::a']) {
      for (const protocol of ['tls', 'tcp', 'server-first'] as const) {
        const s = simulate(r, { direction: 'outbound', destination: dst, port: 80, protocol, sni: 'example.com' });
        assert.equal(s.listener, client === clients.dual4 ? '0.0.0.0_80' : '::_80', `${dst} ${protocol}`);
        assert.equal(s.filterChain, 'PassthroughFilterChain', `${dst} ${protocol}`);
        assert.equal(s.cluster, 'PassthroughCluster');
        assert.deepEqual(s.upstreams, [[dst]]);
        assert.equal(s.timedOut, protocol === 'server-first' ? true : undefined, 'only a silent client waits for the detection timeout');
      }
    }
  }
});

test('plaintext HTTP/1.1 and h2c to a host outside the mesh on an HTTP port reach it through allow_any', () => {
  const r = translate(mesh(), proxyFor(clients.dual4));
  for (const protocol of ['http/1.1', 'h2c'] as const) {
    for (const dst of ['192.0.2.10', '2001:db8::10']) {
      const s = simulate(r, { direction: 'outbound', destination: dst, port: 80, protocol, host: 'example.com' });
      assert.equal(s.filterChain, '0.0.0.0_80');
      assert.equal(s.virtualHost, 'allow_any');
      assert.equal(s.cluster, 'PassthroughCluster');
      assert.deepEqual(s.upstreams, [[dst]]);
    }
    const mesh80 = simulate(r, { direction: 'outbound', destination: '10.96.0.10', port: 80, protocol });
    assert.equal(mesh80.cluster, WEB, 'mesh HTTP still routes by authority');
  }
});

test('virtualOutbound sniffs nothing: a silent client on a port without a listener passes through at once', () => {
  const r = translate(mesh(), proxyFor(clients.dual6));
  assert.equal(r.listeners.find((l) => l.name === 'virtualOutbound')?.listener_filters, undefined);
  const s = simulate(r, { direction: 'outbound', destination: '2001:db8::33', port: 3306, protocol: 'server-first' });
  assert.equal(s.listener, 'virtualOutbound');
  assert.equal(s.cluster, 'PassthroughCluster');
  assert.equal(s.timedOut, undefined);
});

test('chain matching never backtracks: a port-specific chain that fails on transport leaves only the default chain', () => {
  const chain = (name: string, match?: FilterChainMatch): FilterChain => ({ name, ...(match ? { filter_chain_match: match } : {}), filters: [] });
  const l: Listener = {
    name: 'l',
    address: { socket_address: { address: '0.0.0.0', port_value: 80 } },
    listener_filters: [{ name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': 'x' } }],
    filter_chains: [chain('port-80-plain', { destination_port: { value: 80 }, transport_protocol: 'raw_buffer' }), chain('any')],
  };
  const dst = { ip: '192.0.2.1', family: 'IPv4' } as const;
  assert.equal(matchFilterChain(l, dst, 80, detect(l, 'tcp'))?.name, 'port-80-plain');
  assert.equal(matchFilterChain(l, dst, 80, detect(l, 'tls')), undefined, 'the wider chain is not tried');
  assert.equal(matchFilterChain({ ...l, default_filter_chain: chain('default') }, dst, 80, detect(l, 'tls'))?.name, 'default');
  assert.equal(matchFilterChain(l, dst, 81, detect(l, 'tls'))?.name, 'any');
});

test('the longest destination prefix wins, and a range never matches the other family', () => {
  const chain = (name: string, ...ranges: [string, number][]): FilterChain => ({
    name,
    filter_chain_match: { prefix_ranges: ranges.map(([address_prefix, value]) => ({ address_prefix, prefix_len: { value } })) },
    filters: [],
  });
  const l: Listener = {
    name: 'l',
    address: { socket_address: { address: '0.0.0.0', port_value: 80 } },
    filter_chains: [chain('wide', ['192.0.2.0', 24]), chain('narrow', ['192.0.2.8', 29]), chain('v6', ['2001:db8::', 32])],
  };
  const v4 = (ip: string) => ({ ip, family: 'IPv4' }) as const;
  assert.equal(matchFilterChain(l, v4('192.0.2.9'), 80, detect(l, 'tcp'))?.name, 'narrow');
  assert.equal(matchFilterChain(l, v4('192.0.2.1'), 80, detect(l, 'tcp'))?.name, 'wide');
  assert.equal(matchFilterChain(l, { ip: '2001:db8::1', family: 'IPv6' }, 80, detect(l, 'tcp'))?.name, 'v6');
  assert.equal(matchFilterChain(l, { ip: '2001:db9::1', family: 'IPv6' }, 80, detect(l, 'tcp')), undefined);
});

/** The mesh plus a dual-stack headless TCP service `cache` with two pods. */
function withHeadless() {
  const m = mesh();
  const cache = service('cache', 'apps', [], [port('tcp-redis', 6379, 'TCP', 6379)]);
  return {
    ...m,
    services: [...m.services, cache],
    endpoints: [
      ...m.endpoints,
      endpoint(cache, 'cache-0', ['10.244.6.1', 'fd00:10:244:6::1'], [{ name: 'tcp-redis', port: 6379 }]),
      endpoint(cache, 'cache-1', ['fd00:10:244:6::2', '10.244.6.2'], [{ name: 'tcp-redis', port: 6379 }]),
    ],
  };
}

test('a headless TCP endpoint gets its own listener per family, and keeps the family end to end', () => {
  const r = translate(withHeadless(), proxyFor(clients.dual6));
  for (const ip of ['10.244.6.1', 'fd00:10:244:6::1', '10.244.6.2', 'fd00:10:244:6::2']) {
    const s = simulate(r, { direction: 'outbound', destination: ip, port: 6379, protocol: 'server-first' });
    assert.equal(s.listener, `${ip}_6379`);
    assert.equal(s.cluster, 'outbound|6379||cache.apps.svc.cluster.local');
    assert.equal(s.clusterType, 'ORIGINAL_DST');
    assert.deepEqual(s.upstreams, [[ip]]);
    assert.equal(s.timedOut, undefined, 'no sniffing on a TCP listener');
  }
  const names = r.listeners.map((l) => l.name).filter((n) => n.endsWith('_6379'));
  assert.deepEqual(names, ['10.244.6.1_6379', '10.244.6.2_6379', 'fd00:10:244:6::1_6379', 'fd00:10:244:6::2_6379']);
  assert.ok(r.listeners.filter((l) => names.includes(l.name)).every((l) => l.additional_addresses === undefined), 'never merged');
});

test('a single-family proxy gets headless listeners of its own family only', () => {
  const v4 = translate(withHeadless(), proxyFor(clients.v4));
  assert.deepEqual(v4.listeners.map((l) => l.name).filter((n) => n.endsWith('_6379')), ['10.244.6.1_6379', '10.244.6.2_6379']);
  const v6 = translate(withHeadless(), proxyFor(clients.v6));
  assert.deepEqual(v6.listeners.map((l) => l.name).filter((n) => n.endsWith('_6379')), ['fd00:10:244:6::1_6379', 'fd00:10:244:6::2_6379']);
  assert.equal(simulate(v6, { direction: 'outbound', destination: 'fd00:10:244:6::2', port: 6379 }).listener, 'fd00:10:244:6::2_6379');
});
