// Each finding kind fires on its own small fixture, at the file and line of the field it is about.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xdsFinding } from '../../src/analyze/proxies.ts';
import { TypeUrl } from '../../src/envoy-api/protos.ts';
import { analyzeJson, fixture, lineOf, withCode } from './helpers.ts';

test('a clean dual-stack mesh has no finding at all, even with --fail-on warning', async () => {
  const r = await analyzeJson(fixture('clean'), ['--fail-on', 'warning']);
  assert.deepEqual(r.findings, []);
  assert.equal(r.code, 0);
  assert.deepEqual(r.summary, { errors: 0, warnings: 0, objects: 5, proxies: 2 });
});

test('a RequireDualStack service whose endpoints are all IPv4 is warned about at its ipFamilyPolicy', async () => {
  const r = await analyzeJson(fixture('one-family-endpoints'));
  const file = `${fixture('one-family-endpoints')}/service.yaml`;
  assert.deepEqual(r.findings.map((f) => [f.code, f.severity, f.file, f.line, f.object, f.field]), [
    ['one-family-endpoints', 'warning', file, lineOf(file, 'ipFamilyPolicy'), 'Service/app/api', 'spec.ipFamilyPolicy'],
  ]);
  assert.match(r.findings[0]?.message ?? '', /IPv6 VIP fd00:10:96::2:10 leads nowhere/);
  assert.equal(r.code, 0);
});

test('a dual-stack service with single-stack backends names each one, once for the service', async () => {
  const r = await analyzeJson(fixture('single-stack-backends'));
  const file = `${fixture('single-stack-backends')}/mesh.yaml`;
  assert.equal(withCode(r.findings, 'one-family-endpoints').length, 0);
  const [finding, ...rest] = withCode(r.findings, 'single-stack-backends');
  assert.deepEqual(rest, []);
  assert.equal(finding?.file, file);
  assert.equal(finding?.line, lineOf(file, 'ipFamilies: [IPv4, IPv6]'));
  assert.equal(finding?.object, 'Service/app/echo');
  assert.match(finding?.message ?? '', /app\/echo-1 \(IPv6 only\)/);
  assert.match(finding?.message ?? '', /app\/echo-2 \(dual-stack pod missing from the IPv4 EndpointSlice\)/);
  assert.doesNotMatch(finding?.message ?? '', /echo-0/);
  assert.match(finding?.message ?? '', /IPv4-only clients never reach them/);
});

test('a dual-stack pod listing the secondary family first is warned about at its podIPs', async () => {
  const r = await analyzeJson(fixture('pod-ip-order'));
  const file = `${fixture('pod-ip-order')}/pods.yaml`;
  assert.deepEqual(r.findings.map((f) => [f.code, f.object, f.file, f.line, f.field]), [
    ['pod-ip-order', 'Pod/app/flipped', file, lineOf(file, 'podIPs:', 2), 'status.podIPs'],
  ]);
  assert.match(r.findings[0]?.message ?? '', /IPv6 first but the cluster's primary family is IPv4/);
});

test('a service with VIPs of one family is summarised once with every single-family proxy of the other', async () => {
  const r = await analyzeJson(fixture('no-vip-for-family'));
  const file = `${fixture('no-vip-for-family')}/mesh.yaml`;
  assert.deepEqual(r.findings.map((f) => [f.code, f.object, f.file, f.line, f.field]), [
    ['no-vip-for-family', 'Service/app/metrics', file, lineOf(file, 'clusterIPs:'), 'spec.clusterIPs'],
  ]);
  const message = r.findings[0]?.message ?? '';
  assert.match(message, /no VIP for 2 IPv4-only proxies \(app\/client-a, app\/client-b\)/);
  assert.doesNotMatch(message, /client-dual/);
  assert.equal(r.summary.proxies, 3);
});

test('the reachability summary only counts the proxies that were checked', async () => {
  const r = await analyzeJson(fixture('no-vip-for-family'), ['--pod', 'app/client-b', '--pod', 'app/client-dual']);
  assert.match(withCode(r.findings, 'no-vip-for-family')[0]?.message ?? '', /no VIP for 1 IPv4-only proxy \(app\/client-b\)/);
  assert.equal(r.summary.proxies, 2);
});

test('a ServiceEntry with explicit addresses of one family on a dual-stack cluster is warned about', async () => {
  const r = await analyzeJson(fixture('one-family-addresses'));
  const file = `${fixture('one-family-addresses')}/entries.yaml`;
  assert.deepEqual(r.findings.map((f) => [f.code, f.object, f.file, f.line, f.field]), [
    ['one-family-addresses', 'ServiceEntry/app/partner', file, lineOf(file, 'addresses:'), 'spec.addresses'],
  ]);
  assert.match(r.findings[0]?.message ?? '', /IPv4 only on a dual-stack cluster/);
});

test('model inconsistencies are errors at the field that is wrong', async () => {
  const r = await analyzeJson(fixture('model'));
  const services = `${fixture('model')}/services.yaml`;
  const endpoints = `${fixture('model')}/endpoints.yaml`;
  const at = (f: { severity: string; file?: string; line?: number; object?: string; field?: string }): string =>
    `${f.severity} ${f.file}:${f.line} ${f.object} ${f.field}`;
  const got = r.findings.map(at);
  assert.ok(got.includes(`error ${services}:${lineOf(services, 'clusterIPs:', 2)} Service/app/second spec.clusterIPs`), got.join('\n'));
  assert.ok(got.includes(`error ${services}:${lineOf(services, 'clusterIPs:', 3)} Service/app/mixed spec.clusterIPs[0]`));
  assert.ok(got.includes(`error ${services}:${lineOf(services, 'clusterIPs:', 3)} Service/app/mixed spec.clusterIPs[1]`));
  assert.ok(got.includes(`warning ${endpoints}:${lineOf(endpoints, '10.244.1.81')} EndpointSlice/app/first-b endpoints[0]`));
  assert.ok(got.includes(`warning ${endpoints}:${lineOf(endpoints, 'name: ghost')} EndpointSlice/app/first-b endpoints[1].targetRef`));
  assert.match(r.findings.find((f) => f.object === 'Service/app/second')?.message ?? '', /VIP 10\.96\.5\.10 is also used by first/);
  assert.equal(r.summary.errors, 3);
  assert.equal(r.code, 1);
});

test('a host claimed twice is one model error, and every proxy still gets valid xDS for the first claim', async () => {
  const r = await analyzeJson(fixture('xds'));
  const file = `${fixture('xds')}/mesh.yaml`;
  const model = withCode(r.findings, 'model');
  assert.ok(model.some((f) => f.file === file && /dup\.example/.test(f.message)), JSON.stringify(model));
  assert.deepEqual(withCode(r.findings, 'xds'), []);
  // The pod without injection and the pod without IPs have no proxy to check.
  assert.equal(r.summary.proxies, 2);
  assert.ok(!r.findings.some((f) => f.object === 'Pod/app/no-mesh' || f.object === 'Pod/app/pending'));
});

test('a validator problem becomes an error naming the client, the resource path and the rule', () => {
  const typeUrl = TypeUrl.Cluster;
  const problem = { typeUrl, resource: 'outbound|80||a', path: 'name', rule: 'resource.unique_name', message: 'defined twice' };
  assert.deepEqual(xdsFinding(problem, 'envoy'), {
    severity: 'error', code: 'xds', field: 'Cluster[outbound|80||a].name', message: 'Envoy: defined twice (resource.unique_name)',
  });
  assert.equal(xdsFinding({ ...problem, path: '' }, 'grpc').field, 'Cluster[outbound|80||a]');
  assert.match(xdsFinding(problem, 'grpc').message, /^gRPC: /);
});

test('naming pods checks only those, and reports unknown and IP-less ones', async () => {
  const r = await analyzeJson(fixture('xds'), ['--pod', 'app/pending', '--pod', 'app/nope', '--pod', 'app/grpc-app']);
  assert.equal(r.summary.proxies, 1);
  assert.deepEqual(withCode(r.findings, 'pod-not-found').map((f) => [f.severity, f.object]), [['error', 'Pod/app/nope']]);
  const pending = r.findings.find((f) => f.object === 'Pod/app/pending');
  assert.equal(pending?.severity, 'warning');
  assert.equal(pending?.field, 'status.podIPs');
  assert.ok(!r.findings.some((f) => f.object === 'Pod/app/sidecar'));
});
