// Where the root lives: a folder keeps it across restarts (key 0600, root-cert.pem published), a Secret is created
// once and read by every later start or racing replica, and a user's intermediate signs with its chain up to the root.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CertificateAuthority, createRoot, materialProblem } from '../../src/ca/authority.ts';
import { kubeSecretApi } from '../../src/ca/kube-secrets.ts';
import { CA_FILES, CA_SECRET_NAME, loadCaDir, loadCaSecret, loadUserCa, materialFiles } from '../../src/ca/store.ts';
import { KubeConfig } from '../../src/sources/kube/client.ts';
import { spiffeUri } from '../../src/trust/identity.ts';
import { x509 } from '../../src/trust/x509.ts';
import { generateKeyPair, importPrivateKey, privateKeyPem, randomSerial } from '../../src/ca/keys.ts';
import { FakeApiServer } from '../kube/fake-apiserver.ts';
import { ALICE, makeCsr } from './helpers.ts';

async function tempDir(t: import('node:test').TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'biplane-ca-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a CA folder keeps its generated root across a restart, with the key readable only by its owner', async (t) => {
  const dir = path.join(await tempDir(t), 'ca');
  const first = await loadCaDir(dir, 'cluster.local');
  assert.equal(first.created, true);
  assert.equal((await stat(path.join(dir, CA_FILES.key))).mode & 0o777, 0o600);
  const second = await loadCaDir(dir, 'cluster.local');
  assert.equal(second.created, false);
  assert.equal(second.material.certPem, first.material.certPem, 'the same root after a restart');
  assert.equal(await readFile(path.join(dir, CA_FILES.root), 'utf8'), first.material.certPem, 'root-cert.pem published for pods');
  const ca = await CertificateAuthority.load(second.material);
  const chain = await ca.sign(await makeCsr([spiffeUri(ALICE)]), ALICE, 0);
  assert.ok(new X509Certificate(chain[0]!).verify(new X509Certificate(first.material.certPem).publicKey));
});

test('a CA folder holding a certificate without its key is refused instead of overwritten', async (t) => {
  const dir = await tempDir(t);
  const root = await createRoot('cluster.local');
  await writeFile(path.join(dir, CA_FILES.cert), root.certPem);
  await assert.rejects(loadCaDir(dir, 'cluster.local'), /ca-cert\.pem without ca-key\.pem/);
  assert.equal(await readFile(path.join(dir, CA_FILES.cert), 'utf8'), root.certPem);
});

/** An intermediate CA signed by `root`, as a user would bring it. */
async function intermediateOf(root: Awaited<ReturnType<typeof createRoot>>): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateKeyPair();
  const rootCert = new x509.X509Certificate(root.certPem);
  const rootKey = await importPrivateKey(root.keyPem);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    issuer: rootCert.subjectName.toJSON(),
    subject: [{ CN: ['biplane test intermediate'] }],
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000 * 30),
    publicKey: keys.publicKey,
    signingKey: rootKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as Parameters<typeof x509.X509CertificateGenerator.create>[0]['signingAlgorithm'],
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  return { certPem: `${cert.toString('pem')}\n`, keyPem: await privateKeyPem(keys.privateKey) };
}

test('a user-provided intermediate signs leaves whose chain runs leaf, intermediate, root', async (t) => {
  const dir = await tempDir(t);
  const root = await createRoot('cluster.local');
  const inter = await intermediateOf(root);
  await writeFile(path.join(dir, 'cert.pem'), inter.certPem);
  await writeFile(path.join(dir, 'key.pem'), inter.keyPem);
  await writeFile(path.join(dir, 'chain.pem'), inter.certPem + root.certPem);
  const ca = await CertificateAuthority.load(await loadUserCa(path.join(dir, 'cert.pem'), path.join(dir, 'key.pem'), path.join(dir, 'chain.pem')));
  assert.equal(ca.rootPem, root.certPem);
  const chain = (await ca.sign(await makeCsr([spiffeUri(ALICE)]), ALICE, 0)).map((pem) => new X509Certificate(pem));
  assert.equal(chain.length, 3);
  assert.ok(chain[0]!.verify(chain[1]!.publicKey) && chain[1]!.verify(chain[2]!.publicKey) && chain[2]!.raw.equals(new X509Certificate(root.certPem).raw));
});

test('user material whose key is not the certificate\'s, or whose chain does not reach a root, is refused', async () => {
  const root = await createRoot('cluster.local');
  const other = await createRoot('cluster.local');
  const inter = await intermediateOf(root);
  assert.match(materialProblem({ ...root, keyPem: other.keyPem }) ?? '', /key does not belong/);
  assert.match(materialProblem({ ...inter, chainPems: [other.certPem] }) ?? '', /did not issue/);
  assert.match(materialProblem({ ...inter, chainPems: [] }) ?? '', /self-signed root/);
  await assert.rejects(CertificateAuthority.load({ ...root, keyPem: other.keyPem }), /CA material/);
});

async function fakeCluster(t: import('node:test').TestContext): Promise<{ fake: FakeApiServer; kc: KubeConfig }> {
  const fake = await FakeApiServer.start({ host: '::1' });
  t.after(() => fake.close());
  const kc = new KubeConfig();
  kc.loadFromString(fake.kubeconfigYaml());
  return { fake, kc };
}

test('in a cluster the first start creates the CA Secret and the next start reads the same root from it', async (t) => {
  const { fake, kc } = await fakeCluster(t);
  const api = kubeSecretApi(kc, 'biplane-system');
  const first = await loadCaSecret(api, 'cluster.local');
  assert.equal(first.created, true);
  assert.ok(fake.secrets.get('biplane-system', CA_SECRET_NAME), 'the Secret is in biplane\'s namespace');
  const second = await loadCaSecret(api, 'cluster.local');
  assert.equal(second.created, false);
  assert.equal(second.material.certPem, first.material.certPem);
  assert.equal(second.material.keyPem, first.material.keyPem);
  assert.deepEqual(fake.secrets.creates, [`biplane-system/${CA_SECRET_NAME}`], 'created once');
});

test('a replica that loses the race to create the Secret (409) signs with the winner\'s root', async (t) => {
  const { fake, kc } = await fakeCluster(t);
  const winner = await createRoot('cluster.local');
  fake.secrets.beforeCreate = (namespace, name) => fake.secrets.put(namespace, name, materialFiles(winner));
  const loaded = await loadCaSecret(kubeSecretApi(kc, 'biplane-system'), 'cluster.local');
  assert.equal(loaded.created, false);
  assert.equal(loaded.material.certPem, winner.certPem);
  const ca = await CertificateAuthority.load(loaded.material);
  const chain = await ca.sign(await makeCsr([spiffeUri(ALICE)]), ALICE, 0);
  assert.ok(new X509Certificate(chain[0]!).verify(new X509Certificate(winner.certPem).publicKey));
});
