import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateResources } from '../../src/validate/index.ts';
import { dualStack, grpcSet, Names, put, summary } from './fixtures.ts';

const GRPC = { client: 'grpc' } as const;
const SERVER6 = 'grpc/server?xds.resource.listening_address=[::]:50051';
const SERVER4 = 'grpc/server?xds.resource.listening_address=0.0.0.0:50052';
const HCM = 'filter_chains[0].filters[0].typed_config';

test('a correct proxyless gRPC snapshot passes with zero problems', () => {
  assert.deepEqual(validateResources(grpcSet(), GRPC), []);
});

test('the Envoy dual-stack snapshot is not acceptable to gRPC', () => {
  const rules = new Set(validateResources(dualStack(), GRPC).map((p) => p.rule));
  assert.deepEqual([...rules].sort(), ['grpc.api_listener', 'grpc.cluster_type', 'grpc.lb_policy', 'grpc.locality_required', 'grpc.locality_weight']);
  assert.deepEqual(validateResources(dualStack()), []);
});

test('a gRPC client listener without an api_listener is rejected', () => {
  const set = grpcSet();
  set.listeners[0] = { name: Names.grpcRoute, address: { socket_address: { address: '10.96.0.30', port_value: 50051 } }, filter_chains: [] };
  assert.deepEqual(summary(validateResources(set, GRPC)), [`grpc.api_listener ${Names.grpcRoute} api_listener`]);
});

test('a gRPC client whose RDS config source is not ADS is rejected', () => {
  const set = grpcSet();
  put(set.listeners[0]!, 'api_listener.api_listener.rds.config_source', { path_config_source: { path: '/etc/routes.yaml' } });
  assert.deepEqual(summary(validateResources(set, GRPC)), [`grpc.route_source ${Names.grpcRoute} api_listener.api_listener.rds.config_source`]);
});

test('a gRPC client whose routes have no domain for its authority is rejected', () => {
  const set = grpcSet();
  put(set.routes[0]!, 'virtual_hosts[0].domains', ['greeter.default.svc.cluster.local']);
  assert.deepEqual(summary(validateResources(set, GRPC)), [`grpc.authority_domain ${Names.grpcRoute} (route configuration "${Names.grpcRoute}")`]);
  put(set.routes[0]!, 'virtual_hosts[0].domains', ['greeter.default.svc.cluster.local*']);
  assert.deepEqual(validateResources(set, GRPC), []);
});

test('a STRICT_DNS cluster is rejected for gRPC', () => {
  const set = grpcSet();
  set.clusters.push({ name: 'dns', type: 'STRICT_DNS', load_assignment: { cluster_name: 'dns', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'a.example', port_value: 1 } } } }] }] } });
  assert.deepEqual(summary(validateResources(set, GRPC)), ['grpc.cluster_type dns type']);
});

test('a least-request cluster is rejected for gRPC', () => {
  const set = grpcSet();
  put(set.clusters[0]!, 'lb_policy', 'LEAST_REQUEST');
  assert.deepEqual(summary(validateResources(set, GRPC)), [`grpc.lb_policy ${Names.grpc} lb_policy`]);
  put(set.clusters[0]!, 'lb_policy', 'RING_HASH');
  assert.deepEqual(validateResources(set, GRPC), []);
});

test('a gRPC locality without locality set is rejected', () => {
  const set = grpcSet();
  put(set.endpoints[0]!, 'endpoints[0].locality', undefined);
  assert.deepEqual(summary(validateResources(set, GRPC)), [`grpc.locality_required ${Names.grpc} endpoints[0].locality`]);
});

test('a gRPC locality without a weight is rejected', () => {
  const set = grpcSet();
  put(set.endpoints[0]!, 'endpoints[1].load_balancing_weight', undefined);
  assert.deepEqual(summary(validateResources(set, GRPC)), [`grpc.locality_weight ${Names.grpc} endpoints[1].load_balancing_weight`]);
});

test('gRPC priorities with a gap are rejected', () => {
  const set = grpcSet();
  put(set.endpoints[0]!, 'endpoints[1].priority', 2);
  assert.deepEqual(summary(validateResources(set, GRPC)), [`grpc.priorities_contiguous ${Names.grpc} endpoints`]);
});

test('a gRPC server listener with listener filters is rejected', () => {
  const set = grpcSet();
  put(set.listeners[1]!, 'listener_filters', [{ name: 'envoy.filters.listener.original_dst', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst' } }]);
  assert.deepEqual(summary(validateResources(set, GRPC)), [`grpc.server_listener_filters ${SERVER6} listener_filters`]);
});

test('a gRPC server listener using the original destination is rejected', () => {
  const set = grpcSet();
  put(set.listeners[1]!, 'use_original_dst', { value: true });
  assert.deepEqual(summary(validateResources(set, GRPC)), [`grpc.server_original_dst ${SERVER6} use_original_dst`]);
});

test('a gRPC server filter chain with two network filters is rejected', () => {
  const set = grpcSet();
  const chainFilters = (set.listeners[2]!['filter_chains'] as { filters: object[] }[])[0]!.filters;
  chainFilters.unshift({ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 's', cluster: Names.grpc } });
  assert.deepEqual(summary(validateResources(set, GRPC)), [`grpc.server_filter_chain ${SERVER4} filter_chains[0].filters`]);
});

test('a gRPC server route that forwards is rejected', () => {
  const set = grpcSet();
  const route = `${HCM}.route_config.virtual_hosts[0].routes[0]`;
  put(set.listeners[1]!, `${route}.non_forwarding_action`, undefined);
  put(set.listeners[1]!, `${route}.route`, { cluster: Names.grpc });
  assert.deepEqual(summary(validateResources(set, GRPC)), [`grpc.server_non_forwarding ${SERVER6} ${route}`]);
});

test('a gRPC server listener bound elsewhere than its name says is rejected', () => {
  const set = grpcSet();
  put(set.listeners[1]!, 'address.socket_address.address', '0.0.0.0');
  const problems = validateResources(set, GRPC);
  assert.deepEqual(summary(problems), [`grpc.server_address ${SERVER6} address.socket_address`]);
  assert.match(problems[0]!.message, /must be address "::", port_value 50051 as the name says/);
});

test('a gRPC server address written with brackets does not match the bound host', () => {
  const set = grpcSet();
  put(set.listeners[1]!, 'address.socket_address.address', '[::]');
  assert.deepEqual(summary(validateResources(set, GRPC)), [`grpc.server_address ${SERVER6} address.socket_address`]);
});
