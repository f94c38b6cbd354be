import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Report } from '../../src/validate/problem.ts';
import { validateResource } from '../../src/validate/index.ts';
import { checkRoundTrip } from '../../src/validate/roundtrip.ts';
import { dualStack, put, summary, Type } from './fixtures.ts';

function collect(): { report: Report; lines: string[] } {
  const lines: string[] = [];
  return { report: (path, rule) => lines.push(`${rule} ${path}`), lines };
}

test('a misspelled field name is reported with its path and the snake_case suggestion', () => {
  const listener = dualStack().listeners[0]!;
  put(listener, 'filter_chains[0].filters[0].typed_config.statPrefix', 'x');
  const problems = validateResource(Type.Listener, listener);
  assert.deepEqual(summary(problems), ['proto.unknown_field 10.96.0.10_80 filter_chains[0].filters[0].typed_config.statPrefix']);
  assert.match(problems[0]!.message, /did you mean stat_prefix\?/);
});

test('a port given as text, which the encoder would turn into 0, is a type error', () => {
  const listener = dualStack().listeners[0]!;
  put(listener, 'address.socket_address.port_value', '80x');
  assert.deepEqual(summary(validateResource(Type.Listener, listener)), ['proto.type 10.96.0.10_80 address.socket_address.port_value']);
});

test('a uint32 out of range and a negative uint32 are type errors', () => {
  const listener = dualStack().listeners[0]!;
  put(listener, 'per_connection_buffer_limit_bytes', { value: 2 ** 32 });
  put(listener, 'tcp_backlog_size', { value: -1 });
  assert.deepEqual(summary(validateResource(Type.Listener, listener)), [
    'proto.type 10.96.0.10_80 per_connection_buffer_limit_bytes.value',
    'proto.type 10.96.0.10_80 tcp_backlog_size.value',
  ]);
});

test('an enum name the proto does not define is reported with the allowed names', () => {
  const listener = dualStack().listeners[0]!;
  put(listener, 'traffic_direction', 'OUTGOING');
  const problems = validateResource(Type.Listener, listener);
  assert.deepEqual(summary(problems), ['proto.enum 10.96.0.10_80 traffic_direction']);
  assert.match(problems[0]!.message, /UNSPECIFIED, INBOUND, OUTBOUND/);
});

test('an Any whose @type is not in the loaded API is rejected instead of being encoded empty', () => {
  const listener = dualStack().listeners[0]!;
  put(listener, 'filter_chains[0].filters[0].typed_config.@type', 'type.googleapis.com/envoy.nope.v3.Missing');
  assert.deepEqual(summary(validateResource(Type.Listener, listener)), ['proto.any_type 10.96.0.10_80 filter_chains[0].filters[0].typed_config']);
});

test('an Any without @type is rejected', () => {
  const listener = dualStack().listeners[0]!;
  put(listener, 'filter_chains[0].filters[0].typed_config.@type', undefined);
  assert.deepEqual(summary(validateResource(Type.Listener, listener)), ['proto.any_type 10.96.0.10_80 filter_chains[0].filters[0].typed_config']);
});

test('fields inside an Any payload are checked against the payload type', () => {
  const listener = dualStack().listeners[1]!;
  put(listener, 'filter_chains[0].filters[0].typed_config.idle_timeout', 30);
  assert.deepEqual(summary(validateResource(Type.Listener, listener)), ['proto.type 10.96.0.20_5432 filter_chains[0].filters[0].typed_config.idle_timeout']);
});

test('two members of one oneof set at once are rejected', () => {
  const route = dualStack().routes[0]!;
  put(route, 'virtual_hosts[0].routes[0].match.path', '/exact');
  assert.deepEqual(summary(validateResource(Type.RouteConfiguration, route)), ['proto.oneof_multiple 80 virtual_hosts[0].routes[0].match']);
});

test('a list given as a single object is a type error', () => {
  const listener = dualStack().listeners[0]!;
  put(listener, 'additional_addresses', { address: { socket_address: { address: '::', port_value: 80 } } });
  assert.deepEqual(summary(validateResource(Type.Listener, listener)), ['proto.type 10.96.0.10_80 additional_addresses']);
});

test('bytes that are not base64 are a type error', () => {
  const route = dualStack().routes[0]!;
  put(route, 'request_headers_to_add[0].header', { key: 'x-a', raw_value: '%%%' });
  assert.deepEqual(summary(validateResource(Type.RouteConfiguration, route)), ['proto.type 80 request_headers_to_add[0].header.raw_value']);
});

test('the round trip reports the encoder rejecting a resource', () => {
  const { report, lines } = collect();
  checkRoundTrip(Type.RouteConfiguration, { name: 'r', request_headers_to_add: [{ header: { key: 'x', raw_value: '%%%' } }] }, report);
  assert.deepEqual(lines, ['proto.encode ']);
});

test('the round trip reports a field the encoder silently drops', () => {
  const { report, lines } = collect();
  checkRoundTrip(Type.Cluster, { name: 'c', connect_timeout: { seconds: 1 }, conect_timeout: { seconds: 2 } }, report);
  assert.deepEqual(lines, ['proto.roundtrip conect_timeout']);
});

test('the round trip accepts explicit defaults, enum numbers and int64 text', () => {
  const { report, lines } = collect();
  checkRoundTrip(Type.Cluster, { name: 'c', type: 3, lb_policy: 'ROUND_ROBIN', max_requests_per_connection: { value: 0 }, connect_timeout: { seconds: '5' }, circuit_breakers: { thresholds: [] } }, report);
  assert.deepEqual(lines, []);
});

test('an unknown type URL is reported instead of throwing', () => {
  assert.deepEqual(summary(validateResource('type.googleapis.com/envoy.nope.v3.Thing', {})), ['proto.type_url']);
});

test('a key that is an Object.prototype name is an unknown field, not mistaken for one', () => {
  const listener = dualStack().listeners[0]!;
  put(listener, 'constructor', { x: 1 });
  put(listener, 'address.socket_address.toString', 'x');
  assert.deepEqual(summary(validateResource(Type.Listener, listener)), [
    'proto.unknown_field 10.96.0.10_80 constructor',
    'proto.unknown_field 10.96.0.10_80 address.socket_address.toString',
  ]);
});

test('skipping the round trip still reports everything the walk finds', () => {
  const listener = dualStack().listeners[0]!;
  put(listener, 'traffic_direction', 'OUTGOING');
  assert.deepEqual(summary(validateResource(Type.Listener, listener, { roundTrip: false })), ['proto.enum 10.96.0.10_80 traffic_direction']);
  assert.deepEqual(validateResource(Type.Listener, dualStack().listeners[0]!, { roundTrip: false }), []);
});
