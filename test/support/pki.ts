// A test PKI built with x509 from src/trust/x509.ts: a root CA, workload certificates whose only SAN is a SPIFFE
// URI, a server certificate for 127.0.0.1, ::1 and localhost, and any number of unrelated CAs. ECDSA P-256 keys,
// everything as PEM, ready for grpc-js credentials or files.
import { webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import type { CertificateSource, WorkloadCertificate, WorkloadIdentity } from '../../src/trust/identity.ts';
import { x509 } from '../../src/trust/x509.ts';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

/** A certificate and its key as PEM (and the DER-derived serial, to tell certificates apart). */
export interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
  readonly serial: string;
}

let serials = 0;

/** A fresh, unique, positive hexadecimal serial. */
function nextSerial(): string {
  serials += 1;
  return `7${Date.now().toString(16)}${serials.toString(16).padStart(4, '0')}`;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** A certificate authority that signs leaves. */
export class TestCa {
  private constructor(
    readonly name: string,
    readonly cert: x509.X509Certificate,
    private readonly keys: CryptoKeyPair,
  ) {}

  /** A self-signed root named `name`. */
  static async create(name = 'biplane test root'): Promise<TestCa> {
    const keys = await keyPair();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: nextSerial(),
      name: `CN=${name}`,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 30 * DAY),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new TestCa(name, cert, keys);
  }

  /** The root certificate, PEM. */
  get certPem(): string {
    return this.cert.toString('pem');
  }

  /** A leaf with the given SANs, for client and server use. */
  async issue(subject: string, sans: { type: 'url' | 'ip' | 'dns'; value: string }[]): Promise<Issued> {
    const keys = await keyPair();
    const serial = nextSerial();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: `CN=${subject}`,
      issuer: this.cert.subject,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 7 * DAY),
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension(sans, false),
        await x509.AuthorityKeyIdentifierExtension.create(this.keys.publicKey),
      ],
    });
    return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey), serial: cert.serialNumber };
  }

  /** A workload certificate: `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>` as its only SAN. */
  workload(namespace: string, serviceAccount: string, trustDomain = 'cluster.local'): Promise<Issued> {
    return this.issue(`${namespace}/${serviceAccount}`, [{ type: 'url', value: `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}` }]);
  }

  /** A server certificate for 127.0.0.1, ::1 and localhost. */
  server(): Promise<Issued> {
    return this.issue('biplane', [
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
      { type: 'dns', value: 'localhost' },
    ]);
  }
}

/** A root CA that issues workload certificates in the shape the agent's SDS server serves. */
export interface TestPki {
  readonly rootPem: string;
  issue(id: WorkloadIdentity): Promise<WorkloadCertificate>;
}

/** A new root CA named `name`, issuing `WorkloadCertificate`s (a TestCa underneath). */
export async function createTestPki(name = 'biplane test root'): Promise<TestPki> {
  const ca = await TestCa.create(name);
  return {
    rootPem: ca.certPem,
    async issue(id) {
      const leaf = await ca.workload(id.namespace, id.serviceAccount, id.trustDomain);
      const notAfter = new x509.X509Certificate(leaf.certPem).notAfter;
      return { certChainPem: `${leaf.certPem}\n`, privateKeyPem: leaf.keyPem, rootCertPem: `${ca.certPem}\n`, notAfter };
    },
  };
}

/** A CertificateSource holding one certificate at a time; `set` replaces it and tells every listener. */
export class SettableCertificateSource implements CertificateSource {
  #cert: WorkloadCertificate | undefined;
  readonly #listeners = new Set<(cert: WorkloadCertificate) => void>();

  constructor(cert?: WorkloadCertificate) {
    this.#cert = cert;
  }

  current(): WorkloadCertificate | undefined {
    return this.#cert;
  }

  onChange(listener: (cert: WorkloadCertificate) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Replaces the certificate (a renewal) and notifies. */
  set(cert: WorkloadCertificate): void {
    this.#cert = cert;
    for (const l of this.#listeners) l(cert);
  }
}
