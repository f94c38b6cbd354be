import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indexModel } from '../../src/model/model-index.ts';
import type { ClusterLoadAssignment, Listener } from '../../src/translate/envoy-types.ts';
import {
  proxylessCluster,
  proxylessEndpoints,
  proxylessListener,
  proxylessListenerNames,
  proxylessRoute,
  serverListenerName,
  translateProxyless,
  type ApiListener,
  type ProxylessListener,
} from '../../src/translate/proxyless/index.ts';
import { GREETER, endpoint, greeterProxy, meshModel, proxy } from './fixtures.ts';

const FQDN = `${GREETER}:50051`;

function names(list: readonly { name: string }[]): string[] {
  return list.map((l) => l.name);
}

function isApi(l: ProxylessListener): l is ApiListener {
  return 'api_listener' in l;
}

function assignment(resources: { endpoints: readonly ClusterLoadAssignment[] }, cluster: string): ClusterLoadAssignment {
  const found = resources.endpoints.find((e) => e.cluster_name === cluster);
  assert.ok(found, `no assignment ${cluster}`);
  return found;
}

function addressesOf(cla: ClusterLoadAssignment): string[][] {
  return cla.endpoints.flatMap((l) =>
    l.lb_endpoints.map((lb) => [lb.endpoint.address, ...(lb.endpoint.additional_addresses ?? []).map((a) => a.address)].map((a) => a.socket_address.address)),
  );
}

test('a client listener exists for every hostname form and every VIP, IPv6 bracketed, named exactly host:port', () => {
  const out = translateProxyless(meshModel(), greeterProxy());
  const clients = names(out.listeners.filter(isApi));
  for (const name of [FQDN, 'greeter.demo.svc:50051', 'greeter.demo:50051', 'greeter:50051', '10.96.0.70:50051', '[fd00:10:96::70]:50051']) {
    assert.ok(clients.includes(name), `missing ${name}`);
  }
  assert.ok(!clients.includes('fd00:10:96::70:50051'), 'an unbracketed IPv6 name cannot be dialed');
  assert.ok(!clients.some((n) => n.startsWith('v6only:')), 'short name only for services of the own namespace');
  assert.ok(clients.includes('v6only.other:8080') && clients.includes('[fd00:10:96::90]:8080'));
  assert.ok(!clients.some((n) => n.startsWith('udp.')), 'UDP ports are not gRPC targets');
});

test('client listeners are api_listeners over RDS from ADS with the router filter last', () => {
  const out = translateProxyless(meshModel(), greeterProxy());
  for (const l of out.listeners.filter(isApi)) {
    const hcm = l.api_listener.api_listener;
    assert.equal(hcm['@type'], 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
    assert.deepEqual(hcm.rds?.config_source, { ads: {}, resource_api_version: 'V3' });
    assert.equal(hcm.http_filters.at(-1)?.name, 'envoy.filters.http.router');
  }
});

test('every client listener routes to a virtual host matching its authority, then to an EDS or DNS cluster', () => {
  const out = translateProxyless(meshModel(), greeterProxy());
  const routes = new Map(out.routes.map((r) => [r.name, r]));
  const clusters = new Map(out.clusters.map((c) => [c.name, c]));
  for (const l of out.listeners.filter(isApi)) {
    const route = routes.get(l.api_listener.api_listener.rds?.route_config_name ?? '');
    assert.ok(route, `${l.name}: route configuration missing`);
    const vhost = route.virtual_hosts.find((vh) => vh.domains.includes(l.name));
    assert.ok(vhost, `${l.name}: no domain equals the authority`);
    const cluster = clusters.get(vhost.routes[0]?.route.cluster ?? '');
    assert.ok(cluster, `${l.name}: cluster missing`);
    if (cluster.type === 'EDS') assignment(out, cluster.name);
    else assert.equal(cluster.type, 'LOGICAL_DNS');
  }
  assert.equal(routes.get(FQDN)?.virtual_hosts.length, 1, 'one virtual host per service port');
});

test('dual-stack endpoints keep podIPs order: first address primary, the other family additional', () => {
  const cla = assignment(translateProxyless(meshModel(), greeterProxy()), `outbound|50051||${GREETER}`);
  assert.deepEqual(addressesOf(cla), [
    ['10.244.1.20', 'fd00:10:244:1::20'],
    ['fd00:10:244:3::20', '10.244.3.20'],
  ]);
  const ports = cla.endpoints.flatMap((l) => l.lb_endpoints.map((lb) => lb.endpoint.address.socket_address.port_value));
  assert.deepEqual(ports, [50052, 50052], 'the target port, resolved by name');
});

test('an IPv4-only proxy gets no IPv6 VIP listener and no IPv6 endpoint address', () => {
  const out = translateProxyless(meshModel(), proxy('other', ['10.244.5.5']));
  const clients = names(out.listeners.filter(isApi));
  assert.ok(clients.includes('10.96.0.70:50051'));
  assert.ok(!clients.some((n) => n.startsWith('[')), `IPv6 names: ${clients.filter((n) => n.startsWith('['))}`);
  const cla = assignment(out, `outbound|50051||${GREETER}`);
  assert.deepEqual(addressesOf(cla), [['10.244.1.20'], ['10.244.3.20']]);
  assert.deepEqual(addressesOf(assignment(out, 'outbound|8080||v6only.other.svc.cluster.local')), []);
  const domains = out.routes.find((r) => r.name === FQDN)?.virtual_hosts[0]?.domains ?? [];
  assert.ok(!domains.some((d) => d.includes('fd00')), 'no IPv6 VIP domain either');
});

test('an IPv6-only proxy keeps only IPv6 addresses, each endpoint led by its IPv6 address', () => {
  const out = translateProxyless(meshModel(), proxy('demo', ['fd00:10:244:7::7']));
  assert.deepEqual(addressesOf(assignment(out, `outbound|50051||${GREETER}`)), [['fd00:10:244:1::20'], ['fd00:10:244:3::20']]);
  assert.ok(!names(out.listeners).includes('10.96.0.70:50051'));
});

test('no ip:port repeats in an assignment and only ready endpoints are sent, all HEALTHY', () => {
  const cla = assignment(translateProxyless(meshModel(), greeterProxy()), `outbound|50051||${GREETER}`);
  const seen = addressesOf(cla).flat();
  assert.equal(new Set(seen).size, seen.length, `duplicates in ${seen}`);
  assert.ok(!seen.includes('10.244.2.20'), 'the not-ready pod is left out');
  const health = cla.endpoints.flatMap((l) => l.lb_endpoints.map((lb) => lb.health_status));
  assert.deepEqual(health, ['HEALTHY', 'HEALTHY']);
});

test('every locality is set, weighted by its endpoint count, at priority 0', () => {
  const cla = assignment(translateProxyless(meshModel(), greeterProxy()), `outbound|50051||${GREETER}`);
  assert.deepEqual(
    cla.endpoints.map((l) => [l.locality, l.load_balancing_weight?.value, l.priority ?? 0]),
    [
      [{ region: 'eu-west', zone: 'eu-west-a' }, 1, 0],
      [{ region: 'eu-west', zone: 'eu-west-b' }, 1, 0],
    ],
  );
  const base = meshModel();
  const third = endpoint(GREETER, ['10.244.1.21'], [{ name: 'grpc-greeter', port: 50052 }], { locality: { region: 'eu-west', zone: 'eu-west-a' } });
  const crowded = assignment(translateProxyless({ ...base, endpoints: [...base.endpoints, third] }, greeterProxy()), `outbound|50051||${GREETER}`);
  assert.deepEqual(crowded.endpoints.map((l) => [l.lb_endpoints.length, l.load_balancing_weight?.value]), [[2, 2], [1, 1]]);
  const v6 = assignment(translateProxyless(meshModel(), greeterProxy()), 'outbound|8080||v6only.other.svc.cluster.local');
  assert.deepEqual(v6.endpoints[0]?.locality, {}, 'an unknown locality is an empty object, never unset');
});

test('clusters are EDS over ADS with round robin; an ExternalName is one LOGICAL_DNS name without EDS', () => {
  const out = translateProxyless(meshModel(), greeterProxy());
  const eds = out.clusters.find((c) => c.name === `outbound|50051||${GREETER}`);
  assert.deepEqual([eds?.type, eds?.lb_policy, eds?.eds_cluster_config], ['EDS', 'ROUND_ROBIN', { eds_config: { ads: {}, resource_api_version: 'V3' } }]);
  const dns = out.clusters.find((c) => c.name === 'outbound|443||payments.shop.svc.cluster.local');
  assert.equal(dns?.type, 'LOGICAL_DNS');
  assert.deepEqual(dns?.load_assignment?.endpoints[0]?.lb_endpoints.map((lb) => lb.endpoint.address.socket_address), [
    { address: 'api.payments.example.com', port_value: 443 },
  ]);
  assert.ok(!out.endpoints.some((e) => e.cluster_name.includes('payments')));
});

test('server listeners cover the inbound target port for both wildcards and each pod IP', () => {
  const out = translateProxyless(meshModel(), greeterProxy());
  const servers = out.listeners.filter((l): l is Listener => !isApi(l));
  assert.deepEqual(
    names(servers),
    ['0.0.0.0:50052', '10.244.1.20:50052', '[::]:50052', '[fd00:10:244:1::20]:50052'].map(serverListenerName).sort(),
  );
  assert.deepEqual(
    servers.map((l) => l.address.socket_address.address).sort(),
    ['0.0.0.0', '10.244.1.20', '::', 'fd00:10:244:1::20'],
  );
  const client = translateProxyless(meshModel(), proxy('other', ['10.244.5.5']));
  assert.ok(!client.listeners.some((l) => l.name.startsWith('grpc/server')), 'a pod no service selects serves nothing');
});

test('proxylessListener answers a server on any port of its own addresses, keeping the bound host string', () => {
  const p = greeterProxy();
  const cases: [string, string][] = [
    ['0.0.0.0:50051', '0.0.0.0'],
    ['[::]:50051', '::'],
    ['127.0.0.1:7001', '127.0.0.1'],
    ['[::1]:7001', '::1'],
    ['[0:0:0:0:0:0:0:0]:443', '0:0:0:0:0:0:0:0'],
    ['[fd00:10:244:1::20]:9000', 'fd00:10:244:1::20'],
  ];
  for (const [bound, host] of cases) {
    const l = proxylessListener(meshModel(), p, serverListenerName(bound));
    assert.ok(l && !isApi(l), `no listener for ${bound}`);
    assert.deepEqual(l.address.socket_address, { address: host, port_value: Number(bound.slice(bound.lastIndexOf(':') + 1)) });
  }
  for (const bad of ['10.9.9.9:50051', '[::1]:0', '::1:50051', '[::]:70000', 'localhost:50051', '[fd00:10:244:3::20]:1']) {
    assert.equal(proxylessListener(meshModel(), p, serverListenerName(bad)), undefined, bad);
  }
});

test('a server listener has one chain without a match, holding only an HCM with non-forwarding routes, router last', () => {
  const l = proxylessListener(meshModel(), greeterProxy(), serverListenerName('[::]:50052'));
  assert.ok(l && !isApi(l));
  assert.equal(l.listener_filters, undefined);
  assert.equal(l.use_original_dst, undefined);
  assert.equal(l.filter_chains.length, 1);
  const chain = l.filter_chains[0];
  assert.ok(chain && chain.filter_chain_match === undefined && chain.filters.length === 1);
  const hcm = chain.filters[0]?.typed_config as Record<string, any>;
  assert.deepEqual(hcm['route_config'].virtual_hosts[0].routes[0].non_forwarding_action, {});
  assert.deepEqual(hcm['route_config'].virtual_hosts[0].domains, ['*']);
  assert.equal(hcm['http_filters'].at(-1).name, 'envoy.filters.http.router');
});

test('building one resource by name gives exactly what the full translation holds', () => {
  const p = greeterProxy();
  const index = indexModel(meshModel());
  const out = translateProxyless(index, p);
  assert.deepEqual(proxylessListenerNames(index, p), names(out.listeners));
  for (const l of out.listeners) assert.deepEqual(proxylessListener(index, p, l.name), l);
  for (const r of out.routes) assert.deepEqual(proxylessRoute(index, p, r.name), r);
  for (const c of out.clusters) assert.deepEqual(proxylessCluster(index, p, c.name), c);
  for (const e of out.endpoints) assert.deepEqual(proxylessEndpoints(index, p, e.cluster_name), e);
  for (const unknown of ['nope:50051', 'greeter:50052', 'GREETER:50051', 'greeter.demo.svc.cluster:50051', '10.96.0.71:50051', 'greeter']) {
    assert.equal(proxylessListener(index, p, unknown), undefined, unknown);
  }
  assert.equal(proxylessRoute(index, p, 'greeter:50051'), undefined, 'routes are named by the FQDN only');
  assert.equal(proxylessCluster(index, p, 'outbound|53||udp.other.svc.cluster.local'), undefined);
});

test('the short name resolves in the proxy namespace only', () => {
  const index = indexModel(meshModel());
  assert.equal(proxylessListener(index, proxy('other', ['10.244.5.5']), 'greeter:50051'), undefined);
  const own = proxylessListener(index, proxy('other', ['10.244.5.5']), 'v6only:8080');
  assert.ok(own && isApi(own));
  assert.equal(own.api_listener.api_listener.rds?.route_config_name, 'v6only.other.svc.cluster.local:8080');
});

test('output is sorted by name and the same for the same input', () => {
  const a = translateProxyless(meshModel(), greeterProxy());
  const b = translateProxyless(meshModel(), greeterProxy());
  assert.deepEqual(a, b);
  for (const list of [names(a.listeners), names(a.clusters), names(a.routes), a.endpoints.map((e) => e.cluster_name)]) {
    assert.deepEqual(list, [...list].sort());
    assert.equal(new Set(list).size, list.length);
  }
});
