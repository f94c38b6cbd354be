// Certificate files for the TLS port: loaded and checked as a set at start (a key that does not match its
// certificate is a clear error), re-read when they change, and a half-done rotation (new certificate, old key) is
// not taken: the last good pair stays until the set loads again.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { X509Certificate } from 'node:crypto';
import { FileCertificateProvider } from '../../src/trust/cert-files.ts';
import { TestCa } from '../support/pki.ts';

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

test('certificate files load as a set, follow changes, and a half-done rotation keeps the last good pair', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'biplane-certs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ca = await TestCa.create();
  const [first, second] = [await ca.server(), await ca.server()];
  const files = { certFile: path.join(dir, 'tls.crt'), keyFile: path.join(dir, 'tls.key'), clientCaFile: path.join(dir, 'ca.crt'), pollMs: 20 };
  await writeFile(files.clientCaFile, ca.certPem);
  await writeFile(files.certFile, first.certPem);
  await writeFile(files.keyFile, second.keyPem);
  assert.throws(() => new FileCertificateProvider(files), /tls\.crt and .*tls\.key .* do not load/);
  await writeFile(files.keyFile, first.keyPem);
  const provider = new FileCertificateProvider(files);
  t.after(() => provider.close());
  const serials: string[] = [];
  const cas: number[] = [];
  provider.addIdentityCertificateListener((u) => u && serials.push(new X509Certificate(u.certificate).serialNumber.toLowerCase()));
  provider.addCaCertificateListener((u) => u && cas.push(u.caCertificate.length));
  await until(() => serials.length === 1 && cas.length === 1, 'the current files are announced to new listeners');
  assert.deepEqual(serials, [first.serial.toLowerCase()]);

  await writeFile(files.certFile, second.certPem); // the key is still the first's
  await until(() => provider.lastError !== undefined, 'the mismatched set is noticed');
  assert.match(provider.lastError ?? '', /do not load/);
  assert.equal(provider.reloads, 0);
  await writeFile(files.keyFile, second.keyPem);
  await until(() => provider.reloads === 1, 'the completed rotation is loaded');
  assert.deepEqual(serials, [first.serial.toLowerCase(), second.serial.toLowerCase()]);
  assert.equal(provider.lastError, undefined);
});

test('a missing file is named in the error', async () => {
  assert.throws(() => new FileCertificateProvider({ certFile: '/nonexistent/tls.crt', keyFile: '/nonexistent/tls.key' }), /cannot read the TLS certificate \/nonexistent\/tls\.crt: ENOENT/);
});
