import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel, parseProxy } from '../../src/model/index.ts';
import type { Proxy } from '../../src/model/index.ts';
import { node, pod } from './fixtures.ts';

function proxyOf(result: ReturnType<typeof parseProxy>): Proxy {
  assert.ok(result.proxy, `a proxy (problems: ${result.problems.map((p) => p.message).join('; ')})`);
  return result.proxy;
}

const sidecarId = (ip: string): string => `sidecar~${ip}~web-1.shop~shop.svc.cluster.local`;

test('an IPv4-only sidecar is in IPv4 mode', () => {
  const proxy = proxyOf(parseProxy({ id: sidecarId('10.244.0.5'), metadata: { INSTANCE_IPS: '10.244.0.5' } }));
  assert.equal(proxy.mode, 'IPv4');
  assert.equal(proxy.primaryFamily, 'IPv4');
  assert.equal(proxy.type, 'sidecar');
  assert.equal(proxy.namespace, 'shop');
  assert.equal(proxy.pod, 'web-1');
});

test('an IPv6-only sidecar is in IPv6 mode', () => {
  const proxy = proxyOf(parseProxy({ id: sidecarId('fd00:10:244::5'), metadata: { INSTANCE_IPS: 'fd00:10:244::5' } }));
  assert.equal(proxy.mode, 'IPv6');
  assert.equal(proxy.primaryFamily, 'IPv6');
});

test('a dual sidecar whose first IP is IPv4 is Dual with IPv4 primary', () => {
  const proxy = proxyOf(parseProxy({ id: sidecarId('10.244.0.5'), metadata: { INSTANCE_IPS: '10.244.0.5,fd00:10:244::5' } }));
  assert.equal(proxy.mode, 'Dual');
  assert.equal(proxy.primaryFamily, 'IPv4');
  assert.deepEqual(proxy.ips.map((a) => a.ip), ['10.244.0.5', 'fd00:10:244::5']);
});

test('a dual sidecar whose first IP is IPv6 is Dual with IPv6 primary', () => {
  const proxy = proxyOf(parseProxy({ id: sidecarId('fd00:10:244::5'), metadata: { INSTANCE_IPS: 'FD00:10:244:0::5, 10.244.0.5' } }));
  assert.equal(proxy.mode, 'Dual');
  assert.equal(proxy.primaryFamily, 'IPv6');
  assert.deepEqual(proxy.ips.map((a) => a.ip), ['fd00:10:244::5', '10.244.0.5']);
});

test('an IPv4-mapped IPv6 address counts as IPv6', () => {
  const proxy = proxyOf(parseProxy({ id: sidecarId('::ffff:10.244.0.5'), metadata: { INSTANCE_IPS: '::ffff:10.244.0.5' } }));
  assert.equal(proxy.mode, 'IPv6');
});

test("the pod's podIPs override what INSTANCE_IPS claims, with a warning", () => {
  const { model } = buildModel([
    pod('shop', 'web-1', ['fd00:10:244::5', '10.244.0.5'], { node: 'n1', labels: { app: 'web' } }),
    node('n1', 'eu', 'eu-1a'),
  ]);
  const result = parseProxy({ id: sidecarId('10.244.0.5'), metadata: { INSTANCE_IPS: '10.244.0.5', LABELS: { app: 'other' } } }, model);
  const proxy = proxyOf(result);
  assert.equal(proxy.mode, 'Dual');
  assert.equal(proxy.primaryFamily, 'IPv6');
  assert.deepEqual(proxy.ips.map((a) => a.ip), ['fd00:10:244::5', '10.244.0.5']);
  assert.deepEqual(proxy.labels, { app: 'web' });
  assert.deepEqual(proxy.locality, { region: 'eu', zone: 'eu-1a' });
  assert.equal(result.problems.length, 1);
  assert.equal(result.problems[0]?.severity, 'warning');
  assert.equal(result.problems[0]?.origin.field, 'metadata.INSTANCE_IPS');
});

test('a router id is a sidecar-type proxy and the node locality is kept', () => {
  const proxy = proxyOf(
    parseProxy({ id: 'router~10.0.0.9~gw-1.edge~edge.svc.cluster.local', locality: { region: 'us', zone: 'us-1', sub_zone: 'r1' } }),
  );
  assert.equal(proxy.type, 'sidecar');
  assert.equal(proxy.namespace, 'edge');
  assert.equal(proxy.pod, 'gw-1');
  assert.deepEqual(proxy.ips.map((a) => a.ip), ['10.0.0.9']);
  assert.deepEqual(proxy.locality, { region: 'us', zone: 'us-1', subzone: 'r1' });
});

test('a GENERATOR grpc node with a plain id is a proxyless client read from metadata', () => {
  const proxy = proxyOf(
    parseProxy({
      id: 'my-grpc-client',
      metadata: { GENERATOR: 'grpc', NAMESPACE: 'shop', NAME: 'client-0', INSTANCE_IPS: '::1,127.0.0.1', LABELS: { app: 'client' } },
    }),
  );
  assert.equal(proxy.type, 'proxyless');
  assert.equal(proxy.namespace, 'shop');
  assert.equal(proxy.pod, 'client-0');
  assert.equal(proxy.mode, 'Dual');
  assert.equal(proxy.primaryFamily, 'IPv6');
  assert.deepEqual(proxy.labels, { app: 'client' });
});

test('a grpc-prefixed Istio-style id is proxyless', () => {
  const proxy = proxyOf(parseProxy({ id: 'grpc-client~10.0.0.1~pod.ns~ns.svc.cluster.local' }));
  assert.equal(proxy.type, 'proxyless');
  assert.equal(proxy.pod, 'pod');
  assert.equal(proxy.namespace, 'ns');
});

test('a node with no usable IP gets no proxy and an error; bad INSTANCE_IPS entries are warnings', () => {
  const result = parseProxy({ id: 'lonely', metadata: { NAMESPACE: 'x', INSTANCE_IPS: 'not-an-ip' } });
  assert.equal(result.proxy, undefined);
  assert.deepEqual(result.problems.map((p) => p.severity), ['warning', 'error']);
  assert.equal(result.problems[1]?.origin.object, 'Proxy/lonely');
});

test('a node with no usable IP of its own but a known pod takes the pod IPs', () => {
  const { model } = buildModel([pod('shop', 'web-1', ['10.244.0.5'])]);
  const proxy = proxyOf(parseProxy({ id: 'anything', metadata: { NAMESPACE: 'shop', NAME: 'web-1' } }, model));
  assert.deepEqual(proxy.ips.map((a) => a.ip), ['10.244.0.5']);
  assert.equal(proxy.mode, 'IPv4');
});

test('INTERCEPTION_MODE carries TPROXY; absent or REDIRECT is REDIRECT; anything else is warned about and REDIRECT', () => {
  const withMode = (mode: unknown) => parseProxy({ id: sidecarId('10.244.0.5'), metadata: { INSTANCE_IPS: '10.244.0.5', ...(mode === undefined ? {} : { INTERCEPTION_MODE: mode }) } });
  assert.equal(proxyOf(withMode('TPROXY')).interception, 'TPROXY');
  assert.equal(proxyOf(withMode('REDIRECT')).interception, 'REDIRECT');
  assert.equal(proxyOf(withMode(undefined)).interception, 'REDIRECT');
  for (const odd of ['NONE', 'tproxy', 7]) {
    const result = withMode(odd);
    assert.equal(proxyOf(result).interception, 'REDIRECT');
    assert.deepEqual(result.problems.map((p) => [p.severity, p.origin.field]), [['warning', 'metadata.INTERCEPTION_MODE']]);
  }
});
