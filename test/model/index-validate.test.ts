import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel, checkModel, indexModel, nameKey, parseAddress, servableModel, servicePortKey, validate } from '../../src/model/index.ts';
import type { Address, Endpoint, MeshModel, Service } from '../../src/model/index.ts';
import { dualService, ep, pod, service, serviceEntry, slice } from './fixtures.ts';

function addr(ip: string): Address {
  const a = parseAddress(ip);
  assert.ok(a, ip);
  return a;
}

function svc(hostname: string, vips: string[], extra: Partial<Service> = {}): Service {
  const addresses = vips.map(addr);
  return {
    kind: 'Service',
    hostname,
    name: hostname.split('.')[0] ?? hostname,
    namespace: 'default',
    ports: [{ name: 'http', port: 80, protocol: 'HTTP', targetPort: 8080 }],
    vips: addresses,
    ipFamilies: addresses.map((a) => a.family),
    ipFamilyPolicy: addresses.length > 1 ? 'RequireDualStack' : 'SingleStack',
    headless: false,
    resolution: 'STATIC',
    location: 'MESH_INTERNAL',
    forwarding: 'shared',
    labels: {},
    annotations: {},
    origin: { object: `Service/default/${hostname}` },
    ...extra,
  };
}

function endpoint(service: string, ips: string[], ports = [{ name: 'http', port: 8080 }]): Endpoint {
  return {
    service,
    addresses: ips.map(addr),
    ports,
    ready: true,
    serving: true,
    terminating: false,
    locality: {},
    labels: {},
    origin: { object: `EndpointSlice/default/${service}` },
  };
}

function model(services: Service[], endpoints: Endpoint[] = []): MeshModel {
  return { services, endpoints, pods: [], kubeClusterFamilies: ['IPv4', 'IPv6'], peerAuthentications: [] };
}

test('the index finds services by hostname and name, VIPs by family and pods by name', () => {
  const { model: built } = buildModel([
    dualService('shop', 'web', ['fd00:10:96::a', '10.96.0.10']),
    serviceEntry('ext', 'apis', { hosts: ['a.example.com', 'b.example.com'], addresses: ['192.0.2.1'], ports: [{ number: 443, name: 'tls' }] }),
    pod('shop', 'web-1', ['10.244.0.5']),
  ]);
  const index = indexModel(built);
  assert.equal(index.servicesByHostname.get('web.shop.svc.cluster.local')?.name, 'web');
  assert.deepEqual(index.servicesByName.get(nameKey('ext', 'apis'))?.map((s) => s.hostname), ['a.example.com', 'b.example.com']);
  assert.deepEqual(index.vipsByFamily.get('IPv6')?.map((v) => [v.address.ip, v.service.name]), [['fd00:10:96::a', 'web']]);
  assert.deepEqual(index.vipsByFamily.get('IPv4')?.map((v) => [v.address.ip, v.service.hostname]), [
    ['192.0.2.1', 'a.example.com'],
    ['192.0.2.1', 'b.example.com'],
    ['10.96.0.10', 'web.shop.svc.cluster.local'],
  ]);
  assert.deepEqual(index.podsByName.get(nameKey('shop', 'web-1'))?.ips, [{ ip: '10.244.0.5', family: 'IPv4' }]);
});

test('endpoints by service port resolve a named target port through the endpoint port of the same name', () => {
  const { model: built } = buildModel([
    service('shop', 'web', {
      clusterIP: '10.96.0.10',
      ports: [
        { name: 'http', port: 80, targetPort: 'web' },
        { name: 'admin', port: 9000, targetPort: 9901 },
      ],
    }),
    pod('shop', 'web-1', ['10.244.0.5']),
    pod('shop', 'web-2', ['10.244.0.6']),
    slice('shop', 'web-a', 'web', 'IPv4', [ep('10.244.0.5', { pod: 'web-1' })], [
      { name: 'http', port: 8080 },
      { name: 'admin', port: 9901 },
    ]),
    slice('shop', 'web-b', 'web', 'IPv4', [ep('10.244.0.6', { pod: 'web-2' })], [{ name: 'http', port: 8081 }]),
  ]);
  const index = indexModel(built);
  const host = 'web.shop.svc.cluster.local';
  assert.equal(index.endpointsByService.get(host)?.length, 2);
  const http = index.endpointsByServicePort.get(servicePortKey(host, 80)) ?? [];
  assert.deepEqual(http.map((p) => [p.endpoint.addresses[0]?.ip, p.port]), [
    ['10.244.0.5', 8080],
    ['10.244.0.6', 8081],
  ]);
  const admin = index.endpointsByServicePort.get(servicePortKey(host, 9000)) ?? [];
  assert.deepEqual(admin.map((p) => [p.endpoint.addresses[0]?.ip, p.port]), [['10.244.0.5', 9901]]);
});

test('a ServiceEntry endpoint serves each port on its mapped port, else the port itself', () => {
  const { model: built } = buildModel([
    serviceEntry('ext', 'db', {
      hosts: ['db.example.com'],
      addresses: ['192.0.2.5'],
      ports: [{ number: 5432, name: 'tcp-pg' }, { number: 9187, name: 'metrics' }],
      resolution: 'STATIC',
      endpoints: [{ address: '198.51.100.5', ports: { 'tcp-pg': 15432 } }],
    }),
  ]);
  const index = indexModel(built);
  assert.deepEqual(index.endpointsByServicePort.get(servicePortKey('db.example.com', 5432))?.map((p) => p.port), [15432]);
  assert.deepEqual(index.endpointsByServicePort.get(servicePortKey('db.example.com', 9187))?.map((p) => p.port), [9187]);
});

test('a built dual-stack model validates without problems', () => {
  const { model: built } = buildModel([
    dualService('shop', 'web', ['10.96.0.10', 'fd00:10:96::a']),
    pod('shop', 'web-1', ['10.244.0.5', 'fd00:10:244::5']),
    slice('shop', 'web-v4', 'web', 'IPv4', [ep('10.244.0.5', { pod: 'web-1' })]),
    slice('shop', 'web-v6', 'web', 'IPv6', [ep('fd00:10:244::5', { pod: 'web-1' })]),
    serviceEntry('ext', 'search', { hosts: ['search.example.com'], ports: [{ number: 443, name: 'tls' }], resolution: 'DNS' }),
  ]);
  assert.deepEqual(validate(built), []);
});

test('validate reports duplicate hostnames and a VIP used by two services, with origins', () => {
  const problems = validate(
    model([svc('a.example.com', ['10.0.0.1']), svc('a.example.com', ['10.0.0.2']), svc('b.example.com', ['10.0.0.1'])]),
  );
  assert.deepEqual(problems.map((p) => [p.severity, p.origin.object]), [
    ['error', 'Service/default/a.example.com'],
    ['error', 'Service/default/b.example.com'],
  ]);
  assert.match(problems[0]?.message ?? '', /hostname a\.example\.com is also defined/);
  assert.match(problems[1]?.message ?? '', /VIP 10\.0\.0\.1 is also used by a\.example\.com/);
});

test('hosts of one ServiceEntry share its addresses without a problem; another ServiceEntry may not', () => {
  const shared = serviceEntry('ext', 'apis', { hosts: ['a.example.com', 'b.example.com'], addresses: ['192.0.2.1'], ports: [{ number: 443, name: 'tls' }] });
  const other = serviceEntry('ext', 'other', { hosts: ['c.example.com'], addresses: ['192.0.2.1'], ports: [{ number: 443, name: 'tls' }] });
  assert.deepEqual(validate(buildModel([shared]).model), []);
  const problems = validate(buildModel([shared, other]).model);
  assert.deepEqual(problems.map((p) => [p.origin.object, p.origin.field]), [['ServiceEntry/ext/other', 'spec.addresses']]);
});

test('validate reports two VIPs of one family and ipFamilies that do not match the VIPs', () => {
  const twoV4 = svc('x.example.com', ['10.0.0.1', '10.0.0.2'], { ipFamilies: ['IPv4', 'IPv6'] });
  const swapped = svc('y.example.com', ['10.0.0.3', 'fd00::3'], { ipFamilies: ['IPv6', 'IPv4'] });
  const messages = validate(model([twoV4, swapped])).map((p) => `${p.origin.field} ${p.message}`);
  assert.deepEqual(messages, [
    'spec.clusterIPs x.example.com: two IPv4 VIPs',
    'spec.clusterIPs[1] x.example.com: VIP 10.0.0.2 is IPv4 but spec.ipFamilies[1] is IPv6',
    'spec.clusterIPs[0] y.example.com: VIP 10.0.0.3 is IPv4 but spec.ipFamilies[0] is IPv6',
    'spec.clusterIPs[1] y.example.com: VIP fd00::3 is IPv6 but spec.ipFamilies[1] is IPv4',
  ]);
});

test('validate reports an endpoint with two addresses of one family and a repeated ip:port', () => {
  const host = 'a.example.com';
  const problems = validate(
    model([svc(host, ['10.0.0.1'])], [endpoint(host, ['10.1.0.1', '10.1.0.2']), endpoint(host, ['10.1.0.2'])]),
  );
  assert.deepEqual(problems.map((p) => p.severity), ['error', 'warning']);
  assert.match(problems[0]?.message ?? '', /two IPv4 addresses \(10\.1\.0\.1, 10\.1\.0\.2\)/);
  assert.match(problems[1]?.message ?? '', /10\.1\.0\.2 port 8080 appears in two endpoints/);
});

test('validate reports a headless service with VIPs, an endpoint of an unknown service and an empty endpoint', () => {
  const problems = validate(
    model([svc('h.example.com', ['10.0.0.1'], { headless: true })], [endpoint('nowhere.example.com', [])]),
  );
  assert.deepEqual(problems.map((p) => p.message), [
    'h.example.com: a headless service has VIPs',
    'endpoint of unknown service nowhere.example.com',
    'endpoint of nowhere.example.com has neither address nor hostname',
  ]);
});

test('the servable model leaves out the services and endpoints validation found errors in, and nothing else', () => {
  const a = svc('a.example.com', ['10.0.0.1']);
  const thief = svc('b.example.com', ['10.0.0.1']);
  const c = svc('c.example.com', ['10.0.0.3']);
  const good = endpoint('a.example.com', ['10.1.0.1']);
  const ofThief = endpoint('b.example.com', ['10.1.0.2']);
  const twoV4 = endpoint('c.example.com', ['10.1.0.3', '10.1.0.4']);
  const whole = model([a, thief, c], [good, ofThief, twoV4]);
  const check = checkModel(whole);
  assert.deepEqual([...check.rejectedServices], [thief]);
  assert.deepEqual([...check.rejectedEndpoints], [twoV4]);
  const served = servableModel(whole, check);
  assert.deepEqual(served.services, [a, c]);
  assert.deepEqual(served.endpoints, [good], 'the endpoints of a service left out go with it');
  const clean = model([a, c], [good]);
  assert.equal(servableModel(clean, checkModel(clean)), clean, 'a clean model is served as it is');
});

test('a ServiceEntry may list several addresses of one family: no problem, and it is served', () => {
  const entry = serviceEntry('ext', 'apis', { hosts: ['a.example.com'], addresses: ['192.0.2.1', '192.0.2.2'], ports: [{ number: 443, name: 'tls' }] });
  const built = buildModel([entry]).model;
  assert.deepEqual(validate(built), []);
  assert.equal(servableModel(built, checkModel(built)).services.length, 1);
});
