// serve's own serving certificate: with a workload CA and a TLS address but no --tls-cert, serve issues the TLS
// port's certificate from its CA (biplane's Service names, localhost and loopback), trusts the CA's root for client
// certificates by default, and renews the certificate at half its life.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { CertificateAuthority, createRoot } from '../../src/ca/authority.ts';
import { defaultServingNames, ServingCertificate } from '../../src/ca/serving.ts';
import { generateKeyPair, privateKeyPem } from '../../src/ca/keys.ts';
import { readFlags } from '../../src/cli/serve.ts';
import { materialFrom } from '../../src/ca/store.ts';
import { spiffeUri } from '../../src/trust/identity.ts';
import { waitFor } from '../support/envoy.ts';
import { ServeProcess } from '../support/serve.ts';
import { ALICE, createCertificate, makeCsr } from './helpers.ts';

const DEMO = new URL('../../examples/demo', import.meta.url).pathname;

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'biplane-serving-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('with a CA and --tls-address but no --tls-cert, serve issues its serving certificate for its Service names and loopback', async (t) => {
  const dir = await tempDir(t);
  const proc = ServeProcess.start(['--manifests', DEMO, '--ca-dir', path.join(dir, 'ca'), '--tls-address', '127.0.0.1:0', '--tls-address', '[::1]:0', '--xds-address', '127.0.0.1:0', '--admin-address', 'none']);
  t.after(() => proc.kill());
  const listening = await proc.listening;
  assert.equal(listening.xdsTls.length, 2, proc.stderr);
  const root = await readFile(path.join(dir, 'ca', 'root-cert.pem'), 'utf8');
  for (const target of listening.xdsTls) {
    // Manifests and no token: the call fails after the TLS handshake; that the server's certificate verified is what counts.
    const r = await createCertificate(target, root, undefined, { csr: await makeCsr([spiffeUri(ALICE)]), validitySeconds: 0 });
    assert.ok('code' in r && r.code === grpc.status.UNAUTHENTICATED, `${target}: TLS verified by the CA's root, then unauthenticated: ${JSON.stringify(r)}`);
  }
  assert.match(proc.stderr, /serving certificate for biplane\.biplane-system\.svc, biplane\.biplane-system\.svc\.cluster\.local, localhost, 127\.0\.0\.1, ::1 issued by the workload CA/);
});

test('the issued port takes client certificates from the CA’s root by default: a renewal with an issued certificate succeeds', async (t) => {
  const dir = await tempDir(t);
  const proc = ServeProcess.start(['--manifests', DEMO, '--ca-dir', path.join(dir, 'ca'), '--tls-address', '[::1]:0', '--xds-address', '127.0.0.1:0', '--admin-address', 'none']);
  t.after(() => proc.kill());
  const [target] = (await proc.listening).xdsTls;
  assert.ok(target);
  const root = await readFile(path.join(dir, 'ca', 'root-cert.pem'), 'utf8');
  const ca = await CertificateAuthority.load(materialFrom({ 'ca-cert.pem': await readFile(path.join(dir, 'ca', 'ca-cert.pem'), 'utf8'), 'ca-key.pem': await readFile(path.join(dir, 'ca', 'ca-key.pem'), 'utf8') })!);
  const keys = await generateKeyPair();
  const issued = await ca.sign(await makeCsr([spiffeUri(ALICE)], keys), ALICE, 3600);
  const renewed = await createCertificate(target, root, undefined, { csr: await makeCsr([spiffeUri(ALICE)]), validitySeconds: 0 }, { keyPem: await privateKeyPem(keys.privateKey), chainPem: issued[0]! });
  assert.ok('chain' in renewed, JSON.stringify(renewed));
});

test('the serving certificate is renewed at half its life with a new key, for the same names', async (t) => {
  const ca = await CertificateAuthority.load(await createRoot('cluster.local'));
  const lines: string[] = [];
  const serving = await ServingCertificate.start(ca, defaultServingNames('mesh-system'), (l) => lines.push(l), 2);
  t.after(() => serving.close());
  const first = await readFile(serving.certFile, 'utf8');
  const leaf = new X509Certificate(first);
  assert.equal(leaf.subjectAltName, 'DNS:biplane.mesh-system.svc, DNS:biplane.mesh-system.svc.cluster.local, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.ok(leaf.verify(new X509Certificate(ca.rootPem).publicKey));
  assert.equal(await readFile(serving.rootFile, 'utf8'), ca.rootPem);
  let next = first;
  await waitFor(async () => (next = await readFile(serving.certFile, 'utf8')) !== first, 30_000, 'the renewed certificate');
  assert.notEqual(new X509Certificate(next).publicKey.export({ format: 'der', type: 'spki' }).toString('hex'), leaf.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'), 'a new key');
  assert.ok(lines.length >= 2, lines.join('\n'));
});

test('--tls-dns-name needs a CA or goes with no --tls-cert; the names default to the CA namespace’s Service', () => {
  const tls = (args: string[]) => {
    const flags = readFlags(['--manifests', DEMO, ...args]);
    return typeof flags === 'object' ? flags.security.tls : flags;
  };
  assert.deepEqual(tls(['--ca-dir', 'ca', '--tls-address', '[::]:15012', '--ca-namespace', 'mesh-system']), {
    issue: defaultServingNames('mesh-system'),
    addresses: ['[::]:15012'],
  });
  assert.deepEqual(tls(['--ca-dir', 'ca', '--tls-dns-name', 'xds.example']), { issue: { dns: ['xds.example', 'localhost'], ips: ['127.0.0.1', '::1'] }, addresses: ['[::]:15012'] });
  assert.equal(tls(['--ca-dir', 'ca']), undefined, 'a CA alone opens no TLS port');
  assert.match(String(tls(['--tls-address', '[::]:15012'])), /need --tls-cert and --tls-key, or a workload CA/);
  assert.match(String(tls(['--tls-cert', 'c', '--tls-key', 'k', '--tls-dns-name', 'x'])), /not with --tls-cert/);
});
