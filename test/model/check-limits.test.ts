// checkObject refuses what the API server refuses: names that are not DNS labels or subdomains or are too long, bad
// label keys and values, too many annotation bytes, VIPs that do not match their ipFamilies, and over-full slices.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkObject } from '../../src/model/index.ts';
import type { Origin, Problem } from '../../src/model/index.ts';

const ORIGIN: Origin = { source: 'files', file: 'limits.yaml', line: 3 };

function errors(problems: readonly Problem[]): string[] {
  return problems.filter((p) => p.severity === 'error').map((p) => p.message);
}

function service(metadata: Record<string, unknown>, spec: Record<string, unknown> = { ports: [{ port: 80 }] }) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'shop', ...metadata }, spec };
}

test('a Service name must be a DNS-1035 label of at most 63 characters', () => {
  assert.deepEqual(errors(checkObject(service({ name: 'web-1' }), ORIGIN).problems), []);
  for (const name of ['1web', 'Web', 'web.shop', 'web_1', 'a'.repeat(64)]) {
    const found = errors(checkObject(service({ name }), ORIGIN).problems);
    assert.equal(found.length, 1, `${name}: ${found.join('; ')}`);
    assert.match(found[0] ?? '', /^metadata\.name: /);
  }
});

test('a huge name is refused without a key, and no message repeats it in full', () => {
  const name = 'a'.repeat(9 * 1024 * 1024);
  const result = checkObject(service({ name }), { ...ORIGIN, object: `Service/shop/${name}` });
  assert.equal(result.key, undefined);
  assert.ok(result.problems.length > 0);
  for (const p of result.problems) {
    assert.ok(JSON.stringify(p).length < 2000, `a short problem: ${JSON.stringify(p).length} characters`);
  }
  assert.match(errors(result.problems).join(' '), /at most 63 characters, got 9437184/);
});

test('other kinds take DNS subdomains of at most 253 characters; namespaces are labels of at most 63', () => {
  const pod = (name: string, namespace = 'shop') => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace } });
  assert.deepEqual(errors(checkObject(pod('web-1.v2'), ORIGIN).problems), []);
  assert.equal(errors(checkObject(pod(`${'a'.repeat(60)}.`.repeat(5)), ORIGIN).problems).length, 1);
  assert.match(errors(checkObject(pod('web', 'Shop'), ORIGIN).problems).join(), /^metadata\.namespace: "Shop" is not a DNS label/);
  assert.match(errors(checkObject(pod('web', 'n'.repeat(64)), ORIGIN).problems).join(), /metadata\.namespace: must be at most 63/);
  const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  assert.deepEqual(errors(checkObject(ns('shop'), ORIGIN).problems), []);
  assert.equal(errors(checkObject(ns('shop.eu'), ORIGIN).problems).length, 1);
});

test('label keys and values and annotation keys follow the API server’s rules; annotations total at most 256 KiB', () => {
  const labels = { app: 'web', 'example.com/tier': 'front', 'bad key': 'x', long: 'v'.repeat(64), 'a/b/c': 'x', ok: '' };
  const found = errors(checkObject(service({ name: 'web', labels }), ORIGIN).problems);
  assert.deepEqual(found.map((f) => f.split(':')[0]), ['metadata.labels.a/b/c', 'metadata.labels.bad key', 'metadata.labels.long']);
  const within = { 'example.com/note': 'x'.repeat(256 * 1024 - 100) };
  assert.deepEqual(errors(checkObject(service({ name: 'web', annotations: within }), ORIGIN).problems), []);
  const over = { 'example.com/note': 'x'.repeat(256 * 1024) };
  assert.match(errors(checkObject(service({ name: 'web', annotations: over }), ORIGIN).problems).join(), /^metadata\.annotations: must be at most 262144 bytes/);
});

test('cluster IPs match ipFamilies in number and family, one VIP per family', () => {
  const spec = (clusterIPs: string[], ipFamilies: string[]) => ({ clusterIP: clusterIPs[0], clusterIPs, ipFamilies, ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80 }] });
  assert.deepEqual(errors(checkObject(service({ name: 'ok' }, spec(['10.96.8.1', 'fd00::1'], ['IPv4', 'IPv6'])), ORIGIN).problems), []);
  assert.deepEqual(errors(checkObject(service({ name: 'fam' }, spec(['10.96.8.1'], ['IPv6'])), ORIGIN).problems), [
    'spec.clusterIPs[0]: 10.96.8.1 is IPv4 but spec.ipFamilies[0] is IPv6',
  ]);
  assert.deepEqual(errors(checkObject(service({ name: 'two' }, spec(['10.96.8.2', '10.96.8.3'], ['IPv4', 'IPv6'])), ORIGIN).problems), [
    'spec.clusterIPs[1]: a second IPv4 address (the service already has 10.96.8.2); at most one per family',
    'spec.clusterIPs[1]: 10.96.8.3 is IPv4 but spec.ipFamilies[1] is IPv6',
  ]);
  assert.deepEqual(errors(checkObject(service({ name: 'count' }, spec(['10.96.8.4'], ['IPv4', 'IPv6'])), ORIGIN).problems), [
    'spec.ipFamilies: lists 2 families for 1 cluster IPs; each cluster IP needs its family, in order',
  ]);
  const single = { clusterIP: '10.96.8.5', ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'SingleStack', ports: [{ port: 80 }] };
  assert.match(errors(checkObject(service({ name: 'single' }, single), ORIGIN).problems).join(), /spec\.ipFamilyPolicy: SingleStack allows one IP family/);
  const headless = { clusterIP: 'None', clusterIPs: ['None'], ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80 }] };
  assert.deepEqual(errors(checkObject(service({ name: 'headless' }, headless), ORIGIN).problems), []);
});

test('port ranges, port names and ExternalName hosts are checked', () => {
  const ports = [{ port: 0 }, { port: 65536 }, { name: 'Http', port: 80 }, { port: 81, targetPort: 'a-very-long-port-name' }, { port: 82, targetPort: 70000 }];
  const found = errors(checkObject(service({ name: 'web' }, { ports }), ORIGIN).problems);
  assert.deepEqual(found.map((f) => f.split(':')[0]), ['spec.ports[0].port', 'spec.ports[1].port', 'spec.ports[2].name', 'spec.ports[3].targetPort', 'spec.ports[4].targetPort']);
  const external = { type: 'ExternalName', externalName: `${'x'.repeat(300)}.example.com` };
  assert.match(errors(checkObject(service({ name: 'ext' }, external), ORIGIN).problems).join(), /^spec\.externalName: must be at most 253 characters/);
});

test('an EndpointSlice holds at most 1,000 endpoints; ServiceEntry hosts are host names', () => {
  const endpoints = Array.from({ length: 1001 }, (_, i) => ({ addresses: [`10.1.${i >> 8}.${i & 255}`] }));
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-x', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints,
  };
  assert.deepEqual(errors(checkObject(slice, ORIGIN).problems), ['endpoints: at most 1000 endpoints per slice, got 1001']);
  assert.deepEqual(errors(checkObject({ ...slice, endpoints: endpoints.slice(0, 1000) }, ORIGIN).problems), []);
  const entry = (hosts: string[]) => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'ext', namespace: 'shop' }, spec: { hosts, ports: [{ number: 443, name: 'tls' }], resolution: 'DNS' } });
  assert.deepEqual(errors(checkObject(entry(['api.example.com', '*.Example.org']), ORIGIN).problems), []);
  assert.deepEqual(errors(checkObject(entry(['bad host']), ORIGIN).problems).map((f) => f.split(':')[0]), ['spec.hosts[0]']);
});
