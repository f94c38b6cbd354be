import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkObject, hasErrors } from '../../src/model/index.ts';
import type { Origin, Problem } from '../../src/model/index.ts';

const ORIGIN: Origin = { source: 'files', file: 'shop.yaml', line: 12 };

function fields(problems: readonly Problem[], severity: Problem['severity'] = 'error'): (string | undefined)[] {
  return problems.filter((p) => p.severity === severity).map((p) => p.origin.field);
}

function svc(spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'web', namespace: 'shop' }) {
  return { apiVersion: 'v1', kind: 'Service', metadata, spec };
}

test('a valid dual-stack Service passes with its key and no problems', () => {
  const result = checkObject(
    svc({
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10', 'fd00:10:96::a'],
      ipFamilies: ['IPv4', 'IPv6'],
      ipFamilyPolicy: 'RequireDualStack',
      ports: [{ name: 'http', port: 80, targetPort: 'http-web' }],
    }),
    ORIGIN,
  );
  assert.deepEqual(result, { key: { kind: 'Service', namespace: 'shop', name: 'web' }, problems: [] });
});

test('a port given as a word is an error at spec.ports[0].port naming file, line and object', () => {
  const { key, problems } = checkObject(svc({ ports: [{ name: 'http', port: 'eighty' }] }), ORIGIN);
  assert.deepEqual(key, { kind: 'Service', namespace: 'shop', name: 'web' });
  assert.equal(problems.length, 1);
  const [problem] = problems;
  assert.equal(problem?.severity, 'error');
  assert.deepEqual(problem?.origin, { ...ORIGIN, object: 'Service/shop/web', field: 'spec.ports[0].port' });
  assert.match(problem?.message ?? '', /eighty/);
  assert.ok(hasErrors(problems));
});

test('clusterIPs that is not a list, a bad IP literal and an unknown family are errors at their paths', () => {
  assert.deepEqual(fields(checkObject(svc({ clusterIPs: '10.96.0.10' }), ORIGIN).problems), ['spec.clusterIPs']);
  assert.deepEqual(fields(checkObject(svc({ clusterIPs: ['10.96.0.10', 'fd00::zz'] }), ORIGIN).problems), ['spec.clusterIPs[1]']);
  assert.deepEqual(fields(checkObject(svc({ ipFamilies: ['IPv4', 'IPv5'] }), ORIGIN).problems), ['spec.ipFamilies[1]']);
  assert.deepEqual(fields(checkObject(svc({ ipFamilyPolicy: 'Dual' }), ORIGIN).problems), ['spec.ipFamilyPolicy']);
});

test('a namespaced object without a namespace is keyed under default; a Node has no namespace', () => {
  assert.deepEqual(checkObject(svc({}, { name: 'web' }), ORIGIN).key, { kind: 'Service', namespace: 'default', name: 'web' });
  const nodeResult = checkObject({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }, ORIGIN);
  assert.deepEqual(nodeResult, { key: { kind: 'Node', namespace: '', name: 'n1' }, problems: [] });
});

test('an unknown kind is an error naming the kind, with no key', () => {
  const result = checkObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } }, ORIGIN);
  assert.equal(result.key, undefined);
  assert.equal(result.problems.length, 1);
  assert.match(result.problems[0]?.message ?? '', /Deployment/);
  assert.equal(result.problems[0]?.origin.field, 'kind');
});

test('missing name, missing metadata and a non-object are errors', () => {
  assert.deepEqual(fields(checkObject({ apiVersion: 'v1', kind: 'Service', metadata: {} }, ORIGIN).problems), ['metadata.name']);
  assert.deepEqual(fields(checkObject({ apiVersion: 'v1', kind: 'Pod' }, ORIGIN).problems), ['metadata']);
  assert.equal(checkObject('just text', ORIGIN).problems[0]?.severity, 'error');
  assert.equal(checkObject(null, ORIGIN).key, undefined);
});

test('a wrong apiVersion for the kind is an error, but the key is still returned', () => {
  const result = checkObject({ apiVersion: 'v2', kind: 'Service', metadata: { name: 'x' }, spec: {} }, ORIGIN);
  assert.deepEqual(fields(result.problems), ['apiVersion']);
  assert.equal(result.key?.name, 'x');
});

test('EndpointSlice: an unknown addressType, an address of the wrong family and a non-boolean condition are errors at their paths', () => {
  const slice = (addressType: unknown, address: string) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType,
    endpoints: [{ addresses: [address], conditions: { ready: 'yes' } }],
    ports: [{ name: 'http', port: 8080 }],
  });
  assert.deepEqual(fields(checkObject(slice('IPv7', '10.0.0.1'), ORIGIN).problems), [
    'addressType',
    'endpoints[0].conditions.ready',
  ]);
  assert.deepEqual(fields(checkObject(slice('IPv6', '10.0.0.1'), ORIGIN).problems), [
    'endpoints[0].addresses[0]',
    'endpoints[0].conditions.ready',
  ]);
});

test('an EndpointSlice without the service-name label is only a warning', () => {
  const result = checkObject(
    { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 's' }, addressType: 'IPv4', endpoints: [] },
    ORIGIN,
  );
  assert.deepEqual(fields(result.problems), []);
  assert.deepEqual(fields(result.problems, 'warning'), ['metadata.labels.kubernetes.io/service-name']);
});

test('Pod: a bad podIPs literal and two IPs of one family are errors', () => {
  const podWith = (ips: string[]) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'shop' },
    status: { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) },
  });
  assert.deepEqual(fields(checkObject(podWith(['10.0.0.1', 'bogus']), ORIGIN).problems), ['status.podIPs[1].ip']);
  assert.deepEqual(fields(checkObject(podWith(['10.0.0.1', '10.0.0.2']), ORIGIN).problems), ['status.podIPs[1].ip']);
  assert.deepEqual(checkObject(podWith(['fd00::1', '10.0.0.1']), ORIGIN).problems, []);
});

test('ServiceEntry: every Istio apiVersion is accepted and bad fields are errors at their paths', () => {
  for (const version of ['v1', 'v1beta1', 'v1alpha3']) {
    const ok = checkObject(
      { apiVersion: `networking.istio.io/${version}`, kind: 'ServiceEntry', metadata: { name: 'se', namespace: 'ext' }, spec: { hosts: ['a.example.com'] } },
      ORIGIN,
    );
    assert.deepEqual(ok.problems, [], version);
  }
  const bad = checkObject(
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'se', namespace: 'ext', annotations: { 'biplane.io/auto-allocate': 'IPv5' } },
      spec: {
        hosts: [],
        addresses: ['10.0.0.0/40'],
        ports: [{ number: 70000, name: 'x' }],
        resolution: 'MAGIC',
        endpoints: [{ address: 'host.example.com', ports: { x: 'one' } }],
      },
    },
    ORIGIN,
  );
  assert.deepEqual(fields(bad.problems).sort(), [
    'metadata.annotations.biplane.io/auto-allocate',
    'spec.addresses[0]',
    'spec.endpoints[0].ports.x',
    'spec.hosts',
    'spec.ports[0].number',
    'spec.resolution',
  ]);
});

test('a STATIC ServiceEntry endpoint must be an IP address', () => {
  const result = checkObject(
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'se', namespace: 'ext' },
      spec: { hosts: ['a.example.com'], resolution: 'STATIC', endpoints: [{ address: 'not-an-ip.example.com' }] },
    },
    ORIGIN,
  );
  assert.deepEqual(fields(result.problems), ['spec.endpoints[0].address']);
});

test('labels with non-string values are errors at metadata.labels.<key>', () => {
  const result = checkObject(svc({}, { name: 'web', namespace: 'shop', labels: { app: 'web', replicas: 3 } }), ORIGIN);
  assert.deepEqual(fields(result.problems), ['metadata.labels.replicas']);
});
