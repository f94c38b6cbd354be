import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateResources } from '../../src/validate/index.ts';
import { dualStack, hcmFilter, Names, put, sock, summary, tcpProxyFilter, type Json } from './fixtures.ts';

/** virtualInbound of the fixture: [inbound-pod (both families' ranges), virtualInbound-blackhole (15006)]. */
const chains = (set: ReturnType<typeof dualStack>): Json[] => set.listeners[2]!['filter_chains'] as Json[];

test('a capture listener without a chain for its own port is rejected as a loop', () => {
  const set = dualStack();
  put(set.listeners[2]!, 'filter_chains', [chains(set)[0]]);
  const problems = validateResources(set);
  assert.deepEqual(summary(problems), ['listener.capture_loop_guard virtualInbound filter_chains']);
  assert.match(problems[0]!.message, /destination_port 15006/);
});

test('a loop guard that matches more than the port, or hands the connection to HTTP routing, does not count', () => {
  const narrowed = dualStack();
  put(chains(narrowed)[1]!, 'filter_chain_match.prefix_ranges', [{ address_prefix: '0.0.0.0', prefix_len: { value: 0 } }, { address_prefix: '::', prefix_len: { value: 0 } }]);
  assert.deepEqual(summary(validateResources(narrowed)), ['listener.capture_loop_guard virtualInbound filter_chains']);
  const routed = dualStack();
  put(chains(routed)[1]!, 'filters', (routed.listeners[0]!['filter_chains'] as Json[])[0]!['filters']);
  assert.deepEqual(summary(validateResources(routed)), ['listener.capture_loop_guard virtualInbound filter_chains']);
});

test('a listener that does not bind, or passes nothing on, needs no loop guard', () => {
  const unbound = dualStack();
  put(unbound.listeners[2]!, 'filter_chains', [chains(unbound)[0]]);
  put(unbound.listeners[2]!, 'bind_to_port', { value: false });
  assert.deepEqual(summary(validateResources(unbound)), []);
  const plain = dualStack();
  put(plain.listeners[2]!, 'filter_chains', [chains(plain)[0]]);
  put(plain.listeners[2]!, 'listener_filters', undefined);
  assert.deepEqual(summary(validateResources(plain)), []);
});

test('a use_original_dst listener is checked on every port it binds', () => {
  const set = dualStack();
  put(set.listeners[2]!, 'listener_filters', undefined);
  put(set.listeners[2]!, 'use_original_dst', { value: true });
  put(set.listeners[2]!, 'additional_addresses[0].address.socket_address.port_value', 15001);
  assert.deepEqual(summary(validateResources(set)), ['listener.capture_loop_guard virtualInbound filter_chains']);
  assert.match(validateResources(set)[0]!.message, /port is 15001/);
});

test('two filter chains with the same match are rejected on the second', () => {
  const set = dualStack();
  chains(set).push({ ...chains(set)[1]!, name: 'again' });
  const problems = validateResources(set);
  assert.deepEqual(summary(problems), ['listener.filter_chain_match_unique virtualInbound filter_chains[2].filter_chain_match']);
  assert.match(problems[0]!.message, /filter_chains\[1\] \("virtualInbound-blackhole"\)/);
});

test('two chains without any match are the same match', () => {
  const set = dualStack();
  chains(set).push({ filters: [tcpProxyFilter('InboundPassthroughCluster')] }, { filters: [tcpProxyFilter('InboundPassthroughCluster')] });
  assert.deepEqual(summary(validateResources(set)), ['listener.filter_chain_match_unique virtualInbound filter_chains[3].filter_chain_match']);
});

test('chains whose matches overlap in one value are rejected, however the prefix is spelled', () => {
  const set = dualStack();
  chains(set).push({
    name: 'overlap',
    filter_chain_match: { prefix_ranges: [{ address_prefix: 'FD00:10:244:1:0:0:0:5', prefix_len: { value: 128 } }] },
    filters: [tcpProxyFilter('InboundPassthroughCluster')],
  });
  assert.deepEqual(summary(validateResources(set)), ['listener.filter_chain_match_unique virtualInbound filter_chains[2].filter_chain_match']);
  const protocols = dualStack();
  const tls = (alpn: string[]): Json => ({ filter_chain_match: { destination_port: { value: 80 }, application_protocols: alpn }, filters: [tcpProxyFilter('InboundPassthroughCluster')] });
  chains(protocols).push(tls(['h2', 'http/1.1']), tls(['h2']));
  assert.deepEqual(summary(validateResources(protocols)), ['listener.filter_chain_match_unique virtualInbound filter_chains[3].filter_chain_match']);
});

test('chains that differ in one criterion, or only in the default chain, are distinct', () => {
  const set = dualStack();
  const port = (value: number, transport?: string): Json => ({
    filter_chain_match: { destination_port: { value }, ...(transport ? { transport_protocol: transport } : {}) },
    filters: [tcpProxyFilter('InboundPassthroughCluster')],
  });
  chains(set).push(port(80), port(80, 'tls'), port(81));
  assert.deepEqual(summary(validateResources(set)), []);
});

/** A sniffing HTTP wildcard listener as the translator builds it: HTTP chain by ALPN, fall-through default chain. */
function sniffing(): Json {
  return {
    name: '0.0.0.0_8080',
    address: sock('0.0.0.0', 8080),
    additional_addresses: [{ address: sock('::', 8080) }],
    bind_to_port: { value: false },
    listener_filters: [
      { name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } },
      { name: 'envoy.filters.listener.http_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector' } },
    ],
    listener_filters_timeout: { seconds: 1 },
    continue_on_listener_filters_timeout: true,
    filter_chains: [{ filter_chain_match: { transport_protocol: 'raw_buffer', application_protocols: ['http/1.1', 'h2c'] }, filters: [hcmFilter(Names.route)] }],
    default_filter_chain: { name: 'PassthroughFilterChain', filters: [tcpProxyFilter('InboundPassthroughCluster')] },
  };
}

test('a sniffing listener with an HTTP chain and a fall-through is accepted', () => {
  const set = dualStack();
  set.listeners.push(sniffing());
  assert.deepEqual(summary(validateResources(set)), []);
});

test('a chain matching plaintext HTTP by application protocol needs http_inspector', () => {
  const set = dualStack();
  const listener = sniffing();
  put(listener, 'listener_filters', (listener['listener_filters'] as Json[]).slice(0, 1));
  set.listeners.push(listener);
  const problems = validateResources(set);
  assert.deepEqual(summary(problems), ['listener.http_inspector_required 0.0.0.0_8080 filter_chains[0].filter_chain_match.application_protocols']);
  assert.match(problems[0]!.message, /never matches/);
});

test('a sniffing listener that closes or waits forever on a silent client strands server-first protocols', () => {
  const closes = dualStack();
  const closing = sniffing();
  put(closing, 'continue_on_listener_filters_timeout', undefined);
  closes.listeners.push(closing);
  assert.deepEqual(summary(validateResources(closes)), ['listener.sniffing_timeout 0.0.0.0_8080 continue_on_listener_filters_timeout']);
  const waits = dualStack();
  const waiting = sniffing();
  put(waiting, 'listener_filters_timeout', { seconds: 0 });
  waits.listeners.push(waiting);
  assert.deepEqual(summary(validateResources(waits)), ['listener.sniffing_timeout 0.0.0.0_8080 listener_filters_timeout']);
});

test('a sniffing listener without a fall-through chain may close a silent client', () => {
  const set = dualStack();
  const listener = sniffing();
  put(listener, 'default_filter_chain', undefined);
  put(listener, 'continue_on_listener_filters_timeout', undefined);
  set.listeners.push(listener);
  assert.deepEqual(summary(validateResources(set)), []);
});
