import assert from 'node:assert/strict';
import { test } from 'node:test';
import { messageType } from '../../src/envoy-api/protos.ts';
import { validateResource } from '../../src/validate/index.ts';
import { fieldRules } from '../../src/validate/pgv.ts';
import { dualStack, put, summary, Type } from './fixtures.ts';

const STATS = 'type.googleapis.com/envoy.config.metrics.v3.StatsConfig';

test('rules are read from the proto annotations, lists included', () => {
  const field = messageType('envoy.extensions.filters.http.router.v3.Router').fields['strict_check_headers']!;
  const rules = fieldRules(field) as { repeated: { items: { string: { in: string[] } } } };
  assert.ok(rules.repeated.items.string.in.includes('x-envoy-max-retries'));
  assert.equal(rules.repeated.items.string.in.length, 5);
});

test('an empty required string (cluster name, min_len 1) is rejected', () => {
  const cluster = dualStack().clusters[0]!;
  put(cluster, 'name', '');
  const problems = validateResource(Type.Cluster, cluster);
  assert.deepEqual(summary(problems), ['pgv.string.min_len  name']);
});

test('an absent scalar with a rule is validated as its proto3 default', () => {
  const listener = dualStack().listeners[0]!;
  put(listener, 'address.socket_address.address', undefined);
  assert.deepEqual(summary(validateResource(Type.Listener, listener)), ['pgv.string.min_len 10.96.0.10_80 address.socket_address.address']);
});

test('a port above 65535 breaks uint32.lte', () => {
  const listener = dualStack().listeners[0]!;
  put(listener, 'additional_addresses[0].address.socket_address.port_value', 65536);
  const problems = validateResource(Type.Listener, listener);
  assert.deepEqual(summary(problems), ['pgv.uint32.lte 10.96.0.10_80 additional_addresses[0].address.socket_address.port_value']);
  assert.match(problems[0]!.message, /<= 65535, got 65536/);
});

test('a wrapper field applies its scalar rule to the wrapped value', () => {
  const listener = dualStack().listeners[0]!;
  put(listener, 'max_connections_to_accept_per_socket_event', { value: 0 });
  assert.deepEqual(summary(validateResource(Type.Listener, listener)), ['pgv.uint32.gt 10.96.0.10_80 max_connections_to_accept_per_socket_event']);
});

test('a missing required message is rejected', () => {
  const route = dualStack().routes[0]!;
  put(route, 'virtual_hosts[0].routes[0].match', undefined);
  assert.deepEqual(summary(validateResource(Type.RouteConfiguration, route)), ['pgv.message.required 80 virtual_hosts[0].routes[0].match']);
});

test('a oneof marked (validate.required) with no member set is rejected', () => {
  const listener = dualStack().listeners[0]!;
  put(listener, 'filter_chains[0].filters[0].typed_config.rds', undefined);
  assert.deepEqual(summary(validateResource(Type.Listener, listener)), ['pgv.oneof.required 10.96.0.10_80 filter_chains[0].filters[0].typed_config']);
});

test('an enum number outside the defined values breaks enum.defined_only', () => {
  const cluster = dualStack().clusters[0]!;
  put(cluster, 'lb_policy', 42);
  assert.deepEqual(summary(validateResource(Type.Cluster, cluster)), ['pgv.enum.defined_only outbound|80||a.default.svc.cluster.local lb_policy']);
});

test('a virtual host without domains breaks repeated.min_items', () => {
  const route = dualStack().routes[0]!;
  put(route, 'virtual_hosts[1].domains', []);
  assert.deepEqual(summary(validateResource(Type.RouteConfiguration, route)), ['pgv.repeated.min_items 80 virtual_hosts[1].domains']);
});

test('a DNS refresh rate under one millisecond breaks duration.gt', () => {
  const cluster = dualStack().clusters[3]!;
  put(cluster, 'dns_refresh_rate', { nanos: 500 });
  const problems = validateResource(Type.Cluster, cluster);
  assert.deepEqual(summary(problems), ['pgv.duration.gt outbound|443||api.example.com dns_refresh_rate']);
  assert.match(problems[0]!.message, /> 0\.001s, got 0\.0000005s/);
});

test('a refresh rate without its required base interval breaks duration.required', () => {
  const cluster = dualStack().clusters[3]!;
  put(cluster, 'dns_failure_refresh_rate', { max_interval: { seconds: 5 } });
  assert.deepEqual(summary(validateResource(Type.Cluster, cluster)), ['pgv.duration.required outbound|443||api.example.com dns_failure_refresh_rate.base_interval']);
});

test('a percentage above 100 breaks double.lte', () => {
  const cluster = dualStack().clusters[0]!;
  put(cluster, 'common_lb_config.healthy_panic_threshold', { value: 150 });
  assert.deepEqual(summary(validateResource(Type.Cluster, cluster)), ['pgv.double.lte outbound|80||a.default.svc.cluster.local common_lb_config.healthy_panic_threshold.value']);
});

test('an SNI longer than 255 bytes inside a transport socket Any breaks string.max_bytes', () => {
  const cluster = dualStack().clusters[0]!;
  put(cluster, 'transport_socket', {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', sni: 'é'.repeat(128) },
  });
  assert.deepEqual(summary(validateResource(Type.Cluster, cluster)), ['pgv.string.max_bytes outbound|80||a.default.svc.cluster.local transport_socket.typed_config.sni']);
});

test('a header name with a newline breaks the HTTP_HEADER_NAME well-known rule', () => {
  const route = dualStack().routes[0]!;
  put(route, 'request_headers_to_remove', ['x-ok', 'x-bad\nheader']);
  assert.deepEqual(summary(validateResource(Type.RouteConfiguration, route)), ['pgv.string.well_known 80 request_headers_to_remove[1]']);
});

test('a TCP proxy weighted cluster of weight 0 breaks uint32.gte', () => {
  const listener = dualStack().listeners[1]!;
  put(listener, 'filter_chains[0].filters[0].typed_config.cluster', undefined);
  put(listener, 'filter_chains[0].filters[0].typed_config.weighted_clusters', { clusters: [{ name: 'outbound|5432||db.default.svc.cluster.local', weight: 0 }] });
  assert.deepEqual(summary(validateResource(Type.Listener, listener)), ['pgv.uint32.gte 10.96.0.20_5432 filter_chains[0].filters[0].typed_config.weighted_clusters.clusters[0].weight']);
});

test('an empty metadata map key breaks map.keys string.min_len', () => {
  const cluster = dualStack().clusters[0]!;
  put(cluster, 'metadata', { typed_filter_metadata: { '': { '@type': 'type.googleapis.com/envoy.config.core.v3.Locality', zone: 'a' } } });
  assert.deepEqual(summary(validateResource(Type.Cluster, cluster)), ['pgv.string.min_len outbound|80||a.default.svc.cluster.local metadata.typed_filter_metadata[""]']);
});

test('repeated histogram buckets break repeated.unique and item rules', () => {
  const problems = validateResource(STATS, { histogram_bucket_settings: [{ match: { exact: 'rq' }, buckets: [1, 1, -1] }] });
  assert.deepEqual(summary(problems), [
    'pgv.repeated.unique  histogram_bucket_settings[0].buckets[1]',
    'pgv.double.gt  histogram_bucket_settings[0].buckets[2]',
  ]);
});

test('an unset oneof member is not validated even when its rules would fail on a default', () => {
  const safeRegex = messageType('envoy.config.route.v3.RouteMatch').fields['safe_regex']!;
  assert.deepEqual(fieldRules(safeRegex), { message: { required: true } });
  const route = dualStack().routes[0]!; // its matches use `prefix`, the sibling of `safe_regex` in one oneof
  assert.deepEqual(summary(validateResource(Type.RouteConfiguration, route)), []);
});

test('a typed extension config without its Any breaks any.required', () => {
  const cluster = dualStack().clusters[0]!;
  put(cluster, 'load_balancing_policy', { policies: [{ typed_extension_config: { name: 'envoy.load_balancing_policies.round_robin' } }] });
  assert.deepEqual(summary(validateResource(Type.Cluster, cluster)), [
    'pgv.any.required outbound|80||a.default.svc.cluster.local load_balancing_policy.policies[0].typed_extension_config.typed_config',
  ]);
});
