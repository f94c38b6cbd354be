// Hostile and careless xDS clients against the whole server: a client claiming another's node id, unbounded inputs,
// a client naming thousands of server listeners. Each one's cost and effect stay its own.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { startServer } from '../../src/server/pipeline.ts';
import type { ServerHandle, ServerOptions } from '../../src/server/pipeline.ts';
import { FileSource } from '../../src/sources/files/index.ts';
import { TypeUrl } from '../../src/xds/index.ts';
import { Manifests, poll } from '../e2e/harness.ts';
import { openDelta, openSotw, sotwNames } from '../xds/raw-client.ts';
import type { DeltaResponse, RawStream, SotwResponse } from '../xds/raw-client.ts';

const SIDECAR_ID = 'sidecar~10.244.0.5~client.e2e~e2e.svc.cluster.local';

function node(id: string, metadata: Record<string, string>): object {
  return { id, metadata: { fields: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, { stringValue: v }])) } };
}

const SIDECAR = node(SIDECAR_ID, { NAMESPACE: 'e2e', INSTANCE_IPS: '10.244.0.5' });

interface Setup {
  readonly manifests: Manifests;
  readonly server: ServerHandle;
  readonly logs: string[];
  sotw(): RawStream<SotwResponse>;
  delta(): RawStream<DeltaResponse>;
}

/** A server on a temp manifest folder with one pod; everything it opened is closed after the test. */
async function setup(t: TestContext, extra: Partial<ServerOptions> = {}): Promise<Setup> {
  const manifests = await Manifests.create();
  await manifests.writePod('who-0', ['10.244.0.10', 'fd00:10:244::10'], 8080);
  const logs: string[] = [];
  const server = await startServer({
    source: new FileSource({ path: manifests.dir, debounceMs: 10 }),
    xdsAddresses: ['127.0.0.1:0'],
    adminAddress: false,
    debounceMs: 20,
    debounceMaxMs: 200,
    log: (line) => void logs.push(line),
    ...extra,
  });
  const streams: { close(): void }[] = [];
  t.after(async () => {
    for (const s of streams) s.close();
    await server.stop();
    await manifests.remove();
  });
  const track = <S extends { close(): void }>(s: S): S => (streams.push(s), s);
  const address = server.xdsAddresses[0] as string;
  return { manifests, server, logs, sotw: () => track(openSotw(address)), delta: () => track(openDelta(address)) };
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
