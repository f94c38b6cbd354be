// `biplane serve` with its security flags, as a process: TLS xDS beside loopback plaintext, tokens reviewed by the
// watched cluster's TokenReview API (a pod's own account gets its config, another account's token is refused), and
// with --manifests, where there is no cluster, tokens refused with the reason while certificates still work.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { TypeUrl } from '../../src/xds/index.ts';
import { TestCa, type Issued } from '../support/pki.ts';
import { adsClientWith, RawStream, sotwNames, type SotwResponse } from '../xds/raw-client.ts';
import { CLUSTER, KubeCluster, NS, POD_A, ServeProcess } from './kube-harness.ts';

/** The node of pod echo-a (a pod the cluster knows, service account `default`). */
const NODE_A = {
  id: `sidecar~${POD_A.ips[0]}~${POD_A.name}.${NS}~${NS}.svc.cluster.local`,
  metadata: { fields: { NAMESPACE: { stringValue: NS }, INSTANCE_IPS: { stringValue: POD_A.ips.join(',') } } },
};

interface Tls {
  readonly ca: TestCa;
  readonly files: string[];
  readonly client: Issued;
}

/** A CA, the server's files under `dir` (as serve flags), and a workload certificate for e2e/default. */
async function tlsFiles(dir: string): Promise<Tls> {
  const ca = await TestCa.create();
  const server = await ca.server();
  await writeFile(path.join(dir, 'tls.crt'), server.certPem);
  await writeFile(path.join(dir, 'tls.key'), server.keyPem);
  await writeFile(path.join(dir, 'ca.crt'), ca.certPem);
  const files = ['--tls-cert', path.join(dir, 'tls.crt'), '--tls-key', path.join(dir, 'tls.key'), '--client-ca', path.join(dir, 'ca.crt')];
  return { ca, files, client: await ca.workload(NS, 'default') };
}

/** A SotW stream to `address` as a certificate holder or a token bearer, asking for clusters as `NODE_A`. */
async function ask(t: TestContext, address: string, tls: Tls, as: { cert?: Issued; token?: string }): Promise<SotwResponse | grpc.StatusObject> {
  const creds = grpc.credentials.createSsl(Buffer.from(tls.ca.certPem), as.cert ? Buffer.from(as.cert.keyPem) : null, as.cert ? Buffer.from(as.cert.certPem) : null);
  const client = adsClientWith(address, creds);
  const md = new grpc.Metadata();
  if (as.token) md.set('authorization', `Bearer ${as.token}`);
  const s = new RawStream(client, client.StreamAggregatedResources(md));
  t.after(() => s.close());
  s.send({ node: NODE_A, type_url: TypeUrl.Cluster });
  try {
    return await s.next(15_000);
  } catch {
    return s.status();
  }
}

const isResponse = (r: SotwResponse | grpc.StatusObject): r is SotwResponse => 'resources' in r;

test('serve --kubeconfig with TLS: the pod’s own ServiceAccount token gets its config, another account’s is PERMISSION_DENIED', { timeout: 90_000 }, async (t) => {
  const cluster = await KubeCluster.start();
  t.after(() => cluster.close());
  cluster.fake.tokens.register('default-token', { namespace: NS, serviceAccount: 'default' });
  cluster.fake.tokens.register('other-token', { namespace: NS, serviceAccount: 'other' });
  const tls = await tlsFiles(cluster.dir);
  const serve = ServeProcess.start([
    '--kubeconfig', cluster.kubeconfig, ...tls.files,
    '--tls-address', '127.0.0.1:0', '--tls-address', '[::1]:0', '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0',
  ]);
  t.after(() => serve.kill());
  const listening = await serve.listening;
  assert.equal(listening.xds.length, 1);
  assert.equal(listening.xdsTls.length, 2);
  const [v4, v6] = listening.xdsTls as [string, string];
  const own = await ask(t, v6, tls, { token: 'default-token' });
  assert.ok(isResponse(own) && sotwNames(own).includes(CLUSTER), `own token: ${JSON.stringify(own)}\n${serve.stderr}`);
  const other = await ask(t, v4, tls, { token: 'other-token' });
  assert.ok(!isResponse(other));
  assert.equal(other.code, grpc.status.PERMISSION_DENIED);
  assert.match(other.details, /pod e2e\/echo-a runs as service account default/);
  assert.match(serve.stderr, /refused: spiffe:\/\/cluster\.local\/ns\/e2e\/sa\/other/);
});

test('serve --manifests with TLS: certificates authenticate, tokens are refused because there is no cluster to review them', { timeout: 90_000 }, async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'biplane-serve-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tls = await tlsFiles(dir);
  const serve = ServeProcess.start(['--manifests', 'examples/demo', ...tls.files, '--tls-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--xds-address', '127.0.0.1:0']);
  t.after(() => serve.kill());
  const listening = await serve.listening;
  const address = listening.xdsTls[0] as string;
  const byCert = await ask(t, address, tls, { cert: tls.client });
  assert.ok(isResponse(byCert), `certificate: ${JSON.stringify(byCert)}`);
  const byToken = await ask(t, address, tls, { token: 'anything' });
  assert.ok(!isResponse(byToken));
  assert.equal(byToken.code, grpc.status.UNAUTHENTICATED);
  assert.match(byToken.details, /no cluster to review tokens .*--token-review-kubeconfig/);
});

test('serve refuses to start with an admin address off loopback and no token, saying why', { timeout: 30_000 }, async (t) => {
  const serve = ServeProcess.start(['--manifests', 'examples/demo', '--admin-address', '[::]:0', '--xds-address', '127.0.0.1:0']);
  t.after(() => serve.kill());
  assert.equal(await serve.exited(20_000), 2);
  assert.match(serve.stderr, /--admin-address \[::\]:0 is not loopback: its pages reveal the mesh, so give --admin-token FILE too/);
});
