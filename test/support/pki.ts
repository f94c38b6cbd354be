// A throwaway PKI for tests: one root CA and SPIFFE leaf certificates for workload identities (ECDSA P-256, made with
// @peculiar/x509 through src/trust/x509.ts), plus a CertificateSource whose certificate a test can replace.
import { webcrypto } from 'node:crypto';
import { spiffeUri, type CertificateSource, type WorkloadCertificate, type WorkloadIdentity } from '../../src/trust/identity.ts';
import { x509 } from '../../src/trust/x509.ts';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

/** A root CA that issues workload certificates. */
export interface TestPki {
  readonly rootPem: string;
  issue(id: WorkloadIdentity): Promise<WorkloadCertificate>;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^0/, '1');
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

/** A new root CA named `name`. */
export async function createTestPki(name = 'biplane test root'): Promise<TestPki> {
  const rootKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
    keys: rootKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const rootPem = root.toString('pem');
  return {
    rootPem,
    async issue(id) {
      const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
      const notAfter = new Date(Date.now() + DAY);
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: '',
        issuer: root.subject,
        notBefore: new Date(Date.now() - 3600 * 1000),
        notAfter,
        publicKey: keys.publicKey,
        signingKey: rootKeys.privateKey,
        signingAlgorithm: ALG,
        extensions: [
          new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeUri(id) }], true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
          new x509.BasicConstraintsExtension(false, undefined, true),
        ],
      });
      return { certChainPem: leaf.toString('pem') + '\n', privateKeyPem: await keyPem(keys.privateKey), rootCertPem: rootPem + '\n', notAfter };
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
