// CreateCertificate over real gRPC with TLS on both loopback families: issued chains verify against the root, name
// exactly the caller, live as long as asked (capped); other identities, bad CSRs and unknown callers are refused.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { CertificateAuthority, createRoot } from '../../src/ca/authority.ts';
import { generateKeyPair, privateKeyPem } from '../../src/ca/keys.ts';
import { AuthError, parseSpiffeUri, spiffeUri } from '../../src/trust/identity.ts';
import type { Authenticator, CallCredentials } from '../../src/trust/identity.ts';
import { ALICE, BOB, badlySignedCsr, createCertificate, makeCsr, serveCa, tokenAuthenticator } from './helpers.ts';

const HOUR = 3600;
const policy = { defaultTtlSeconds: 24 * HOUR, maxTtlSeconds: 48 * HOUR };

async function setup(t: import('node:test').TestContext, host: '127.0.0.1' | '[::1]') {
  const ca = await CertificateAuthority.load(await createRoot('cluster.local'), policy);
  const { target, log } = await serveCa(t, ca, tokenAuthenticator({ 'alice-token': ALICE }), host);
  return { ca, target, log };
}

/** Seconds from now to the leaf's notAfter. */
function secondsLeft(pem: string): number {
  return (new Date(new X509Certificate(pem).validTo).getTime() - Date.now()) / 1000;
}

for (const host of ['127.0.0.1', '[::1]'] as const) {
  test(`over ${host}, a caller gets a chain for its own identity that verifies against the root and names only it`, async (t) => {
    const { ca, target } = await setup(t, host);
    const result = await createCertificate(target, ca.rootPem, 'alice-token', { csr: await makeCsr([spiffeUri(ALICE)]), validitySeconds: 0 });
    assert.ok('chain' in result, JSON.stringify(result));
    assert.equal(result.chain.length, 2);
    const [leaf, root] = result.chain.map((pem) => new X509Certificate(pem));
    assert.ok(root!.raw.equals(new X509Certificate(ca.rootPem).raw), 'the chain ends in the CA root');
    assert.ok(leaf!.verify(root!.publicKey) && leaf!.checkIssued(root!));
    assert.equal(leaf!.subjectAltName, `URI:${spiffeUri(ALICE)}`);
    assert.equal(leaf!.ca, false);
    assert.deepEqual(leaf!.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    const left = secondsLeft(result.chain[0]!);
    assert.ok(Math.abs(left - 24 * HOUR) < 120, `default 24 h, got ${left} s`);
  });

  test(`over ${host}, a CSR for another identity than the caller's is refused with PERMISSION_DENIED`, async (t) => {
    const { ca, target, log } = await setup(t, host);
    const result = await createCertificate(target, ca.rootPem, 'alice-token', { csr: await makeCsr([spiffeUri(BOB)]), validitySeconds: 0 });
    assert.ok('code' in result);
    assert.equal(result.code, grpc.status.PERMISSION_DENIED);
    assert.match(result.details, /spiffe:\/\/cluster\.local\/ns\/shop\/sa\/bob/);
    assert.ok(log.some((l) => l.includes('refused')));
  });
}

test('a CSR that names the caller and another identity too is refused', async (t) => {
  const { ca, target } = await setup(t, '127.0.0.1');
  const result = await createCertificate(target, ca.rootPem, 'alice-token', { csr: await makeCsr([spiffeUri(ALICE), spiffeUri(BOB)]), validitySeconds: 0 });
  assert.ok('code' in result && result.code === grpc.status.PERMISSION_DENIED, JSON.stringify(result));
});

test('garbage, a bad signature and a CSR without a URI SAN are refused with INVALID_ARGUMENT', async (t) => {
  const { ca, target } = await setup(t, '[::1]');
  const csrs: [string, string, RegExp][] = [
    ['garbage', 'not a certificate request', /does not parse/],
    ['bad signature', await badlySignedCsr(spiffeUri(ALICE)), /signature does not verify/],
    ['no URI SAN', await makeCsr([]), /names no URI SAN/],
  ];
  for (const [what, csr, reason] of csrs) {
    const result = await createCertificate(target, ca.rootPem, 'alice-token', { csr, validitySeconds: 0 });
    assert.ok('code' in result, `${what}: ${JSON.stringify(result)}`);
    assert.equal(result.code, grpc.status.INVALID_ARGUMENT, `${what}: ${result.details}`);
    assert.match(result.details, reason, what);
  }
});

test('a caller without a known token is refused with UNAUTHENTICATED before its CSR is read', async (t) => {
  const { ca, target } = await setup(t, '127.0.0.1');
  for (const token of [undefined, 'mallory-token']) {
    const result = await createCertificate(target, ca.rootPem, token, { csr: await makeCsr([spiffeUri(ALICE)]), validitySeconds: 0 });
    assert.ok('code' in result && result.code === grpc.status.UNAUTHENTICATED, JSON.stringify(result));
  }
});

test('a caller proving its identity with a client certificate the CA issued renews it, and only for that identity', async (t) => {
  const ca = await CertificateAuthority.load(await createRoot('cluster.local'), policy);
  const seen: CallCredentials[] = [];
  const byCertificate: Authenticator = {
    async authenticate(credentials) {
      seen.push(credentials);
      const identity = credentials.peerUris.length === 1 ? parseSpiffeUri(credentials.peerUris[0]!) : undefined;
      if (!identity) throw new AuthError(grpc.status.UNAUTHENTICATED, 'no SPIFFE client certificate');
      return identity;
    },
  };
  const { target } = await serveCa(t, ca, byCertificate, '[::1]', 'required');
  const keys = await generateKeyPair();
  const issued = await ca.sign(await makeCsr([spiffeUri(ALICE)], keys), ALICE, HOUR);
  const own = { keyPem: await privateKeyPem(keys.privateKey), chainPem: issued.slice(0, -1).join('') };
  const renewed = await createCertificate(target, ca.rootPem, undefined, { csr: await makeCsr([spiffeUri(ALICE)]), validitySeconds: 0 }, own);
  assert.ok('chain' in renewed, JSON.stringify(renewed));
  assert.deepEqual(seen[0]?.peerUris, [spiffeUri(ALICE)], 'the verified certificate\'s URI SAN reaches the Authenticator');
  assert.equal(seen[0]?.bearerToken, undefined);
  const other = await createCertificate(target, ca.rootPem, undefined, { csr: await makeCsr([spiffeUri(BOB)]), validitySeconds: 0 }, own);
  assert.ok('code' in other && other.code === grpc.status.PERMISSION_DENIED, JSON.stringify(other));
});

test('the requested validity is honoured up to the maximum, and capped there', async (t) => {
  const { ca, target } = await setup(t, '127.0.0.1');
  const asked = async (validitySeconds: number): Promise<number> => {
    const result = await createCertificate(target, ca.rootPem, 'alice-token', { csr: await makeCsr([spiffeUri(ALICE)]), validitySeconds });
    assert.ok('chain' in result, JSON.stringify(result));
    return secondsLeft(result.chain[0]!);
  };
  assert.ok(Math.abs((await asked(2 * HOUR)) - 2 * HOUR) < 120);
  assert.ok(Math.abs((await asked(1000 * HOUR)) - 48 * HOUR) < 120, 'capped at the 48 h maximum');
});
