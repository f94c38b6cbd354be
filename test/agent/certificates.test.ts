// The agent's certificate client against a real CA over TLS gRPC: it gets the pod's certificate with the pod's token,
// renews it before it expires (a new key each time), and keeps retrying while the CA refuses it.
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CertificateClient, renewalDelayMs } from '../../src/agent/certificates.ts';
import { CertificateAuthority, createRoot } from '../../src/ca/authority.ts';
import { spiffeUri } from '../../src/trust/identity.ts';
import type { CallCredentials, WorkloadCertificate } from '../../src/trust/identity.ts';
import { ALICE, serveCa, tokenAuthenticator } from '../ca/helpers.ts';

async function tokenFile(t: import('node:test').TestContext, token: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'biplane-token-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'token');
  await writeFile(file, `${token}\n`);
  return file;
}

/** Resolves with the next `count` certificates the client announces. */
function nextCertificates(client: CertificateClient, count: number): Promise<WorkloadCertificate[]> {
  const seen: WorkloadCertificate[] = [];
  return new Promise((resolve) => {
    const off = client.onChange((cert) => {
      seen.push(cert);
      if (seen.length === count) {
        off();
        resolve(seen);
      }
    });
  });
}

test('renewal is planned at half the remaining life plus up to a tenth of jitter', () => {
  assert.equal(renewalDelayMs(1000, 11_000, 0), 5000);
  assert.equal(renewalDelayMs(1000, 11_000, 0.999), 5999);
  assert.equal(renewalDelayMs(5000, 1000, 0.5), 0, 'an expired certificate is renewed at once');
});

for (const host of ['127.0.0.1', '[::1]'] as const) {
  // A bound on a hang (a client that never renews), not a timing assertion.
  test(`over ${host}, the agent gets the pod's certificate with its token and renews it before it expires`, { timeout: 60_000 }, async (t) => {
    const ca = await CertificateAuthority.load(await createRoot('cluster.local'), { defaultTtlSeconds: 3, maxTtlSeconds: 3 });
    const seen: CallCredentials[] = [];
    const { target } = await serveCa(t, ca, tokenAuthenticator({ 'alice-token': ALICE }, seen), host);
    const client = new CertificateClient({ target, caRootPem: ca.rootPem, identity: ALICE, tokenFile: await tokenFile(t, 'alice-token') });
    t.after(() => client.close());
    const certificates = nextCertificates(client, 2);
    client.start();
    const [first, second] = await certificates;
    assert.ok(first && second);
    assert.equal(client.current(), second);
    assert.ok(seen.every((c) => c.bearerToken === 'alice-token'), 'the token file is sent as the bearer token');
    for (const cert of [first, second]) {
      const leaf = new X509Certificate(cert.certChainPem);
      assert.equal(leaf.subjectAltName, `URI:${spiffeUri(ALICE)}`);
      assert.ok(leaf.verify(new X509Certificate(cert.rootCertPem).publicKey));
      assert.equal(cert.rootCertPem, ca.rootPem);
      assert.ok(createPublicKey(cert.privateKeyPem).export({ type: 'spki', format: 'der' }).equals(leaf.publicKey.export({ type: 'spki', format: 'der' })));
    }
    assert.notEqual(first.privateKeyPem, second.privateKeyPem, 'each renewal has a fresh key');
    assert.ok(second.notAfter > first.notAfter);
  });
}

test('a refused agent retries with backoff and gets its certificate once the CA accepts its token', { timeout: 60_000 }, async (t) => {
  const ca = await CertificateAuthority.load(await createRoot('cluster.local'));
  const tokens: Record<string, typeof ALICE> = {};
  const { target } = await serveCa(t, ca, tokenAuthenticator(tokens), '127.0.0.1');
  const lines: string[] = [];
  const client = new CertificateClient({ target, caRootPem: ca.rootPem, identity: ALICE, tokenFile: await tokenFile(t, 'alice-token'), retryMs: 50, log: (l) => lines.push(l) });
  t.after(() => client.close());
  const first = nextCertificates(client, 1);
  client.start();
  while (!lines.some((l) => /failed \(attempt 2\)/.test(l))) await new Promise((r) => setTimeout(r, 20));
  assert.equal(client.current(), undefined);
  assert.ok(lines.filter((l) => /failed/.test(l)).every((l) => /UNAUTHENTICATED: unknown token/.test(l)), lines.join('\n'));
  tokens['alice-token'] = ALICE;
  const [cert] = await first;
  assert.equal(new X509Certificate(cert!.certChainPem).subjectAltName, `URI:${spiffeUri(ALICE)}`);
});

test('biplane agent refuses a CA address without the root that verifies it', async () => {
  const { spawnSync } = await import('node:child_process');
  const bin = new URL('../../bin/biplane.js', import.meta.url).pathname;
  const result = spawnSync(process.execPath, [bin, 'agent', '--ca-address', '127.0.0.1:15012', '--no-dns'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stderr, /--ca-address needs --ca-root/);
});
