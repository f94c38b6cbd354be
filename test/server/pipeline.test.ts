// The pipeline in-process: file edits flow through debounce, model, translation and validation to ADS streams; a
// change that leaves a proxy's resources alone sends it nothing, delta streams get only what changed, bad manifests
// never erase good state, and alike proxies share encoded resources.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { ServerHandle } from '../../src/server/pipeline.ts';
import { TypeUrl } from '../../src/xds/index.ts';
import { getText, poll } from '../e2e/harness.ts';
import { serveFolder, type ServedFolder } from './served-folder.ts';
import { deltaNames, sotwNames } from '../xds/raw-client.ts';

const CLUSTER = 'outbound|7070||who.e2e.svc.cluster.local';

function sidecar(name: string, ip: string): object {
  return {
    id: `sidecar~${ip}~${name}.e2e~e2e.svc.cluster.local`,
    metadata: { fields: { NAMESPACE: { stringValue: 'e2e' }, INSTANCE_IPS: { stringValue: ip } } },
  };
}

/** A server on a temp manifest folder with one pod; everything it opened is closed after the test. */
const setup = (t: TestContext): Promise<ServedFolder> => serveFolder(t);

/** Waits until the server has built `after` models (bounded), then until the rebuild settled. */
async function builtPast(server: ServerHandle, before: number): Promise<void> {
  await poll(() => (server.stats().builds > before ? true : undefined), 'a model rebuild');
  await server.settled();
}

test('a change that leaves a proxy’s resources identical sends it nothing; a real change sends only that type', { timeout: 30_000 }, async (t) => {
  const { manifests, server, sotw } = await setup(t);
  const s = sotw();
  s.send({ node: sidecar('client', '10.244.0.5'), type_url: TypeUrl.Cluster });
  const cds = await s.next();
  assert.ok(sotwNames(cds).includes(CLUSTER));
  s.send({ type_url: TypeUrl.Cluster, version_info: cds.version_info, response_nonce: cds.nonce });
  s.send({ type_url: TypeUrl.ClusterLoadAssignment, resource_names: [CLUSTER] });
  const eds = await s.next();
  s.send({ type_url: TypeUrl.ClusterLoadAssignment, version_info: eds.version_info, response_nonce: eds.nonce, resource_names: [CLUSTER] });

  let builds = server.stats().builds;
  await writeFile(path.join(manifests.dir, 'other.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: { name: unrelated }\n');
  await builtPast(server, builds);
  assert.equal(await s.maybeNext(300), undefined, 'nothing is pushed for an unrelated change');

  builds = server.stats().builds;
  await manifests.writePod('who-1', ['10.244.0.11', 'fd00:10:244::11'], 8080);
  await builtPast(server, builds);
  const pushed = await s.next();
  assert.equal(pushed.type_url, TypeUrl.ClusterLoadAssignment, 'a new endpoint changes EDS only');
  assert.equal(await s.maybeNext(300), undefined);
});

test('a delta stream gets only the resources that changed', { timeout: 30_000 }, async (t) => {
  const { manifests, server, delta } = await setup(t);
  const d = delta();
  d.send({ node: sidecar('client', '10.244.0.5'), type_url: TypeUrl.Cluster });
  const first = await d.next();
  assert.ok(deltaNames(first).length > 1);
  d.send({ type_url: TypeUrl.Cluster, response_nonce: first.nonce });
  const builds = server.stats().builds;
  // A second service port: one new cluster, the others untouched.
  const svc = await readFile(path.join(manifests.dir, 'service.yaml'), 'utf8');
  await writeFile(
    path.join(manifests.dir, 'service.yaml'),
    svc.replace('"protocol": "TCP"\n   }', '"protocol": "TCP"\n   },\n   { "name": "http-admin", "port": 9901, "targetPort": 9901, "protocol": "TCP" }'),
  );
  await builtPast(server, builds);
  const changed = await d.next();
  assert.deepEqual(deltaNames(changed), ['outbound|9901||who.e2e.svc.cluster.local']);
  assert.deepEqual(changed.removed_resources, []);
});

test('a broken manifest is reported and the last good state keeps serving', { timeout: 30_000 }, async (t) => {
  const { manifests, server } = await setup(t);
  const admin = server.adminAddress as string;
  assert.equal((await getText(admin, '/ready')).status, 200);
  const before = JSON.parse((await getText(admin, '/debug/registryz')).body) as { services: { hostname: string }[] };
  assert.deepEqual(before.services.map((s) => s.hostname), ['who.e2e.svc.cluster.local']);
  // Parses, but the Service has an invalid cluster IP: the source reports it and keeps the last good Service.
  const svc = await readFile(path.join(manifests.dir, 'service.yaml'), 'utf8');
  await writeFile(path.join(manifests.dir, 'service.yaml'), svc.replace('"fd00:10:96::a"', '"not-an-ip"'));
  const problems = await poll(async () => {
    const body = JSON.parse((await getText(admin, '/debug/problems')).body) as { source: { origin: { file?: string } }[] };
    return body.source.some((p) => p.origin.file?.endsWith('service.yaml')) ? body : undefined;
  }, 'the broken file in /debug/problems');
  assert.ok(problems.source.length > 0);
  await server.settled();
  const after = JSON.parse((await getText(admin, '/debug/registryz')).body) as { services: { hostname: string }[] };
  assert.deepEqual(after.services.map((s) => s.hostname), ['who.e2e.svc.cluster.local'], 'the service is still served');
});

test('proxies that read the same share every encoded resource', { timeout: 30_000 }, async (t) => {
  const { server, sotw } = await setup(t);
  const nodes = [sidecar('a', '10.244.0.5'), sidecar('b', '10.244.0.6')] as { id: string }[];
  for (const node of nodes) {
    const s = sotw();
    s.send({ node, type_url: TypeUrl.Cluster });
    await s.next();
  }
  // Snapshots are keyed by node id plus node digest (see proxyKey); each stream knows its key.
  const [a, b] = nodes.map((n) => server.xds.cache.getSnapshot(server.xds.streamsOfNode(n.id)[0]?.snapshotKey ?? ''));
  assert.ok(a && b);
  const clusterA = a.types.get(TypeUrl.Cluster)?.resources.get(CLUSTER);
  assert.ok(clusterA);
  assert.equal(b.types.get(TypeUrl.Cluster)?.resources.get(CLUSTER), clusterA, 'one encoded copy of the outbound cluster');
  assert.equal(b.types.get(TypeUrl.ClusterLoadAssignment), a.types.get(TypeUrl.ClusterLoadAssignment), 'one shared EDS set');
  // The second proxy's shared resources were validated once, for the first: no more validations than distinct
  // encoded resources, fewer than the two snapshots hold together.
  const { validation } = server.stats();
  const held = [a, b].flatMap((s) => [...s.types.values()].flatMap((type) => [...type.resources.values()]));
  assert.ok(validation.misses > 0 && validation.misses <= new Set(held).size && validation.misses < held.length, JSON.stringify(validation));
  const sz = JSON.parse((await getText(server.adminAddress as string, '/debug/syncz')).body) as { proxies: { nodeId: string }[] };
  assert.deepEqual(sz.proxies.map((p) => p.nodeId).sort(), nodes.map((n) => n.id).sort());
});
