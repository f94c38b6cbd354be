// Hostile and careless xDS clients against the whole server: a client claiming another's node id, unbounded inputs,
// a client naming thousands of server listeners. Each one's cost and effect stay its own.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { ServerOptions } from '../../src/server/pipeline.ts';
import { TypeUrl } from '../../src/xds/index.ts';
import { poll } from '../e2e/harness.ts';
import { serveFolder, type ServedFolder } from './served-folder.ts';
import { sotwNames } from '../xds/raw-client.ts';

const SIDECAR_ID = 'sidecar~10.244.0.5~client.e2e~e2e.svc.cluster.local';

function node(id: string, metadata: Record<string, string>): object {
  return { id, metadata: { fields: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, { stringValue: v }])) } };
}

const SIDECAR = node(SIDECAR_ID, { NAMESPACE: 'e2e', INSTANCE_IPS: '10.244.0.5' });

/** A server on a temp manifest folder with one pod, its log lines kept; everything is closed after the test. */
type Setup = ServedFolder & { readonly logs: string[] };

async function setup(t: TestContext, extra: Partial<ServerOptions> = {}): Promise<Setup> {
  const logs: string[] = [];
  const served = await serveFolder(t, { server: { adminAddress: false, log: (line) => void logs.push(line), ...extra } });
  return { ...served, logs };
}

/** Adds a second port to the `who` service and waits until the server rebuilt. */
async function addServicePort(s: Setup): Promise<void> {
  const builds = s.server.stats().builds;
  const file = path.join(s.manifests.dir, 'service.yaml');
  const svc = await readFile(file, 'utf8');
  await writeFile(file, svc.replace('"protocol": "TCP"\n   }', '"protocol": "TCP"\n   },\n   { "name": "http-admin", "port": 9901, "targetPort": 9901, "protocol": "TCP" }'));
  await poll(() => (s.server.stats().builds > builds ? true : undefined), 'a model rebuild');
  await s.server.settled();
}

test('a stream claiming a sidecar’s node id as a gRPC client never changes the sidecar’s configuration, also after it leaves', { timeout: 30_000 }, async (t) => {
  const s = await setup(t);
  const sidecar = s.sotw();
  sidecar.send({ node: SIDECAR, type_url: TypeUrl.Cluster });
  const cds = await sidecar.next();
  const clusters = sotwNames(cds);
  assert.ok(clusters.includes('PassthroughCluster'), `sidecar clusters: ${clusters.join(', ')}`);
  sidecar.send({ type_url: TypeUrl.Cluster, version_info: cds.version_info, response_nonce: cds.nonce });

  const impostor = s.sotw();
  impostor.send({ node: node(SIDECAR_ID, { NAMESPACE: 'e2e', INSTANCE_IPS: '10.244.0.5', GENERATOR: 'grpc' }), type_url: TypeUrl.Cluster });
  const theirs = sotwNames(await impostor.next());
  assert.ok(!theirs.includes('PassthroughCluster'), 'the impostor gets proxyless config built from its own node');
  assert.equal(await sidecar.maybeNext(400), undefined, 'nothing is pushed to the sidecar while the impostor connects');
  assert.equal(s.server.stats().proxies, 2, 'two proxies with one node id');

  impostor.close();
  await poll(() => (s.server.stats().proxies === 1 ? true : undefined), 'the impostor gone');
  await addServicePort(s);
  const next = await sidecar.next();
  assert.equal(next.type_url, TypeUrl.Cluster);
  assert.deepEqual(sotwNames(next), [...clusters, 'outbound|9901||who.e2e.svc.cluster.local'].sort(), 'still the sidecar’s clusters, plus the new port');
});

test('a client reconnecting in a loop logs at most its budget, and another client’s lines still appear', { timeout: 30_000 }, async (t) => {
  const s = await setup(t, { logLimits: { perKey: 5, windowMs: 600_000 } });
  for (let i = 0; i < 10; i++) {
    const loop = s.sotw();
    loop.send({ node: node('looper', { NAMESPACE: 'e2e', INSTANCE_IPS: '10.244.0.7' }), type_url: TypeUrl.Cluster });
    await loop.next();
    loop.close();
    await poll(() => (s.server.xds.streamsOfNode('looper').length === 0 ? true : undefined), 'the looper gone');
  }
  const other = s.sotw();
  other.send({ node: SIDECAR, type_url: TypeUrl.Cluster });
  await other.next();
  const about = (id: string): string[] => s.logs.filter((l) => l.includes(id));
  assert.equal(about('looper').length, 5, about('looper').join('\n'));
  assert.ok(about(SIDECAR_ID).some((l) => l.startsWith(`connect ${SIDECAR_ID}`)));
});

test('streams naming made-up type URLs add no metric series beyond type="other"', { timeout: 30_000 }, async (t) => {
  const s = await setup(t);
  const c = s.sotw();
  c.send({ node: SIDECAR, type_url: TypeUrl.Cluster });
  await c.next();
  for (let i = 0; i < 20; i++) c.send({ type_url: `type.googleapis.com/made.up.Type${i}`, resource_names: ['x'] });
  c.send({ type_url: TypeUrl.Listener });
  const seen: string[] = [];
  for (let i = 0; i < 21 && !seen.includes(TypeUrl.Listener); i++) seen.push((await c.next()).type_url);
  assert.equal(seen.length, 21, 'every made-up type was answered (with nothing), then LDS');
  const text = s.server.metrics.render();
  const types = new Set([...text.matchAll(/type="([^"]*)"/g)].map((m) => m[1]));
  assert.ok(!text.includes('made.up'), 'no series names a made-up type');
  assert.ok([...types].every((x) => ['cds', 'eds', 'lds', 'rds', 'other'].includes(x ?? '')), [...types].join(', '));
});

const GRPC_POD = node('grpc-app', { NAMESPACE: 'e2e', INSTANCE_IPS: '10.244.0.9', GENERATOR: 'grpc' });
const serverName = (port: number): string => `grpc/server?xds.resource.listening_address=0.0.0.0:${port}`;

test('a proxyless client naming 5,000 server listeners is refused with RESOURCE_EXHAUSTED; others keep getting their pushes', { timeout: 30_000 }, async (t) => {
  const s = await setup(t);
  const sidecar = s.sotw();
  sidecar.send({ node: SIDECAR, type_url: TypeUrl.Cluster });
  const cds = await sidecar.next();
  sidecar.send({ type_url: TypeUrl.Cluster, version_info: cds.version_info, response_nonce: cds.nonce });

  const server = s.sotw();
  server.send({ node: GRPC_POD, type_url: TypeUrl.Listener, resource_names: [50051, 50052, 8080].map(serverName) });
  assert.deepEqual(sotwNames(await server.next()), [50051, 50052, 8080].map(serverName).sort(), 'a few server listeners are built on demand');

  const hog = s.sotw();
  hog.send({ node: node('hog', { NAMESPACE: 'e2e', INSTANCE_IPS: '10.244.0.8', GENERATOR: 'grpc' }), type_url: TypeUrl.Listener, resource_names: Array.from({ length: 5000 }, (_, i) => serverName(10_000 + i)) });
  const status = await hog.status(10_000);
  assert.equal(status.code, 8, `RESOURCE_EXHAUSTED, got ${status.code} ${status.details}`);
  assert.match(status.details, /5000 server listeners .* more than the limit of 256/);

  await addServicePort(s);
  const pushed = await sidecar.next();
  assert.ok(sotwNames(pushed).includes('outbound|9901||who.e2e.svc.cluster.local'), 'the sidecar’s push arrives');
  assert.equal(s.server.stats().proxies, 2, 'the hog left nothing behind');
});
