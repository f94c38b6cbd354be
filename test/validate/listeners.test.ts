import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateResources } from '../../src/validate/index.ts';
import { dualStack, put, sock, summary } from './fixtures.ts';

test('a listener whose additional address repeats its primary address is rejected', () => {
  const set = dualStack();
  put(set.listeners[0]!, 'additional_addresses[0].address', sock('10.96.0.10', 80));
  assert.deepEqual(summary(validateResources(set)), ['listener.unique_address 10.96.0.10_80 additional_addresses[0].address']);
});

test('the same IPv6 address spelled two ways counts as one address', () => {
  const set = dualStack();
  put(set.listeners[0]!, 'additional_addresses[1].address', sock('FD00:10:96:0:0:0:0:A', 80));
  assert.deepEqual(summary(validateResources(set)), ['listener.unique_address 10.96.0.10_80 additional_addresses[1].address']);
});

test('two listeners binding the same socket address are rejected on the second', () => {
  const set = dualStack();
  put(set.listeners[1]!, 'additional_addresses[0].address', sock('fd00:10:96::a', 80));
  const problems = validateResources(set);
  assert.deepEqual(summary(problems), ['listener.unique_address 10.96.0.20_5432 additional_addresses[0].address']);
  assert.match(problems[0]!.message, /TCP \[fd00:10:96::a\]:80 is already bound by listener "10\.96\.0\.10_80"/);
});

test('the same ip:port over TCP and UDP on two listeners is allowed', () => {
  const set = dualStack();
  put(set.listeners[1]!, 'address', sock('10.96.0.10', 80, 'UDP'));
  put(set.listeners[1]!, 'additional_addresses', [{ address: sock('fd00:10:96::a', 80, 'UDP') }]);
  put(set.listeners[1]!, 'udp_listener_config', {});
  assert.deepEqual(summary(validateResources(set)), []);
});

test('port 0 may appear on several listeners', () => {
  const set = dualStack();
  put(set.listeners[0]!, 'address', sock('127.0.0.1', 0));
  put(set.listeners[0]!, 'additional_addresses', [{ address: sock('::1', 0) }]);
  put(set.listeners[1]!, 'address', sock('127.0.0.1', 0));
  put(set.listeners[1]!, 'additional_addresses', [{ address: sock('::1', 0) }]);
  assert.deepEqual(summary(validateResources(set)), []);
});

test('an additional address of another protocol than the primary is rejected', () => {
  const set = dualStack();
  put(set.listeners[0]!, 'additional_addresses[0].address.socket_address.protocol', 'UDP');
  assert.deepEqual(summary(validateResources(set)), ['listener.additional_address_protocol 10.96.0.10_80 additional_addresses[0].address']);
});

test('a listener without an address is rejected unless it is an api listener', () => {
  const set = dualStack();
  put(set.listeners[1]!, 'address', undefined);
  put(set.listeners[1]!, 'additional_addresses', undefined);
  assert.deepEqual(summary(validateResources(set)), ['listener.address_required 10.96.0.20_5432 address']);
});

test('IPv4-only prefix ranges on a dual-stack listener are rejected', () => {
  const set = dualStack();
  put(set.listeners[2]!, 'filter_chains[0].filter_chain_match.prefix_ranges', [{ address_prefix: '10.244.1.5', prefix_len: { value: 32 } }]);
  const problems = validateResources(set);
  assert.deepEqual(summary(problems), ['listener.prefix_ranges_family virtualInbound filter_chains[0].filter_chain_match.prefix_ranges']);
  assert.match(problems[0]!.message, /no IPv6 range/);
});

test('per-family chains with otherwise equal matches cover both families together', () => {
  const set = dualStack();
  const chain = (prefix: string, len: number): object => ({
    filter_chain_match: { destination_port: { value: 8080 }, prefix_ranges: [{ address_prefix: prefix, prefix_len: { value: len } }] },
    filters: [{ name: 'tcp', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'in', cluster: 'InboundPassthroughCluster' } }],
  });
  const guard = (set.listeners[2]!['filter_chains'] as object[])[1];
  put(set.listeners[2]!, 'filter_chains', [chain('0.0.0.0', 0), chain('::', 0), guard]);
  assert.deepEqual(summary(validateResources(set)), []);
  put(set.listeners[2]!, 'filter_chains[1].filter_chain_match.destination_port', { value: 9090 });
  assert.deepEqual(summary(validateResources(set)), [
    'listener.prefix_ranges_family virtualInbound filter_chains[0].filter_chain_match.prefix_ranges',
    'listener.prefix_ranges_family virtualInbound filter_chains[1].filter_chain_match.prefix_ranges',
  ]);
});

test('a prefix range that is not an IP literal is rejected', () => {
  const set = dualStack();
  put(set.listeners[2]!, 'filter_chains[0].filter_chain_match.prefix_ranges[1].address_prefix', 'pod.local');
  assert.deepEqual(summary(validateResources(set)), [
    'listener.cidr_range virtualInbound filter_chains[0].filter_chain_match.prefix_ranges[1].address_prefix',
    'listener.prefix_ranges_family virtualInbound filter_chains[0].filter_chain_match.prefix_ranges',
  ]);
});

test('an HTTP filter after the router is rejected', () => {
  const set = dualStack();
  const filters = [
    { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
    { name: 'envoy.filters.http.fault', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
  ];
  put(set.listeners[0]!, 'filter_chains[0].filters[0].typed_config.http_filters', filters);
  put(set.listeners[0]!, 'filter_chains[0].filters[0].typed_config.http_filters[1].typed_config', { '@type': 'type.googleapis.com/google.protobuf.Empty' });
  assert.deepEqual(summary(validateResources(set)), [
    'hcm.router_last 10.96.0.10_80 filter_chains[0].filters[0].typed_config.http_filters[0]',
    'hcm.router_last 10.96.0.10_80 filter_chains[0].filters[0].typed_config.http_filters[1]',
  ]);
});

test('an HTTP connection manager without HTTP filters is rejected', () => {
  const set = dualStack();
  put(set.listeners[0]!, 'filter_chains[0].filters[0].typed_config.http_filters', []);
  assert.deepEqual(summary(validateResources(set)), ['hcm.router_last 10.96.0.10_80 filter_chains[0].filters[0].typed_config.http_filters']);
});

test('an inline route configuration is checked like an RDS one', () => {
  const set = dualStack();
  const hcm = 'filter_chains[0].filters[0].typed_config';
  put(set.listeners[0]!, `${hcm}.rds`, undefined);
  put(set.listeners[0]!, `${hcm}.route_config`, { name: 'inline', virtual_hosts: [{ name: 'v', domains: ['fd00::1'], routes: [{ match: { prefix: '/' }, route: { cluster: 'nowhere' } }] }] });
  assert.deepEqual(summary(validateResources(set)), [
    `route.ipv6_domain_brackets 10.96.0.10_80 ${hcm}.route_config.virtual_hosts[0].domains[0]`,
    `reference.cluster 10.96.0.10_80 ${hcm}.route_config.virtual_hosts[0].routes[0].route.cluster`,
  ]);
});
