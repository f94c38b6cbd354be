// `biplane serve --ca-dir` for real: the root is generated once and kept across restarts, root-cert.pem is published
// for pods, and CreateCertificate is served beside ADS (refusing callers until serve can authenticate them); with
// --ca-secret the root goes to a Secret of the cluster instead.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { readFlags } from '../../src/cli/serve.ts';
import { CREATE_CERTIFICATE_PATH, decodeCertificateResponse, encodeCertificateRequest } from '../../src/ca/messages.ts';
import { spiffeUri } from '../../src/trust/identity.ts';
import { FakeApiServer } from '../kube/fake-apiserver.ts';
import { ServeProcess } from '../support/serve.ts';
import { ALICE, makeCsr } from './helpers.ts';

const DEMO = new URL('../../examples/demo', import.meta.url).pathname;

async function serveWithCa(t: import('node:test').TestContext, dir: string): Promise<{ serve: ServeProcess; xds: string }> {
  const serve = ServeProcess.start(['--manifests', DEMO, '--ca-dir', dir, '--xds-address', '127.0.0.1:0', '--admin-address', 'none', '--quiet']);
  t.after(() => serve.kill());
  const listening = await serve.listening;
  return { serve, xds: listening.xds[0]! };
}

/** A plaintext CreateCertificate call: the status code it ends with. */
async function plaintextCall(target: string): Promise<grpc.status> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', 'Bearer some-token');
  const request = { csr: await makeCsr([spiffeUri(ALICE)]), validitySeconds: 0 };
  try {
    return await new Promise((resolve) => {
      client.makeUnaryRequest(CREATE_CERTIFICATE_PATH, encodeCertificateRequest, decodeCertificateResponse, request, metadata, { deadline: Date.now() + 10_000 }, (err) => resolve(err?.code ?? grpc.status.OK));
    });
  } finally {
    client.close();
  }
}

test('serve --ca-dir keeps one root across restarts, publishes root-cert.pem and serves CreateCertificate beside ADS', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'biplane-serve-ca-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await serveWithCa(t, dir);
  const root = await readFile(path.join(dir, 'root-cert.pem'), 'utf8');
  assert.equal(new X509Certificate(root).ca, true);
  assert.match(first.serve.stderr, /workload CA with a new root written to/);
  assert.equal(await plaintextCall(first.xds), grpc.status.UNAUTHENTICATED, 'the service answers, and signs nothing for an unauthenticated caller');
  await first.serve.kill();
  const second = await serveWithCa(t, dir);
  assert.match(second.serve.stderr, /workload CA with the root kept in/);
  assert.equal(await readFile(path.join(dir, 'root-cert.pem'), 'utf8'), root, 'the same root after a restart');
});

test('serve refuses contradictory CA flags with a usage error', async () => {
  for (const args of [['--ca-secret'], ['--ca-cert', 'c.pem'], ['--ca-dir', 'd', '--ca-secret'], ['--ca-dir', 'd', '--workload-cert-ttl', '100d']]) {
    const serve = ServeProcess.start(['--manifests', DEMO, '--admin-address', 'none', ...args]);
    assert.equal(await serve.exited(30_000), 2, args.join(' '));
    await serve.kill();
  }
});

test('serve --ca-secret against a cluster creates the CA Secret in the namespace it is given, once', async (t) => {
  const fake = await FakeApiServer.start();
  t.after(() => fake.close());
  const dir = await mkdtemp(path.join(tmpdir(), 'biplane-serve-ca-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfig, fake.kubeconfigYaml());
  const args = ['--kubeconfig', kubeconfig, '--ca-secret', '--ca-namespace', 'mesh-system', '--xds-address', '127.0.0.1:0', '--admin-address', 'none', '--quiet'];
  const serve = ServeProcess.start(args);
  t.after(() => serve.kill());
  await serve.listening;
  const secret = fake.secrets.get('mesh-system', 'biplane-ca') as { data: Record<string, string> } | undefined;
  assert.ok(secret, serve.stderr);
  const root = Buffer.from(secret.data['root-cert.pem']!, 'base64').toString();
  assert.equal(new X509Certificate(root).ca, true);
  await serve.kill();
  const again = ServeProcess.start(args);
  t.after(() => again.kill());
  await again.listening;
  assert.match(again.stderr, /the root kept in Secret mesh-system\/biplane-ca/);
  assert.deepEqual(fake.secrets.creates, ['mesh-system/biplane-ca']);
});

test('the root is published to the cluster serve watches, whatever holds it, and nowhere with manifests', () => {
  const published = (args: string[]) => {
    const flags = readFlags(args);
    assert.ok(typeof flags === 'object', String(flags));
    return flags.ca?.cluster;
  };
  assert.deepEqual(published(['--kubeconfig', 'kc.yaml', '--ca-dir', 'ca']), { kubeconfig: 'kc.yaml' });
  assert.deepEqual(published(['--in-cluster', '--ca-cert', 'c.pem', '--ca-key', 'k.pem']), { inCluster: true });
  assert.equal(published(['--manifests', DEMO, '--ca-dir', 'ca']), undefined);
  assert.equal(published(['--kubeconfig', 'kc.yaml']), undefined, 'no CA, nothing published');
});
