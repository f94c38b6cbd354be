// The agent's SDS server, spoken to as Envoy speaks to it (StreamSecrets over a Unix socket, SotW requests and ACKs):
// it answers the names asked for with the CertificateSource's certificate and root, stays quiet on an ACK, does not
// resend after a NACK, and pushes a renewal unasked. A real Envoy fetching these secrets is in test/mesh/mtls.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { SdsServer, sdsServiceDefinition } from '../../src/agent/sds.ts';
import { TypeUrl, decodeMessage, encodeMessage } from '../../src/envoy-api/protos.ts';
import { createTestPki, SettableCertificateSource } from '../support/pki.ts';

const ID = { trustDomain: 'cluster.local', namespace: 'pay', serviceAccount: 'ledger' };
const REQUEST = 'envoy.service.discovery.v3.DiscoveryRequest';
const RESPONSE = 'envoy.service.discovery.v3.DiscoveryResponse';

/** The text of a decoded `bytes` field (a Buffer, or base64 in JSON form). */
function text(value: unknown): string {
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString() : Buffer.from(value as Uint8Array).toString();
}

interface Reply {
  readonly version: string;
  readonly nonce: string;
  readonly secrets: Record<string, unknown>[];
}

/** A raw StreamSecrets client: send requests as plain objects, read decoded responses in order. */
function sdsClient(t: TestContext, socket: string) {
  const Ctor = grpc.makeGenericClientConstructor(sdsServiceDefinition, 'SecretDiscoveryService');
  const client = new Ctor(`unix:${socket}`, grpc.credentials.createInsecure());
  const call = (client as unknown as { StreamSecrets(): grpc.ClientDuplexStream<Buffer, Buffer> }).StreamSecrets();
  const replies: Reply[] = [];
  const waiters: (() => void)[] = [];
  call.on('data', (bytes: Buffer) => {
    // Any payloads come back decoded, with their `@type`.
    const m = decodeMessage(RESPONSE, bytes) as { version_info?: string; nonce?: string; resources?: Record<string, unknown>[] };
    const secrets = m.resources ?? [];
    assert.ok(secrets.every((r) => r['@type'] === TypeUrl.Secret));
    replies.push({ version: m.version_info ?? '', nonce: m.nonce ?? '', secrets });
    waiters.splice(0).forEach((w) => w());
  });
  call.on('error', () => undefined);
  t.after(() => {
    call.cancel();
    client.close();
  });
  return {
    replies,
    send(fields: Record<string, unknown>): void {
      call.write(Buffer.from(encodeMessage(REQUEST, { type_url: TypeUrl.Secret, node: { id: 'sidecar~198.18.0.2~ledger-0.pay~pay.svc.cluster.local' }, ...fields })));
    },
    async next(count: number): Promise<Reply> {
      while (replies.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return replies[count - 1] as Reply;
    },
  };
}

async function started(t: TestContext, source: SettableCertificateSource): Promise<{ server: SdsServer; socket: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-sds-'));
  const socket = path.join(dir, 'sds', 'socket');
  const server = new SdsServer(source);
  await server.listen(socket);
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { server, socket };
}

test('the SDS server answers default and ROOTCA with the pod certificate and the root, in PEM', async (t) => {
  const pki = await createTestPki();
  const cert = await pki.issue(ID);
  const { socket } = await started(t, new SettableCertificateSource(cert));
  const client = sdsClient(t, socket);
  client.send({ resource_names: ['default', 'ROOTCA'] });
  const reply = await client.next(1);
  const byName = new Map(reply.secrets.map((s) => [s['name'], s]));
  const tls = byName.get('default') as { tls_certificate: { certificate_chain: { inline_bytes: unknown }; private_key: { inline_bytes: unknown } } };
  const root = byName.get('ROOTCA') as { validation_context: { trusted_ca: { inline_bytes: unknown } } };
  assert.equal(text(tls.tls_certificate.certificate_chain.inline_bytes), cert.certChainPem);
  assert.equal(text(tls.tls_certificate.private_key.inline_bytes), cert.privateKeyPem);
  assert.equal(text(root.validation_context.trusted_ca.inline_bytes), pki.rootPem + '\n');
});

test('an ACK gets no answer, a NACK no resend, and a renewal is pushed to the stream unasked', async (t) => {
  const pki = await createTestPki();
  const source = new SettableCertificateSource(await pki.issue(ID));
  const { server, socket } = await started(t, source);
  const client = sdsClient(t, socket);
  client.send({ resource_names: ['default'] });
  const first = await client.next(1);
  assert.deepEqual(first.secrets.map((s) => s['name']), ['default']);
  client.send({ resource_names: ['default'], version_info: first.version, response_nonce: first.nonce });
  client.send({ resource_names: ['default'], version_info: first.version, response_nonce: first.nonce, error_detail: { code: 3, message: 'refused' } });
  const renewed = await pki.issue(ID);
  source.set(renewed);
  const second = await client.next(2);
  assert.notEqual(second.version, first.version);
  const tls = second.secrets[0] as { tls_certificate: { certificate_chain: { inline_bytes: unknown } } };
  assert.equal(text(tls.tls_certificate.certificate_chain.inline_bytes), renewed.certChainPem);
  assert.equal(server.pushes, 2, 'the ACK and the NACK were answered by nothing');
});

test('a name asked for before any certificate exists is answered as soon as one arrives', async (t) => {
  const pki = await createTestPki();
  const source = new SettableCertificateSource();
  const { server, socket } = await started(t, source);
  const client = sdsClient(t, socket);
  client.send({ resource_names: ['ROOTCA', 'no-such-secret'] });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(server.pushes, 0);
  source.set(await pki.issue(ID));
  const reply = await client.next(1);
  assert.deepEqual(reply.secrets.map((s) => s['name']), ['ROOTCA']);
});
