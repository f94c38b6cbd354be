// The proto3 JSON printer and parser on hand-made messages: every well-known type's JSON form, nested Anys, 64-bit
// edge values, negative durations. Each JSON case is also read by @bufbuild/protobuf, a conformant implementation,
// and must give the same bytes as our parser.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TypeUrl, encodeMessage } from '../../src/envoy-api/protos.ts';
import { Proto3JsonError, fromProto3Json, toProto3Json, type JsonValue } from '../../src/xds/index.ts';
import { conformantBytes, conformantJson } from '../support/conformant-json.ts';

const T = 'type.googleapis.com/';

/** Parses `json` as `type`, checks bufbuild reads it to the same bytes, and prints the bytes back. */
function roundTrip(type: string, json: JsonValue): JsonValue {
  const bytes = fromProto3Json(type, json);
  assert.deepEqual(Buffer.from(bytes), Buffer.from(conformantBytes(type, json)), `bufbuild encodes ${JSON.stringify(json)} the same way`);
  const printed = toProto3Json(type, bytes);
  assert.deepEqual(printed, conformantJson(type, bytes), 'bufbuild prints the same JSON');
  return printed;
}

/** Asserts `json` survives parse → print unchanged. */
function same(type: string, json: JsonValue): void {
  assert.deepEqual(roundTrip(type, json), json);
}

test('durations print in seconds with 0, 3, 6 or 9 fractional digits', () => {
  const d = (seconds: number, nanos = 0) => toProto3Json('google.protobuf.Duration', { seconds, nanos });
  assert.equal(d(10), '10s');
  assert.equal(d(0), '0s');
  assert.equal(d(0, 250_000_000), '0.250s');
  assert.equal(d(1, 1_000), '1.000001s');
  assert.equal(d(1, 1), '1.000000001s');
  assert.equal(d(315_576_000_000), '315576000000s');
  for (const text of ['10s', '0.250s', '1.000001s', '1.000000001s', '0s']) same('google.protobuf.Duration', text);
});

test('negative durations keep one sign for seconds and nanos', () => {
  assert.equal(toProto3Json('google.protobuf.Duration', { seconds: -1, nanos: -500_000_000 }), '-1.500s');
  assert.equal(toProto3Json('google.protobuf.Duration', { seconds: 0, nanos: -1_000 }), '-0.000001s');
  same('google.protobuf.Duration', '-0.500s');
  same('google.protobuf.Duration', '-315576000000s');
  assert.throws(() => toProto3Json('google.protobuf.Duration', { seconds: 1, nanos: -1 }), Proto3JsonError);
  assert.throws(() => toProto3Json('google.protobuf.Duration', { seconds: 315_576_000_001 }), Proto3JsonError);
  assert.throws(() => fromProto3Json('google.protobuf.Duration', '1.5'), Proto3JsonError);
});

test('timestamps print as RFC 3339 in UTC and read any offset', () => {
  assert.equal(toProto3Json('google.protobuf.Timestamp', {}), '1970-01-01T00:00:00Z');
  assert.equal(toProto3Json('google.protobuf.Timestamp', { seconds: 1_700_000_000, nanos: 123_000_000 }), '2023-11-14T22:13:20.123Z');
  same('google.protobuf.Timestamp', '0001-01-01T00:00:00Z');
  same('google.protobuf.Timestamp', '9999-12-31T23:59:59.999999999Z');
  same('google.protobuf.Timestamp', '1969-12-31T23:59:59.000001Z');
  assert.equal(roundTrip('google.protobuf.Timestamp', '2024-02-29T01:30:00+01:30'), '2024-02-29T00:00:00Z');
  assert.throws(() => fromProto3Json('google.protobuf.Timestamp', '2023-02-29T00:00:00Z'), Proto3JsonError);
});

test('wrappers print as their bare value, 64-bit ones as decimal strings', () => {
  same('google.protobuf.BoolValue', false);
  same('google.protobuf.BoolValue', true);
  same('google.protobuf.UInt32Value', 4294967295);
  same('google.protobuf.Int32Value', -2147483648);
  same('google.protobuf.Int64Value', '-9223372036854775808');
  same('google.protobuf.UInt64Value', '18446744073709551615');
  same('google.protobuf.StringValue', '');
  same('google.protobuf.BytesValue', 'AAEC/w==');
  same('google.protobuf.DoubleValue', 'NaN');
  same('google.protobuf.DoubleValue', '-Infinity');
  const float = fromProto3Json('google.protobuf.FloatValue', 0.1);
  assert.deepEqual(Buffer.from(float), Buffer.from(conformantBytes('google.protobuf.FloatValue', 0.1)));
  assert.equal(toProto3Json('google.protobuf.FloatValue', float), 0.1, 'a float prints at its shortest exact text');
  assert.equal(toProto3Json('google.protobuf.UInt64Value', {}), '0');
  assert.equal(toProto3Json('google.protobuf.BoolValue', { value: false }), false);
});

test('int64 and uint64 fields print as strings at their extreme values', () => {
  same('envoy.type.v3.Int64Range', { start: '-9223372036854775808', end: '9223372036854775807' });
  same('envoy.config.bootstrap.v3.MemoryAllocatorManager', { bytes_to_release: '18446744073709551615' });
  assert.deepEqual(roundTrip('envoy.type.v3.Int64Range', { start: -42, end: '0' }), { start: '-42' });
  assert.throws(() => fromProto3Json('envoy.type.v3.Int64Range', { end: '9223372036854775808' }), Proto3JsonError);
  assert.throws(() => fromProto3Json('envoy.config.bootstrap.v3.MemoryAllocatorManager', { bytes_to_release: '-1' }), Proto3JsonError);
});

test('doubles print non-finite values as strings and bytes as base64', () => {
  same('envoy.type.v3.DoubleRange', { start: '-Infinity', end: 2.5 });
  same('envoy.config.core.v3.DataSource', { inline_bytes: 'aGVsbG8=' });
  assert.deepEqual(roundTrip('envoy.config.core.v3.DataSource', { inline_bytes: 'aGVsbG8' }), { inline_bytes: 'aGVsbG8=' });
});

test('a Struct with nested lists and structs prints as plain JSON', () => {
  same('google.protobuf.Struct', { a: [1, ['x', null, [true]], { b: { c: [] } }], d: {}, e: 'f' });
  same('google.protobuf.ListValue', [[], [[1.5]], null]);
  same('google.protobuf.Value', null);
  same('envoy.config.core.v3.Metadata', { filter_metadata: { istio: { config: 'x', n: [2] } } });
  assert.throws(() => toProto3Json('google.protobuf.Value', { numberValue: Infinity }), Proto3JsonError);
});

test('a FieldMask prints as comma-joined lowerCamelCase paths', () => {
  assert.equal(toProto3Json('google.protobuf.FieldMask', { paths: ['foo_bar.baz_qux', 'a'] }), 'fooBar.bazQux,a');
  same('google.protobuf.FieldMask', 'fooBar.bazQux,a');
  same('google.protobuf.FieldMask', '');
  assert.throws(() => toProto3Json('google.protobuf.FieldMask', { paths: ['fooBar'] }), Proto3JsonError);
});

test('enums print as names, implicit defaults are left out and set oneof members kept', () => {
  const cluster = { name: 'c', type: 'STATIC', lb_policy: 'ROUND_ROBIN', connect_timeout: { seconds: 1, nanos: 500_000_000 } };
  assert.deepEqual(toProto3Json(TypeUrl.Cluster, encodeMessage(TypeUrl.Cluster, cluster)), { name: 'c', type: 'STATIC', connect_timeout: '1.500s' });
  const address = { socket_address: { address: '2001:db8::1', port_value: 0 } };
  assert.deepEqual(toProto3Json('envoy.config.core.v3.Address', address), address);
  assert.deepEqual(toProto3Json('envoy.config.core.v3.Address', { socket_address: { address: '::', named_port: 'http' } }), {
    socket_address: { address: '::', named_port: 'http' },
  });
});

test('fields print in field-number order, as Envoy prints them', () => {
  const cluster = { connect_timeout: { seconds: 1 }, type: 'EDS', eds_cluster_config: { service_name: 's' }, name: 'c' };
  assert.deepEqual(Object.keys(toProto3Json(TypeUrl.Cluster, cluster) as object), ['name', 'type', 'eds_cluster_config', 'connect_timeout']);
});

test('an Any carries @type first and its message fields inline, nested Anys too', () => {
  const router = { '@type': `${T}envoy.extensions.filters.http.router.v3.Router` };
  const hcm = {
    '@type': `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
    stat_prefix: 'in',
    rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: 'r' },
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: router }],
  };
  const listener = { name: 'l', filter_chains: [{ filters: [{ name: 'hcm', typed_config: hcm }] }] };
  same(TypeUrl.Listener, listener);
  const printed = toProto3Json(TypeUrl.Listener, encodeMessage(TypeUrl.Listener, listener)) as typeof listener;
  assert.equal(Object.keys(printed.filter_chains[0]!.filters[0]!.typed_config)[0], '@type');
});

test('an Any of a well-known type holds its JSON under "value", an Any of an Any too', () => {
  same('google.protobuf.Any', { '@type': `${T}google.protobuf.UInt32Value`, value: 7 });
  same('google.protobuf.Any', { '@type': `${T}google.protobuf.BoolValue`, value: false });
  same('google.protobuf.Any', { '@type': `${T}google.protobuf.Duration`, value: '-0.250s' });
  same('google.protobuf.Any', { '@type': `${T}google.protobuf.Struct`, value: { a: [1, { b: null }] } });
  same('google.protobuf.Any', { '@type': `${T}google.protobuf.Empty` });
  same('google.protobuf.Any', {
    '@type': `${T}google.protobuf.Any`,
    value: { '@type': `${T}envoy.config.cluster.v3.Cluster`, name: 'c', connect_timeout: '2s' },
  });
  same('envoy.config.cluster.v3.Cluster', {
    name: 'c',
    typed_extension_protocol_options: { x: { '@type': `${T}google.protobuf.Int64Value`, value: '-9223372036854775808' } },
  });
});

test('the parser reads lowerCamelCase names, enum numbers and null as unset', () => {
  const bytes = fromProto3Json(TypeUrl.Cluster, { name: 'c', connectTimeout: '1s', lbPolicy: 1, type: 'STATIC', loadAssignment: null });
  assert.deepEqual(toProto3Json(TypeUrl.Cluster, bytes), { name: 'c', type: 'STATIC', connect_timeout: '1s', lb_policy: 'LEAST_REQUEST' });
});

test('the parser rejects unknown fields, enum names and Any types, and two members of one oneof', () => {
  assert.throws(() => fromProto3Json(TypeUrl.Cluster, { nope: 1 }), /has no field "nope"/);
  assert.throws(() => fromProto3Json(TypeUrl.Cluster, { lb_policy: 'NOPE' }), /not a value of/);
  assert.throws(() => fromProto3Json('google.protobuf.Any', { '@type': `${T}no.such.Type` }), /does not know/);
  assert.throws(() => fromProto3Json(TypeUrl.Cluster, { type: 'STATIC', cluster_type: { name: 'x' } }), /same oneof/);
  assert.throws(() => fromProto3Json(TypeUrl.Cluster, { name: 1 }), Proto3JsonError);
});

test('printing an Any of an unknown type fails with the type URL', () => {
  assert.throws(() => toProto3Json('google.protobuf.Any', { type_url: `${T}no.such.Type`, value: new Uint8Array([8, 1]) }), /no\.such\.Type/);
});
