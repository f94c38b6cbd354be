// The signer alone: which CSR keys it signs for, RSA roots as well as EC ones, and lifetimes that never outlive the
// signing certificate.
import assert from 'node:assert/strict';
import { X509Certificate, webcrypto } from 'node:crypto';
import { test } from 'node:test';
import { CertificateAuthority, CsrError, createRoot } from '../../src/ca/authority.ts';
import type { CaMaterial } from '../../src/ca/authority.ts';
import { privateKeyPem, randomSerial } from '../../src/ca/keys.ts';
import type { CryptoKeyPair } from '../../src/ca/keys.ts';
import { spiffeUri } from '../../src/trust/identity.ts';
import { x509 } from '../../src/trust/x509.ts';
import { ALICE } from './helpers.ts';

type Signing = Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['signingAlgorithm'];
const rsa = (bits: number) => ({ name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' });

async function csrWith(keys: CryptoKeyPair, signingAlgorithm: Signing): Promise<string> {
  const san = new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeUri(ALICE) }], true);
  return (await x509.Pkcs10CertificateRequestGenerator.create({ keys, signingAlgorithm, extensions: [san] })).toString('pem');
}

test('CSRs with RSA 2048 and EC P-384 keys are signed; RSA 1024 and EC P-521 keys are refused as invalid', async () => {
  const ca = await CertificateAuthority.load(await createRoot('cluster.local'));
  const make = async (algorithm: object, signing: Signing): Promise<string> =>
    csrWith((await webcrypto.subtle.generateKey(algorithm as never, true, ['sign', 'verify'])) as CryptoKeyPair, signing);
  const rsa2048 = await make(rsa(2048), { name: 'RSASSA-PKCS1-v1_5' } as Signing);
  const p384 = await make({ name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' } as Signing);
  for (const csr of [rsa2048, p384]) assert.equal(new X509Certificate((await ca.sign(csr, ALICE, 0))[0]!).subjectAltName, `URI:${spiffeUri(ALICE)}`);
  const rsa1024 = await make(rsa(1024), { name: 'RSASSA-PKCS1-v1_5' } as Signing);
  const p521 = await make({ name: 'ECDSA', namedCurve: 'P-521' }, { name: 'ECDSA', hash: 'SHA-512' } as Signing);
  for (const csr of [rsa1024, p521]) {
    await assert.rejects(ca.sign(csr, ALICE, 0), (err: unknown) => err instanceof CsrError && err.kind === 'invalid' && /only EC P-256\/P-384 and RSA/.test(err.message));
  }
});

test('an RSA root the user brings signs EC workload CSRs', async () => {
  const keys = (await webcrypto.subtle.generateKey(rsa(2048) as never, true, ['sign', 'verify'])) as CryptoKeyPair;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ O: ['cluster.local'] }],
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const material: CaMaterial = { certPem: root.toString('pem'), keyPem: await privateKeyPem(keys.privateKey), chainPems: [] };
  const ca = await CertificateAuthority.load(material);
  const ecKeys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const chain = await ca.sign(await csrWith(ecKeys, { name: 'ECDSA', hash: 'SHA-256' } as Signing), ALICE, 0);
  assert.ok(new X509Certificate(chain[0]!).verify(new X509Certificate(material.certPem).publicKey));
});

test('no certificate outlives the certificate that signs it', async () => {
  const root = await createRoot('cluster.local', new Date(), 1);
  const ca = await CertificateAuthority.load(root, { defaultTtlSeconds: 3600, maxTtlSeconds: 5 * 365 * 86_400 });
  const ecKeys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const leaf = new X509Certificate((await ca.sign(await csrWith(ecKeys, { name: 'ECDSA', hash: 'SHA-256' } as Signing), ALICE, 3 * 365 * 86_400))[0]!);
  assert.equal(leaf.validTo, new X509Certificate(root.certPem).validTo);
});

test('a policy whose default lifetime exceeds its maximum is refused', async () => {
  await assert.rejects(CertificateAuthority.load(await createRoot('cluster.local'), { defaultTtlSeconds: 7200, maxTtlSeconds: 3600 }), /default TTL/);
});
