// The last line against oversized input: a service whose resources make a resource or a response too big for the
// client is left out of that proxy's configuration and reported; everything else is still served.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { ServerOptions } from '../../src/server/pipeline.ts';
import { heaviestHost, oversize } from '../../src/server/size-guard.ts';
import { TypeUrl, makeResource, makeSnapshot } from '../../src/xds/index.ts';
import { getText } from '../e2e/harness.ts';
import { sotwNames } from '../xds/raw-client.ts';
import { serveFolder } from './served-folder.ts';

const NODE = {
  id: 'sidecar~10.244.0.5~client.e2e~e2e.svc.cluster.local',
  metadata: { fields: { NAMESPACE: { stringValue: 'e2e' }, INSTANCE_IPS: { stringValue: '10.244.0.5' } } },
};
const WHO = 'outbound|7070||who.e2e.svc.cluster.local';

function service(name: string, ip: string, ports: readonly number[]): object {
  const spec = { clusterIP: ip, clusterIPs: [ip], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports: ports.map((port) => ({ name: `tcp-${port}`, port, protocol: 'TCP' })) };
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'e2e' }, spec };
}

/** An IPv4 slice of `svc` with `count` ready endpoints on port 80. */
function slice(svc: string, count: number): object {
  const endpoints = Array.from({ length: count }, (_, i) => ({ addresses: [`10.245.${i >> 8}.${i & 255}`], conditions: { ready: true } }));
  const metadata = { name: `${svc}-v4`, namespace: 'e2e', labels: { 'kubernetes.io/service-name': svc } };
  return { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata, addressType: 'IPv4', ports: [{ name: 'tcp-80', port: 80, protocol: 'TCP' }], endpoints };
}

/** A server on the e2e manifests plus `docs`, with `limits`: the sidecar's CDS and LDS names, problems, log, addresses. */
async function serve(t: TestContext, docs: readonly object[], limits: NonNullable<ServerOptions['sizeLimits']>) {
  const lines: string[] = [];
  const files = { 'extra.yaml': `${docs.map((d) => JSON.stringify(d)).join('\n---\n')}\n` };
  const served = await serveFolder(t, { podIps: ['10.244.0.10'], files, server: { log: (line) => lines.push(line), sizeLimits: limits } });
  const { server } = served;
  const stream = served.sotw();
  stream.send({ node: NODE, type_url: TypeUrl.Cluster });
  const clusters = sotwNames(await stream.next());
  stream.send({ type_url: TypeUrl.Listener });
  const listeners = sotwNames(await stream.next());
  const problems = JSON.parse((await getText(server.adminAddress as string, '/debug/problems')).body) as { proxies: { nodeId: string; rejected: boolean; problems: { message: string; origin: { file?: string } }[] }[] };
  return { clusters, listeners, problems: problems.proxies, lines, sotw: served.sotw, admin: server.adminAddress as string };
}

test('a service whose load assignment is over the resource limit is left out for that proxy and reported', { timeout: 30_000 }, async (t) => {
  const big = 'outbound|80||big.e2e.svc.cluster.local';
  const { clusters, listeners, problems, lines } = await serve(t, [service('big', '10.96.9.1', [80]), slice('big', 1000), service('small', '10.96.9.2', [80])], {
    envoy: { resourceBytes: 20_000 },
  });
  assert.ok(clusters.includes(WHO) && clusters.includes('outbound|80||small.e2e.svc.cluster.local'), `the rest is served: ${clusters.join(' ')}`);
  assert.ok(!clusters.includes(big), 'the oversized service’s cluster is not sent');
  assert.ok(listeners.includes('10.96.9.2_80') && !listeners.includes('10.96.9.1_80'), listeners.join(' '));
  const mine = problems.find((p) => p.nodeId === NODE.id);
  assert.equal(mine?.rejected, false, 'the proxy’s snapshot was published');
  const message = mine?.problems.map((p) => p.message).join('\n') ?? '';
  assert.match(message, /service big\.e2e\.svc\.cluster\.local is not sent to this proxy: the eds resource "outbound\|80\|\|big\.e2e\.svc\.cluster\.local" is \d+ bytes, over the 20000-byte limit for envoy clients/);
  assert.ok(mine?.problems.some((p) => p.origin.file?.endsWith('extra.yaml')), 'the problem names the file the service came from');
  assert.ok(lines.some((l) => l.includes(NODE.id) && l.includes('big.e2e.svc.cluster.local is not sent')), 'the log says so');
});

test('a service that makes a whole response too big is left out; the response then fits', { timeout: 30_000 }, async (t) => {
  const ports = Array.from({ length: 60 }, (_, i) => 9000 + i);
  const { clusters, listeners, problems } = await serve(t, [service('many', '10.96.9.3', ports), service('small', '10.96.9.2', [80])], {
    envoy: { responseBytes: 8_000 },
  });
  assert.ok(clusters.includes(WHO) && clusters.includes('outbound|80||small.e2e.svc.cluster.local'), clusters.join(' '));
  assert.ok(!clusters.some((c) => c.endsWith('|many.e2e.svc.cluster.local')), 'none of its clusters is sent');
  assert.ok(!listeners.some((l) => l.startsWith('10.96.9.3_')), 'none of its listeners is sent');
  const message = problems.find((p) => p.nodeId === NODE.id)?.problems.map((p) => p.message).join('\n') ?? '';
  assert.match(message, /service many\.e2e\.svc\.cluster\.local is not sent to this proxy: the (cds|lds) response is \d+ bytes, over the 8000-byte limit/);
});

test('sizes over a limit are found per resource and per type, and the heaviest service is the one named most', () => {
  const cluster = (name: string, pad: number) => makeResource(TypeUrl.Cluster, { name, alt_stat_name: 'x'.repeat(pad) });
  const snapshot = makeSnapshot([cluster('outbound|80||a', 10), cluster('outbound|80||b', 500)]);
  assert.deepEqual(oversize(snapshot, { resourceBytes: 400, responseBytes: 10_000 }).map((o) => o.name), ['outbound|80||b']);
  assert.deepEqual(oversize(snapshot, { resourceBytes: 10_000, responseBytes: 400 }).map((o) => [o.typeUrl, o.name]), [[TypeUrl.Cluster, undefined]]);
  const route = {
    name: '80',
    virtual_hosts: [
      { name: 'a:80', domains: ['a', 'a:80'], routes: [{ route: { cluster: 'outbound|80||a' } }] },
      { name: 'b:80', domains: ['b', 'b:80', 'x'.repeat(300)], routes: [{ route: { cluster: 'outbound|80||b' } }] },
    ],
  };
  assert.equal(heaviestHost([route], new Set(['a', 'b'])), 'b');
  assert.equal(heaviestHost([route], new Set(['c'])), undefined, 'nothing to blame when no known service is named');
});

test('limits are per client: a proxyless gRPC client loses the oversized service while a sidecar keeps it', { timeout: 30_000 }, async (t) => {
  const big = 'outbound|80||big.e2e.svc.cluster.local';
  const { clusters, sotw, admin } = await serve(t, [service('big', '10.96.9.1', [80]), slice('big', 1000)], { grpc: { resourceBytes: 20_000 } });
  assert.ok(clusters.includes(big), 'the sidecar, under the Envoy limit, gets it');
  const grpc = sotw();
  const node = { ...NODE, id: 'grpc-client', metadata: { fields: { ...NODE.metadata.fields, GENERATOR: { stringValue: 'grpc' } } } };
  grpc.send({ node, type_url: TypeUrl.Cluster, resource_names: [big, WHO] });
  const got = sotwNames(await grpc.next());
  assert.ok(!got.includes(big), `the proxyless client does not get it: ${got.join(' ')}`);
  const problems = JSON.parse((await getText(admin, '/debug/problems')).body) as { proxies: { nodeId: string; problems: { message: string }[] }[] };
  const message = problems.proxies.find((p) => p.nodeId === 'grpc-client')?.problems.map((p) => p.message).join('\n') ?? '';
  assert.match(message, /service big\.e2e\.svc\.cluster\.local is not sent to this proxy: .* over the 20000-byte limit for grpc clients/);
});
