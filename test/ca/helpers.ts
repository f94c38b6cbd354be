// Shared pieces of the CA tests: CSRs (good, for another identity, badly signed), a token Authenticator, and a CA
// served over real gRPC with TLS on a loopback address, closed by the test that started it.
import * as grpc from '@grpc/grpc-js';
import type { TestContext } from 'node:test';
import type { CertificateAuthority } from '../../src/ca/authority.ts';
import { generateKeyPair, privateKeyPem } from '../../src/ca/keys.ts';
import type { CryptoKeyPair } from '../../src/ca/keys.ts';
import { CREATE_CERTIFICATE_PATH, decodeCertificateResponse, encodeCertificateRequest } from '../../src/ca/messages.ts';
import type { CertificateRequest } from '../../src/ca/messages.ts';
import { certificateService } from '../../src/ca/service.ts';
import { AuthError } from '../../src/trust/identity.ts';
import type { Authenticator, CallCredentials, WorkloadIdentity } from '../../src/trust/identity.ts';
import { x509 } from '../../src/trust/x509.ts';

/** The identity most tests call as. */
export const ALICE: WorkloadIdentity = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'alice' };
/** Another identity, whose SPIFFE ID Alice must not get. */
export const BOB: WorkloadIdentity = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'bob' };

/** An Authenticator that knows fixed test tokens (and says what it was shown). */
export function tokenAuthenticator(tokens: Readonly<Record<string, WorkloadIdentity>>, seen: CallCredentials[] = []): Authenticator {
  return {
    async authenticate(credentials) {
      seen.push(credentials);
      if (credentials.bearerToken === undefined) throw new AuthError(grpc.status.UNAUTHENTICATED, 'no token');
      const identity = tokens[credentials.bearerToken];
      if (!identity) throw new AuthError(grpc.status.UNAUTHENTICATED, 'unknown token');
      return identity;
    },
  };
}

/** A CSR PEM naming `uris` as URI SANs, signed by `keys` (a fresh P-256 pair unless given). */
export async function makeCsr(uris: readonly string[], keys?: CryptoKeyPair): Promise<string> {
  const pair = keys ?? (await generateKeyPair());
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys: pair,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['signingAlgorithm'],
    extensions: uris.length > 0 ? [new x509.SubjectAlternativeNameExtension(uris.map((value) => ({ type: 'url' as const, value })), true)] : [],
  });
  return csr.toString('pem');
}

/** A CSR whose signature does not match its content: one byte of the signature flipped. */
export async function badlySignedCsr(uri: string): Promise<string> {
  const der = Buffer.from(x509.PemConverter.decodeFirst(await makeCsr([uri])));
  der[der.length - 5]! ^= 0x01;
  return x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
}

/** The CA's certificate service on `host` port 0 over TLS (a serving certificate from the CA itself). */
export async function serveCa(
  t: TestContext,
  ca: CertificateAuthority,
  authenticator: Authenticator,
  host: '127.0.0.1' | '[::1]',
  clientCertificates: 'none' | 'required' = 'none',
): Promise<{ target: string; log: string[] }> {
  const keys = await generateKeyPair();
  const chain = await ca.issueServing(keys.publicKey, { ips: ['127.0.0.1', '::1'] }, 3600);
  const server = new grpc.Server();
  const log: string[] = [];
  const service = certificateService({ ca, authenticator, log: (line) => log.push(line) });
  server.addService(service.definition, service.implementation);
  const credentials = grpc.ServerCredentials.createSsl(Buffer.from(ca.rootPem), [
    { private_key: Buffer.from(await privateKeyPem(keys.privateKey)), cert_chain: Buffer.from(chain.slice(0, -1).join('')) },
  ], clientCertificates === 'required');
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(`${host}:0`, credentials, (err, p) => (err ? reject(err) : resolve(p))));
  t.after(() => server.forceShutdown());
  return { target: `${host}:${port}`, log };
}

/** One CreateCertificate call over TLS (trusting `rootPem`) with an optional bearer token: the chain, or the status. */
export async function createCertificate(
  target: string,
  rootPem: string,
  token: string | undefined,
  request: CertificateRequest,
  clientCertificate?: { readonly keyPem: string; readonly chainPem: string },
): Promise<{ chain: readonly string[] } | { code: grpc.status; details: string }> {
  const tls = clientCertificate
    ? grpc.credentials.createSsl(Buffer.from(rootPem), Buffer.from(clientCertificate.keyPem), Buffer.from(clientCertificate.chainPem))
    : grpc.credentials.createSsl(Buffer.from(rootPem));
  const client = new grpc.Client(target, tls);
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  try {
    return await new Promise((resolve) => {
      client.makeUnaryRequest(CREATE_CERTIFICATE_PATH, encodeCertificateRequest, decodeCertificateResponse, request, metadata, { deadline: Date.now() + 10_000 }, (err, value) => {
        resolve(err ? { code: err.code, details: err.details } : { chain: value?.certChain ?? [] });
      });
    });
  } finally {
    client.close();
  }
}
