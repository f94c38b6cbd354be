import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel } from '../../src/model/index.ts';
import type { Service } from '../../src/model/index.ts';
import { dualService, node, pod, service } from './fixtures.ts';
import type { SourceObject } from '../../src/model/index.ts';

function only(objects: readonly SourceObject[], hostname: string): Service {
  const { model, problems } = buildModel(objects);
  assert.deepEqual(problems, []);
  const found = model.services.filter((s) => s.hostname === hostname);
  assert.equal(found.length, 1, `one service ${hostname}`);
  return found[0] as Service;
}

test('a dual-stack service with ipFamilies [IPv6, IPv4] keeps its IPv6 VIP first', () => {
  const svc = only([dualService('shop', 'cart', ['fd00:10:96::a', '10.96.0.10'])], 'cart.shop.svc.cluster.local');
  assert.deepEqual(svc.vips, [
    { ip: 'fd00:10:96::a', family: 'IPv6' },
    { ip: '10.96.0.10', family: 'IPv4' },
  ]);
  assert.deepEqual(svc.ipFamilies, ['IPv6', 'IPv4']);
  assert.equal(svc.ipFamilyPolicy, 'RequireDualStack');
  assert.equal(svc.headless, false);
  assert.equal(svc.resolution, 'STATIC');
  assert.equal(svc.location, 'MESH_INTERNAL');
});

test('a SingleStack service has one VIP and the default policy when none is written', () => {
  const svc = only(
    [service('default', 'db', { clusterIP: '10.96.3.3', ports: [{ port: 5432, name: 'tcp-pg' }] })],
    'db.default.svc.cluster.local',
  );
  assert.deepEqual(svc.vips, [{ ip: '10.96.3.3', family: 'IPv4' }]);
  assert.deepEqual(svc.ipFamilies, ['IPv4']);
  assert.equal(svc.ipFamilyPolicy, 'SingleStack');
  assert.deepEqual(svc.ports, [{ name: 'tcp-pg', port: 5432, protocol: 'TCP', targetPort: 5432 }]);
});

test('PreferDualStack on a single-stack cluster has just the one clusterIP it was given', () => {
  const objects = [
    service('default', 'web', {
      clusterIP: '10.96.0.20',
      clusterIPs: ['10.96.0.20'],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'PreferDualStack',
      ports: [{ name: 'http', port: 80 }],
    }),
    pod('default', 'web-1', ['10.244.0.5']),
  ];
  const { model } = buildModel(objects);
  const svc = model.services[0] as Service;
  assert.equal(svc.ipFamilyPolicy, 'PreferDualStack');
  assert.deepEqual(svc.vips.map((v) => v.ip), ['10.96.0.20']);
  assert.deepEqual(model.kubeClusterFamilies, ['IPv4']);
});

test('a headless service with a selector has no VIPs and resolves to its endpoints directly', () => {
  const objects = [
    service('default', 'db', { clusterIP: 'None', clusterIPs: ['None'], ipFamilies: ['IPv4'], selector: { app: 'db' } }),
  ];
  const svc = only(objects, 'db.default.svc.cluster.local');
  assert.equal(svc.headless, true);
  assert.deepEqual(svc.vips, []);
  assert.equal(svc.resolution, 'STATIC');
  assert.deepEqual(svc.selector, { app: 'db' });
});

test('a selector-less headless service does not make a single-stack cluster dual', () => {
  const objects = [
    service('default', 'external-db', {
      clusterIP: 'None',
      clusterIPs: ['None'],
      ipFamilies: ['IPv4', 'IPv6'],
      ipFamilyPolicy: 'RequireDualStack',
    }),
    service('default', 'web', { clusterIP: '10.96.0.20', ipFamilies: ['IPv4'] }),
    pod('default', 'web-1', ['10.244.0.5']),
    node('n1', 'eu', 'eu-1a', ['192.168.1.10']),
  ];
  const { model } = buildModel(objects);
  const headless = model.services.find((s) => s.name === 'external-db');
  assert.equal(headless?.selector, undefined);
  assert.deepEqual(headless?.ipFamilies, ['IPv4', 'IPv6']);
  assert.deepEqual(model.kubeClusterFamilies, ['IPv4']);
});

test('the cluster is dual with IPv6 first when the kubernetes service is IPv6-primary', () => {
  const objects = [
    dualService('default', 'kubernetes', ['fd00:10:96::1', '10.96.0.1']),
    dualService('default', 'a', ['10.96.0.2', 'fd00:10:96::2']),
    dualService('default', 'b', ['10.96.0.3', 'fd00:10:96::3']),
  ];
  assert.deepEqual(buildModel(objects).model.kubeClusterFamilies, ['IPv6', 'IPv4']);
});

test('an ExternalName service is a DNS name with no VIPs', () => {
  const svc = only(
    [service('default', 'search', { type: 'ExternalName', externalName: 'search.example.com', ports: [{ port: 443, name: 'https' }] })],
    'search.default.svc.cluster.local',
  );
  assert.equal(svc.externalName, 'search.example.com');
  assert.equal(svc.resolution, 'DNS');
  assert.deepEqual(svc.vips, []);
  assert.equal(svc.headless, false);
  assert.equal(svc.ports[0]?.protocol, 'TLS');
});

test('port protocols follow appProtocol, then the port name prefix, then TCP (UDP for UDP ports)', () => {
  const svc = only(
    [
      service('default', 'mix', {
        clusterIP: '10.96.0.30',
        ports: [
          { name: 'web', port: 1, appProtocol: 'http' },
          { name: 'h2c', port: 2, appProtocol: 'kubernetes.io/h2c' },
          { name: 'http-web', port: 3 },
          { name: 'grpc', port: 4 },
          { name: 'http2-x', port: 5 },
          { name: 'https', port: 6 },
          { name: 'tls-x', port: 7 },
          { name: 'metrics', port: 8 },
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'tcp-but-http', port: 9, appProtocol: 'HTTP' },
        ],
      }),
    ],
    'mix.default.svc.cluster.local',
  );
  assert.deepEqual(
    svc.ports.map((p) => `${p.port}:${p.protocol}`),
    ['1:HTTP', '2:HTTP2', '3:HTTP', '4:GRPC', '5:HTTP2', '6:TLS', '7:TLS', '8:TCP', '53:UDP', '9:HTTP'],
  );
});

test('the forwarding annotation asks for native per-family forwarding; anything else is shared', () => {
  const native = service('default', 'n', { clusterIP: '10.96.0.40' }, { annotations: { 'biplane.io/ip-family-forwarding': 'native' } });
  const plain = service('default', 'p', { clusterIP: '10.96.0.41' });
  const { model } = buildModel([native, plain]);
  assert.deepEqual(model.services.map((s) => [s.name, s.forwarding]), [
    ['n', 'native'],
    ['p', 'shared'],
  ]);
});

test('a service without clusterIPs (written before dual-stack) takes its VIP and family from clusterIP', () => {
  const svc = only([service('default', 'old', { clusterIP: 'fd00::5' })], 'old.default.svc.cluster.local');
  assert.deepEqual(svc.vips, [{ ip: 'fd00::5', family: 'IPv6' }]);
  assert.deepEqual(svc.ipFamilies, ['IPv6']);
});

test('services come out sorted by hostname whatever the input order', () => {
  const a = [dualService('z', 'a', ['10.96.0.1']), dualService('a', 'z', ['10.96.0.2']), dualService('m', 'm', ['10.96.0.3'])];
  const forward = buildModel(a).model;
  const backward = buildModel([...a].reverse()).model;
  assert.deepEqual(forward, backward);
  assert.deepEqual(forward.services.map((s) => s.hostname), [
    'a.z.svc.cluster.local',
    'm.m.svc.cluster.local',
    'z.a.svc.cluster.local',
  ]);
});

test('an object with schema errors is left out of the model and its errors are returned', () => {
  const bad = service('default', 'bad', { clusterIP: '10.96.0.50', ports: [{ port: 'eighty' }] });
  const { model, problems } = buildModel([bad, dualService('default', 'good', ['10.96.0.51'])]);
  assert.deepEqual(model.services.map((s) => s.name), ['good']);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.origin.object, 'Service/default/bad');
  assert.equal(problems[0]?.origin.field, 'spec.ports[0].port');
});
