import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel } from '../../src/model/index.ts';
import type { Endpoint, SourceObject } from '../../src/model/index.ts';
import { dualService, ep, node, pod, service, slice } from './fixtures.ts';

const HOST = 'web.shop.svc.cluster.local';

function endpointsOf(objects: readonly SourceObject[], host = HOST): { endpoints: Endpoint[]; messages: string[] } {
  const { model, problems } = buildModel(objects);
  return { endpoints: model.endpoints.filter((e) => e.service === host), messages: problems.map((p) => p.message) };
}

const ips = (e: Endpoint | undefined): string[] => (e ? e.addresses.map((a) => a.ip) : []);

test('per-family slices of a dual-stack pod merge into one endpoint in podIPs order', () => {
  const { endpoints, messages } = endpointsOf([
    dualService('shop', 'web', ['10.96.0.10', 'fd00:10:96::a']),
    pod('shop', 'web-1', ['10.244.0.5', 'fd00:10:244::5'], { node: 'n1', labels: { app: 'web', version: 'v1' } }),
    node('n1', 'eu-west', 'eu-west-1a'),
    slice('shop', 'web-v4', 'web', 'IPv4', [ep('10.244.0.5', { pod: 'web-1', node: 'n1' })]),
    slice('shop', 'web-v6', 'web', 'IPv6', [ep('fd00:10:244::5', { pod: 'web-1', node: 'n1' })]),
  ]);
  assert.deepEqual(messages, []);
  assert.equal(endpoints.length, 1);
  const [only] = endpoints;
  assert.deepEqual(ips(only), ['10.244.0.5', 'fd00:10:244::5']);
  assert.deepEqual(only?.pod, { namespace: 'shop', name: 'web-1' });
  assert.deepEqual(only?.labels, { app: 'web', version: 'v1' });
  assert.deepEqual(only?.locality, { region: 'eu-west', zone: 'eu-west-1a' });
  assert.deepEqual(only?.ports, [{ name: 'http', port: 8080 }]);
  assert.equal(only?.ready, true);
});

test('a pod whose podIPs are IPv6-first gets an IPv6-first endpoint even on an IPv4-primary service', () => {
  const { endpoints } = endpointsOf([
    dualService('shop', 'web', ['10.96.0.10', 'fd00:10:96::a']),
    pod('shop', 'web-2', ['fd00:10:244::6', '10.244.0.6']),
    slice('shop', 'web-v4', 'web', 'IPv4', [ep('10.244.0.6', { pod: 'web-2' })]),
    slice('shop', 'web-v6', 'web', 'IPv6', [ep('fd00:10:244::6', { pod: 'web-2' })]),
  ]);
  assert.deepEqual(endpoints.map(ips), [['fd00:10:244::6', '10.244.0.6']]);
});

test('a single-stack service of a dual-stack pod keeps only the family its slices list', () => {
  const { endpoints } = endpointsOf([
    dualService('shop', 'web', ['10.96.0.10']),
    pod('shop', 'web-1', ['10.244.0.5', 'fd00:10:244::5']),
    slice('shop', 'web-v4', 'web', 'IPv4', [ep('10.244.0.5', { pod: 'web-1' })]),
  ]);
  assert.deepEqual(endpoints.map(ips), [['10.244.0.5']]);
});

test('slice entries without a Pod targetRef stay one endpoint per address', () => {
  const { endpoints } = endpointsOf([
    dualService('shop', 'web', ['10.96.0.10', 'fd00:10:96::a']),
    slice('shop', 'web-v4', 'web', 'IPv4', [ep('192.0.2.10'), ep('192.0.2.11')]),
    slice('shop', 'web-v6', 'web', 'IPv6', [ep('2001:db8::10')]),
  ]);
  assert.deepEqual(endpoints.map(ips), [['192.0.2.10'], ['192.0.2.11'], ['2001:db8::10']]);
  assert.ok(endpoints.every((e) => e.pod === undefined));
});

test('an unknown pod targetRef is a warning and the endpoint is still built, ordered by the service families', () => {
  const { endpoints, messages } = endpointsOf([
    dualService('shop', 'web', ['fd00:10:96::a', '10.96.0.10']),
    slice('shop', 'web-v4', 'web', 'IPv4', [ep('10.244.0.9', { pod: 'ghost' })]),
    slice('shop', 'web-v6', 'web', 'IPv6', [ep('fd00:10:244::9', { pod: 'ghost' })]),
  ]);
  assert.deepEqual(endpoints.map(ips), [['fd00:10:244::9', '10.244.0.9']]);
  assert.deepEqual(endpoints[0]?.pod, { namespace: 'shop', name: 'ghost' });
  assert.equal(messages.length, 1);
  assert.match(messages[0] ?? '', /targetRef Pod shop\/ghost is not known/);
});

test('the same endpoint listed in two slices of one family is kept once', () => {
  const { endpoints } = endpointsOf([
    dualService('shop', 'web', ['10.96.0.10']),
    pod('shop', 'web-1', ['10.244.0.5']),
    slice('shop', 'web-a', 'web', 'IPv4', [ep('10.244.0.5', { pod: 'web-1' }), ep('192.0.2.1')]),
    slice('shop', 'web-b', 'web', 'IPv4', [ep('10.244.0.5', { pod: 'web-1' }), ep('192.0.2.1')]),
  ]);
  assert.deepEqual(endpoints.map(ips), [['10.244.0.5'], ['192.0.2.1']]);
  assert.deepEqual(endpoints.map((e) => e.ports), [[{ name: 'http', port: 8080 }], [{ name: 'http', port: 8080 }]]);
});

test('FQDN slices are ignored', () => {
  const { endpoints, messages } = endpointsOf([
    dualService('shop', 'web', ['10.96.0.10']),
    slice('shop', 'web-fqdn', 'web', 'FQDN', [{ addresses: ['backend.example.com'] }]),
  ]);
  assert.deepEqual(endpoints, []);
  assert.deepEqual(messages, []);
});

test('only the first of an endpoint\'s addresses counts', () => {
  const { endpoints } = endpointsOf([
    dualService('shop', 'web', ['10.96.0.10']),
    slice('shop', 'web-v4', 'web', 'IPv4', [{ addresses: ['192.0.2.1', '192.0.2.2'] }]),
  ]);
  assert.deepEqual(endpoints.map(ips), [['192.0.2.1']]);
});

test('not-ready and terminating endpoints keep their conditions; an absent ready means ready unless terminating', () => {
  const { endpoints } = endpointsOf([
    dualService('shop', 'web', ['10.96.0.10']),
    slice('shop', 'web-v4', 'web', 'IPv4', [
      ep('192.0.2.1', { conditions: { ready: false, serving: false } }),
      ep('192.0.2.2', { conditions: { ready: false, serving: true, terminating: true } }),
      ep('192.0.2.3', { conditions: {} }),
      ep('192.0.2.4', { conditions: { terminating: true } }),
    ]),
  ]);
  assert.deepEqual(
    endpoints.map((e) => [e.addresses[0]?.ip, e.ready, e.serving, e.terminating]),
    [
      ['192.0.2.1', false, false, false],
      ['192.0.2.2', false, true, true],
      ['192.0.2.3', true, true, false],
      ['192.0.2.4', false, true, true],
    ],
  );
});

test('a merged pod is not ready when one family\'s entry is not ready', () => {
  const { endpoints } = endpointsOf([
    dualService('shop', 'web', ['10.96.0.10', 'fd00:10:96::a']),
    pod('shop', 'web-1', ['10.244.0.5', 'fd00:10:244::5']),
    slice('shop', 'web-v4', 'web', 'IPv4', [ep('10.244.0.5', { pod: 'web-1' })]),
    slice('shop', 'web-v6', 'web', 'IPv6', [ep('fd00:10:244::5', { pod: 'web-1', conditions: { ready: false } })]),
  ]);
  assert.equal(endpoints.length, 1);
  assert.equal(endpoints[0]?.ready, false);
});

test('locality falls back to the slice zone when the node is unknown', () => {
  const { endpoints } = endpointsOf([
    dualService('shop', 'web', ['10.96.0.10']),
    slice('shop', 'web-v4', 'web', 'IPv4', [ep('192.0.2.1', { node: 'missing', zone: 'z9' })]),
  ]);
  assert.deepEqual(endpoints[0]?.locality, { zone: 'z9' });
});

test('a slice of an unknown service is a warning and builds nothing', () => {
  const { model, problems } = buildModel([slice('shop', 'orphan-v4', 'orphan', 'IPv4', [ep('192.0.2.1')])]);
  assert.deepEqual(model.endpoints, []);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.severity, 'warning');
  assert.equal(problems[0]?.origin.object, 'EndpointSlice/shop/orphan-v4');
});

test('endpoints come out the same whatever the input order', () => {
  const objects = [
    dualService('shop', 'web', ['10.96.0.10', 'fd00:10:96::a']),
    service('shop', 'db', { clusterIP: 'None', selector: { app: 'db' } }),
    pod('shop', 'web-1', ['10.244.0.5', 'fd00:10:244::5']),
    pod('shop', 'web-2', ['fd00:10:244::6', '10.244.0.6']),
    slice('shop', 'web-v4', 'web', 'IPv4', [ep('10.244.0.6', { pod: 'web-2' }), ep('10.244.0.5', { pod: 'web-1' })]),
    slice('shop', 'web-v6', 'web', 'IPv6', [ep('fd00:10:244::5', { pod: 'web-1' }), ep('fd00:10:244::6', { pod: 'web-2' })]),
    slice('shop', 'db-v4', 'db', 'IPv4', [ep('10.244.1.1')]),
  ];
  const forward = buildModel(objects).model;
  assert.deepEqual(buildModel([...objects].reverse()).model, forward);
  assert.deepEqual(forward.endpoints.map((e) => `${e.service} ${ips(e).join(',')}`), [
    'db.shop.svc.cluster.local 10.244.1.1',
    'web.shop.svc.cluster.local 10.244.0.5,fd00:10:244::5',
    'web.shop.svc.cluster.local fd00:10:244::6,10.244.0.6',
  ]);
});
