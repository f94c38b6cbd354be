// The agent's certificate client: a fresh ECDSA P-256 key and CSR for the pod's SPIFFE identity, sent to the CA's
// `CreateCertificate` over TLS with the pod's token, renewed at about half the certificate's life (with jitter) and
// retried with backoff on failure. It is the `CertificateSource` the agent's SDS server hands Envoy.
import { X509Certificate, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { generateKeyPair, privateKeyPem, splitPemCertificates } from '../ca/keys.ts';
import { CREATE_CERTIFICATE_PATH, decodeCertificateResponse, encodeCertificateRequest } from '../ca/messages.ts';
import type { CertificateRequest, CertificateResponse } from '../ca/messages.ts';
import { spiffeUri } from '../trust/identity.ts';
import type { CertificateSource, WorkloadCertificate, WorkloadIdentity } from '../trust/identity.ts';
import { x509 } from '../trust/x509.ts';

/** Where the pod's projected ServiceAccount token is mounted by default (audience biplane). */
export const DEFAULT_TOKEN_FILE = '/var/run/secrets/tokens/biplane-token';

/** How the client reaches the CA and whom it asks for. */
export interface CertificateClientOptions {
  /** The CA's gRPC target: `host:port`, `[v6]:port`, `unix:/path` (whose TLS name is localhost, as grpc-js says). */
  readonly target: string;
  /** PEM of the root that verifies the CA server's TLS certificate. */
  readonly caRootPem: string;
  /** TLS name to check the server's certificate against, when not the target's host. */
  readonly serverName?: string;
  readonly identity: WorkloadIdentity;
  /** File holding the bearer token; read again for every request (projected tokens rotate). */
  readonly tokenFile: string;
  /** Validity asked for, in seconds (0 or unset: the CA's default). */
  readonly ttlSeconds?: number;
  /** First retry delay after a failure (default 1 s, doubling up to `maxRetryMs`, default 60 s). */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  readonly log?: (line: string) => void;
  /** Randomness for jitter, in [0, 1) (default Math.random). */
  readonly random?: () => number;
}

/** The moment to renew a certificate received at `receivedAt`: half its remaining life plus up to 10% jitter. */
export function renewalDelayMs(receivedAt: number, notAfter: number, jitter: number): number {
  const life = Math.max(0, notAfter - receivedAt);
  return Math.floor(life * (0.5 + 0.1 * jitter));
}

/** Gets and keeps renewed the pod's certificate; `start` begins, `close` stops. */
export class CertificateClient implements CertificateSource {
  readonly #options: CertificateClientOptions;
  readonly #client: grpc.Client;
  readonly #listeners = new Set<(cert: WorkloadCertificate) => void>();
  #current: WorkloadCertificate | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;

  constructor(options: CertificateClientOptions) {
    this.#options = options;
    const channel = options.serverName ? { 'grpc.ssl_target_name_override': options.serverName, 'grpc.default_authority': options.serverName } : {};
    this.#client = new grpc.Client(options.target, grpc.credentials.createSsl(Buffer.from(options.caRootPem)), channel);
  }

  /** The newest certificate, undefined before the first. */
  current(): WorkloadCertificate | undefined {
    return this.#current;
  }

  /** Called with every new certificate; returns the unsubscribe. */
  onChange(listener: (cert: WorkloadCertificate) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Asks for the first certificate now; renewals and retries follow by themselves. */
  start(): void {
    this.#schedule(0);
  }

  /** Stops renewing and closes the channel. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#client.close();
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#renew(), delayMs);
  }

  async #renew(): Promise<void> {
    const log = this.#options.log ?? ((): void => undefined);
    const random = this.#options.random ?? Math.random;
    try {
      const cert = await this.#fetch();
      if (this.#closed) return;
      this.#failures = 0;
      this.#current = cert;
      const delay = renewalDelayMs(Date.now(), cert.notAfter.getTime(), random());
      log(`certificate for ${spiffeUri(this.#options.identity)} until ${cert.notAfter.toISOString()}, renewing in ${Math.round(delay / 1000)} s`);
      this.#schedule(delay);
      for (const listener of [...this.#listeners]) listener(cert);
    } catch (err) {
      if (this.#closed) return;
      this.#failures += 1;
      const base = Math.min(this.#options.maxRetryMs ?? 60_000, (this.#options.retryMs ?? 1000) * 2 ** (this.#failures - 1));
      const delay = Math.floor(base * (0.5 + random() * 0.5));
      log(`certificate request failed (attempt ${this.#failures}), retrying in ${delay} ms: ${(err as Error).message}`);
      this.#schedule(delay);
    }
  }

  /** One round: key, CSR, call, checked answer. */
  async #fetch(): Promise<WorkloadCertificate> {
    const uri = spiffeUri(this.#options.identity);
    const keys = await generateKeyPair();
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['signingAlgorithm'],
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }], true)],
    });
    const token = (await readFile(this.#options.tokenFile, 'utf8')).trim();
    const response = await this.#call({ csr: csr.toString('pem'), validitySeconds: this.#options.ttlSeconds ?? 0 }, token);
    const pems = response.certChain.flatMap((pem) => splitPemCertificates(pem));
    return checkedCertificate(pems, uri, await privateKeyPem(keys.privateKey));
  }

  #call(request: CertificateRequest, token: string): Promise<CertificateResponse> {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        CREATE_CERTIFICATE_PATH,
        encodeCertificateRequest,
        decodeCertificateResponse,
        request,
        metadata,
        { deadline: Date.now() + 10_000 },
        (err, value) => (err || !value ? reject(err ?? new Error('empty response')) : resolve(value)),
      );
    });
  }
}

/** The CA's answer as a workload certificate, after checking it is ours: leaf names `uri`, chain ends in a root. */
function checkedCertificate(pems: readonly string[], uri: string, privateKeyPem: string): WorkloadCertificate {
  if (pems.length < 2) throw new Error(`the CA answered ${pems.length} certificate(s); expected a leaf and a root`);
  const certs = pems.map((pem) => new X509Certificate(pem));
  const leaf = certs[0]!;
  const root = certs[certs.length - 1]!;
  const ours = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  if (!ours.equals(leaf.publicKey.export({ type: 'spki', format: 'der' }))) throw new Error('the CA issued a certificate for another key');
  if (leaf.subjectAltName !== `URI:${uri}`) throw new Error(`the CA issued ${leaf.subjectAltName ?? 'no SAN'}, not URI:${uri}`);
  for (let i = 0; i + 1 < certs.length; i++) {
    if (!certs[i]!.verify(certs[i + 1]!.publicKey)) throw new Error(`certificate ${i} of the CA's chain is not signed by the next`);
  }
  return {
    certChainPem: pems.slice(0, -1).join(''),
    privateKeyPem,
    rootCertPem: pems[pems.length - 1]!,
    notAfter: new Date(leaf.validTo),
  };
}
