// The workload CA's signing half: holds the signing certificate and key (a self-signed root, or a user's root or
// intermediate with its chain) and turns a caller's CSR into a short-lived certificate for exactly the caller's
// SPIFFE identity. Pure apart from the clock and the randomness of serials: no I/O, no gRPC.
import { X509Certificate as NodeCertificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { spiffeUri } from '../trust/identity.ts';
import type { WorkloadIdentity } from '../trust/identity.ts';
import { x509 } from '../trust/x509.ts';
import { checkCsr } from './csr.ts';
import type { CryptoKey } from './keys.ts';
import { generateKeyPair, importPrivateKey, privateKeyPem, randomSerial, signingAlgorithm, splitPemCertificates } from './keys.ts';

/** The CA's material as PEM text, as kept in a folder or a Secret. */
export interface CaMaterial {
  /** The signing certificate (the root itself when self-signed). */
  readonly certPem: string;
  readonly keyPem: string;
  /** Certificates from the signing certificate's issuer up to the root, root last; empty when the signer is the root. */
  readonly chainPems: readonly string[];
}

/** How long issued certificates live: the default when a caller names none, and the most a caller may ask for. */
export interface CaPolicy {
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
}

/** Istio's defaults: 24 h unless asked, at most 90 days. */
export const DEFAULT_CA_POLICY: CaPolicy = { defaultTtlSeconds: 24 * 3600, maxTtlSeconds: 90 * 24 * 3600 };

/** A refused request: the CSR is unreadable or wrong (INVALID_ARGUMENT), or names someone else (PERMISSION_DENIED). */
export class CsrError extends Error {
  constructor(
    readonly kind: 'invalid' | 'denied',
    message: string,
  ) {
    super(message);
    this.name = 'CsrError';
  }
}

/** A new self-signed ECDSA P-256 root for the trust domain, valid `years` from now. */
export async function createRoot(trustDomain: string, now = new Date(), years = 10): Promise<CaMaterial> {
  const keys = await generateKeyPair();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ O: [trustDomain] }, { CN: ['biplane workload root'] }],
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    keys,
    signingAlgorithm: signingAlgorithm(keys.privateKey),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n`, keyPem: await privateKeyPem(keys.privateKey), chainPems: [] };
}

/** Why a signing certificate, key and chain cannot serve as a CA; undefined when they can. */
export function materialProblem(material: CaMaterial): string | undefined {
  let cert: NodeCertificate;
  let chain: NodeCertificate[];
  try {
    cert = new NodeCertificate(material.certPem);
    chain = material.chainPems.map((pem) => new NodeCertificate(pem));
  } catch (err) {
    return `a certificate does not parse: ${(err as Error).message}`;
  }
  if (!cert.ca) return 'the signing certificate is not a CA certificate (basicConstraints cA is not set)';
  try {
    const fromKey = createPublicKey(createPrivateKey(material.keyPem)).export({ type: 'spki', format: 'der' });
    if (!fromKey.equals(cert.publicKey.export({ type: 'spki', format: 'der' }))) return 'the key does not belong to the signing certificate';
  } catch (err) {
    return `the key does not parse: ${(err as Error).message}`;
  }
  const links = [cert, ...chain];
  for (let i = 0; i + 1 < links.length; i++) {
    if (!links[i]!.checkIssued(links[i + 1]!) || !links[i]!.verify(links[i + 1]!.publicKey)) return `chain certificate ${i + 1} did not issue the certificate before it`;
  }
  const root = links[links.length - 1]!;
  if (!root.checkIssued(root) || !root.verify(root.publicKey)) return 'the chain does not end in a self-signed root';
  return undefined;
}

/** Splits a chain bundle (`--ca-chain`, `cert-chain.pem`) into PEMs, dropping the signing certificate if it leads. */
export function chainFromBundle(certPem: string, bundle: string): string[] {
  const pems = splitPemCertificates(bundle);
  const signer = new NodeCertificate(certPem);
  return pems.filter((pem) => !new NodeCertificate(pem).raw.equals(signer.raw));
}

/** Signs CSRs for callers' own identities with one signing certificate and key. */
export class CertificateAuthority {
  /** The root every issued chain ends in, PEM. */
  readonly rootPem: string;
  readonly #signer: x509.X509Certificate;
  readonly #key: CryptoKey;
  /** Certificates the response carries after the leaf: the signer (unless it is the root), intermediates, root. */
  readonly #chainAfterLeaf: readonly string[];

  private constructor(material: CaMaterial, key: CryptoKey, readonly policy: CaPolicy) {
    this.#signer = new x509.X509Certificate(material.certPem);
    this.#key = key;
    const signerPem = `${this.#signer.toString('pem')}\n`;
    this.rootPem = material.chainPems[material.chainPems.length - 1] ?? signerPem;
    this.#chainAfterLeaf = material.chainPems.length === 0 ? [signerPem] : [signerPem, ...material.chainPems];
  }

  /** A CA from checked material; throws with the reason when the material cannot sign. */
  static async load(material: CaMaterial, policy: CaPolicy = DEFAULT_CA_POLICY): Promise<CertificateAuthority> {
    const problem = materialProblem(material);
    if (problem) throw new Error(`CA material: ${problem}`);
    if (policy.defaultTtlSeconds <= 0 || policy.maxTtlSeconds < policy.defaultTtlSeconds) {
      throw new Error('CA policy: the default TTL must be positive and not above the maximum');
    }
    return new CertificateAuthority(material, await importPrivateKey(material.keyPem), policy);
  }

  /** The lifetime a request gets: the default for 0, else what was asked, never above the maximum. */
  ttlSeconds(requested: number): number {
    if (!(requested > 0)) return this.policy.defaultTtlSeconds;
    return Math.min(Math.floor(requested), this.policy.maxTtlSeconds);
  }

  /**
   * Issues a certificate for `caller` from its CSR: the chain, leaf first, root last. Throws `CsrError` when the CSR
   * is unreadable, badly signed or names any identity but the caller's.
   */
  async sign(csrPem: string, caller: WorkloadIdentity, requestedSeconds: number, now = new Date()): Promise<string[]> {
    const uri = spiffeUri(caller);
    const csr = await checkCsr(csrPem, uri);
    const notAfter = new Date(now.getTime() + this.ttlSeconds(requestedSeconds) * 1000);
    return this.#issue(csr.publicKey, [{ type: 'url', value: uri }], notAfter, now);
  }

  /** A serving certificate for biplane itself (DNS names and IPs, no SPIFFE URI), e.g. for its TLS ports. */
  async issueServing(publicKey: CryptoKey, names: { dns?: readonly string[]; ips?: readonly string[] }, ttlSeconds: number, now = new Date()): Promise<string[]> {
    const sans = [...(names.dns ?? []).map((value) => ({ type: 'dns' as const, value })), ...(names.ips ?? []).map((value) => ({ type: 'ip' as const, value }))];
    return this.#issue(publicKey, sans, new Date(now.getTime() + ttlSeconds * 1000), now);
  }

  /** One leaf: not a CA, signing and key encipherment, server and client auth, the SANs only (critical: no subject). */
  async #issue(publicKey: x509.PublicKeyType, sans: x509.JsonGeneralNames, notAfter: Date, now: Date): Promise<string[]> {
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      issuer: this.#signer.subjectName.toJSON(),
      subject: [],
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(Math.min(notAfter.getTime(), this.#signer.notAfter.getTime())),
      publicKey,
      signingKey: this.#key,
      signingAlgorithm: signingAlgorithm(this.#key),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension(sans, true),
        await x509.AuthorityKeyIdentifierExtension.create(this.#signer.publicKey),
      ],
    });
    return [`${leaf.toString('pem')}\n`, ...this.#chainAfterLeaf];
  }
}
