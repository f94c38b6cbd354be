// `biplane serve` with the workload CA for real: the root is generated once and kept across restarts (a folder, or a
// Secret of the cluster), root-cert.pem is published, and CreateCertificate answers on the TLS port beside ADS,
// callers authenticated as xDS callers are there — a certificate the CA issued, or (in a cluster) a ServiceAccount
// token checked by TokenReview, which is how `biplane agent` gets its first certificate.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { CertificateClient } from '../../src/agent/certificates.ts';
import { CertificateAuthority } from '../../src/ca/authority.ts';
import { generateKeyPair, privateKeyPem } from '../../src/ca/keys.ts';
import { materialFrom } from '../../src/ca/store.ts';
import { readFlags } from '../../src/cli/serve.ts';
import { spiffeUri } from '../../src/trust/identity.ts';
import type { WorkloadCertificate } from '../../src/trust/identity.ts';
import { FakeApiServer } from '../kube/fake-apiserver.ts';
import { TestCa } from '../support/pki.ts';
import { ServeProcess } from '../support/serve.ts';
import { ALICE, BOB, createCertificate, makeCsr } from './helpers.ts';

const DEMO = new URL('../../examples/demo', import.meta.url).pathname;

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'biplane-serve-ca-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The TLS port's serving certificate (another PKI than the workload CA's), written to `dir`: the flags and its root. */
async function tlsFiles(dir: string): Promise<{ flags: string[]; rootPem: string }> {
  const pki = await TestCa.create('biplane serving root');
  const serving = await pki.issue('biplane', [{ type: 'ip', value: '127.0.0.1' }, { type: 'ip', value: '::1' }]);
  await writeFile(path.join(dir, 'tls.crt'), serving.certPem);
  await writeFile(path.join(dir, 'tls.key'), serving.keyPem);
  const flags = ['--tls-cert', path.join(dir, 'tls.crt'), '--tls-key', path.join(dir, 'tls.key'), '--tls-address', '127.0.0.1:0', '--tls-address', '[::1]:0'];
  return { flags, rootPem: pki.certPem };
}

async function serve(t: TestContext, args: readonly string[]): Promise<{ proc: ServeProcess; tls: string[] }> {
  const proc = ServeProcess.start([...args, '--xds-address', '127.0.0.1:0', '--admin-address', 'none', '--quiet']);
  t.after(() => proc.kill());
  const listening = await proc.listening;
  return { proc, tls: listening.xdsTls };
}

test('serve --ca-dir keeps one root across restarts and renews, over the TLS port, only for the identity a caller\'s issued certificate proves', async (t) => {
  const dir = await tempDir(t);
  const ca = path.join(dir, 'ca');
  const tls = await tlsFiles(dir);
  const args = ['--manifests', DEMO, '--ca-dir', ca, ...tls.flags, '--client-ca', path.join(ca, 'root-cert.pem')];
  const first = await serve(t, args);
  const root = await readFile(path.join(ca, 'root-cert.pem'), 'utf8');
  assert.equal(new X509Certificate(root).ca, true);
  assert.match(first.proc.stderr, /workload CA with a new root written to/);
  // Alice's first certificate, as an earlier token-authenticated call would have given it.
  const material = materialFrom({ 'ca-cert.pem': await readFile(path.join(ca, 'ca-cert.pem'), 'utf8'), 'ca-key.pem': await readFile(path.join(ca, 'ca-key.pem'), 'utf8') });
  const keys = await generateKeyPair();
  const issued = await (await CertificateAuthority.load(material!)).sign(await makeCsr([spiffeUri(ALICE)], keys), ALICE, 3600);
  const alice = { keyPem: await privateKeyPem(keys.privateKey), chainPem: issued[0]! };
  for (const target of first.tls) {
    const renewed = await createCertificate(target, tls.rootPem, undefined, { csr: await makeCsr([spiffeUri(ALICE)]), validitySeconds: 0 }, alice);
    assert.ok('chain' in renewed, `${target}: ${JSON.stringify(renewed)}`);
    const leaf = new X509Certificate(renewed.chain[0]!);
    assert.ok(leaf.verify(new X509Certificate(root).publicKey) && leaf.subjectAltName === `URI:${spiffeUri(ALICE)}`);
    const other = await createCertificate(target, tls.rootPem, undefined, { csr: await makeCsr([spiffeUri(BOB)]), validitySeconds: 0 }, alice);
    assert.ok('code' in other && other.code === grpc.status.PERMISSION_DENIED, `${target}: ${JSON.stringify(other)}`);
    const nobody = await createCertificate(target, tls.rootPem, undefined, { csr: await makeCsr([spiffeUri(ALICE)]), validitySeconds: 0 });
    assert.ok('code' in nobody && nobody.code === grpc.status.UNAUTHENTICATED, `${target}: ${JSON.stringify(nobody)}`);
  }
  await first.proc.kill();
  const second = await serve(t, args);
  assert.match(second.proc.stderr, /workload CA with the root kept in/);
  assert.equal(await readFile(path.join(ca, 'root-cert.pem'), 'utf8'), root, 'the same root after a restart');
});

test('serve without a TLS port keeps the CA root but says CreateCertificate is not served', async (t) => {
  const dir = await tempDir(t);
  const { proc } = await serve(t, ['--manifests', DEMO, '--ca-dir', path.join(dir, 'ca')]);
  assert.match(proc.stderr, /workload CA answers only on the TLS port/);
  assert.equal(new X509Certificate(await readFile(path.join(dir, 'ca', 'root-cert.pem'), 'utf8')).ca, true);
});

test('in a cluster, the agent\'s client gets its certificate from serve with its ServiceAccount token, signed by the root serve keeps in a Secret', async (t) => {
  const fake = await FakeApiServer.start();
  t.after(() => fake.close());
  fake.tokens.register('alice-token', { namespace: ALICE.namespace, serviceAccount: ALICE.serviceAccount });
  const dir = await tempDir(t);
  const kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfig, fake.kubeconfigYaml());
  await writeFile(path.join(dir, 'token'), 'alice-token\n');
  const tls = await tlsFiles(dir);
  const args = ['--kubeconfig', kubeconfig, '--ca-secret', '--ca-namespace', 'mesh-system', ...tls.flags];
  const first = await serve(t, args);
  const root = fake.secrets.data('mesh-system', 'biplane-ca')?.['root-cert.pem'];
  assert.ok(root, first.proc.stderr);
  for (const target of first.tls) {
    const client = new CertificateClient({ target, caRootPem: tls.rootPem, identity: ALICE, tokenFile: path.join(dir, 'token') });
    t.after(() => client.close());
    const got = new Promise<WorkloadCertificate>((resolve) => client.onChange(resolve));
    client.start();
    const cert = await got;
    client.close();
    assert.equal(cert.rootCertPem, root, `${target}: the chain ends in the Secret's root`);
    assert.equal(new X509Certificate(cert.certChainPem).subjectAltName, `URI:${spiffeUri(ALICE)}`);
  }
  assert.ok(fake.tokens.reviews.some((r) => r.token === 'alice-token'), 'the token was checked by TokenReview');
  await first.proc.kill();
  const again = await serve(t, args);
  assert.match(again.proc.stderr, /the root kept in Secret mesh-system\/biplane-ca/);
  assert.deepEqual(fake.secrets.creates, ['mesh-system/biplane-ca'], 'created once');
});

test('serve refuses contradictory CA flags with a usage error', async () => {
  for (const args of [['--ca-secret'], ['--ca-cert', 'c.pem'], ['--ca-dir', 'd', '--ca-secret'], ['--ca-dir', 'd', '--workload-cert-ttl', '100d']]) {
    const proc = ServeProcess.start(['--manifests', DEMO, '--admin-address', 'none', ...args]);
    assert.equal(await proc.exited(30_000), 2, args.join(' '));
    await proc.kill();
  }
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
