// `serve` acts on the model's validation as `analyze` reports it: a service with a model error is not served, the
// error shows in /debug/problems and the log, and every other service keeps serving.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TypeUrl } from '../../src/xds/index.ts';
import { getText } from '../e2e/harness.ts';
import { sotwNames } from '../xds/raw-client.ts';
import { serveFolder } from './served-folder.ts';

/** A Service in the e2e namespace with the given VIPs and families, on one TCP port. */
function service(name: string, clusterIPs: readonly string[], ipFamilies: readonly string[], port: number): string {
  const spec = { clusterIP: clusterIPs[0], clusterIPs, ipFamilies, ipFamilyPolicy: ipFamilies.length > 1 ? 'PreferDualStack' : 'SingleStack', ports: [{ port, protocol: 'TCP' }] };
  return JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'e2e' }, spec });
}

const NODE = {
  id: 'sidecar~10.244.0.5~client.e2e~e2e.svc.cluster.local',
  metadata: { fields: { NAMESPACE: { stringValue: 'e2e' }, INSTANCE_IPS: { stringValue: '10.244.0.5,fd00:10:244::5' } } },
};

test('services with a model error are not served, are reported, and the rest keeps serving', { timeout: 30_000 }, async (t) => {
  const docs = [
    service('fam', ['10.96.8.1'], ['IPv6'], 80), // VIP family contradicts ipFamilies
    service('two', ['10.96.8.2', '10.96.8.3'], ['IPv4', 'IPv6'], 80), // two IPv4 VIPs
    service('zz-thief', ['10.96.0.10'], ['IPv4'], 81), // the who service's VIP: only the whole model shows it
    service('fine', ['10.96.8.9'], ['IPv4'], 80),
  ];
  const lines: string[] = [];
  const served = await serveFolder(t, { files: { 'bad.yaml': `${docs.join('\n---\n')}\n` }, server: { log: (line) => lines.push(line) } });
  const { server } = served;
  const stream = served.sotw();
  stream.send({ node: NODE, type_url: TypeUrl.Listener });
  const names = sotwNames(await stream.next());
  assert.ok(names.includes('0.0.0.0_7070'), `the good (gRPC) service is served: ${names.join(' ')}`);
  assert.ok(names.includes('10.96.8.9_80'), `an unrelated good service is served: ${names.join(' ')}`);
  for (const bad of ['10.96.8.1_80', '10.96.8.2_80', '10.96.8.3_80', '10.96.0.10_81']) {
    assert.ok(!names.includes(bad), `${bad} is not served: ${names.join(' ')}`);
  }

  const body = JSON.parse((await getText(server.adminAddress as string, '/debug/problems')).body) as {
    source: { severity: string; origin: { object?: string } }[];
    model: { severity: string; message: string; origin: { object?: string } }[];
  };
  const reported = new Set([...body.source, ...body.model].filter((p) => p.severity === 'error').map((p) => p.origin.object));
  for (const name of ['fam', 'two', 'zz-thief']) assert.ok(reported.has(`Service/e2e/${name}`), `${name} is reported: ${[...reported].join(', ')}`);
  const thief = body.model.find((p) => p.origin.object === 'Service/e2e/zz-thief');
  assert.match(thief?.message ?? '', /VIP 10\.96\.0\.10 is also used by who\.e2e\.svc\.cluster\.local/);
  assert.ok(lines.some((l) => l.includes('zz-thief') && l.includes('not served')), `the log names it: ${lines.join('\n')}`);
  assert.equal(body.model.filter((p) => p.origin.object === 'Service/e2e/fine').length, 0, 'the good service has no problem');
});

test('a Service with a 1 MiB name is refused where it is read; streams keep working and the report stays short', { timeout: 30_000 }, async (t) => {
  const huge = `s${'a'.repeat(1024 * 1024)}`;
  const files = { 'huge.yaml': `${[service(huge, ['10.96.8.7'], ['IPv4'], 80), service('fine', ['10.96.8.9'], ['IPv4'], 80)].join('\n---\n')}\n` };
  const served = await serveFolder(t, { podIps: false, files });
  const { server } = served;
  const stream = served.sotw();
  stream.send({ node: NODE, type_url: TypeUrl.Listener });
  const response = await stream.next();
  const names = sotwNames(response);
  assert.ok(names.includes('10.96.8.9_80') && !names.includes('10.96.8.7_80'), names.join(' '));
  const page = (await getText(server.adminAddress as string, '/debug/problems')).body;
  assert.ok(page.length < 20_000, `the problems page stays small: ${page.length} characters`);
  const body = JSON.parse(page) as { source: { severity: string; message: string; origin: { file?: string } }[] };
  const found = body.source.find((p) => p.origin.file?.endsWith('huge.yaml') && p.severity === 'error');
  assert.match(found?.message ?? '', /metadata\.name: must be at most 63 characters, got 1048577/);
});
