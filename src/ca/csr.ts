// What the CA accepts as a certificate signing request: one PKCS#10 PEM whose signature verifies with its own key,
// whose key is EC P-256/P-384 or RSA of at least 2048 bits, and whose URI SANs are exactly the caller's SPIFFE ID.
import { createPublicKey } from 'node:crypto';
import { x509 } from '../trust/x509.ts';
import { CsrError } from './authority.ts';

/** The largest CSR PEM read (a P-256 CSR is well under 1 KiB; RSA 4096 about 2 KiB). */
const MAX_CSR_CHARS = 16 * 1024;

/** The CSR, parsed and checked for `uri`; throws `CsrError` ('invalid' or 'denied') with the reason. */
export async function checkCsr(pem: string, uri: string): Promise<x509.Pkcs10CertificateRequest> {
  if (pem.length > MAX_CSR_CHARS) throw new CsrError('invalid', `CSR of ${pem.length} characters, more than ${MAX_CSR_CHARS}`);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch (err) {
    throw new CsrError('invalid', `CSR does not parse as PKCS#10 PEM: ${(err as Error).message}`);
  }
  const keyProblem = publicKeyProblem(csr);
  if (keyProblem) throw new CsrError('invalid', keyProblem);
  const signed = await csr.verify().catch(() => false);
  if (!signed) throw new CsrError('invalid', 'CSR signature does not verify with its public key');
  const uris = requestedUris(csr);
  if (uris.length === 0) throw new CsrError('invalid', `CSR names no URI SAN; it must name exactly ${uri}`);
  if (uris.length !== 1 || uris[0] !== uri) throw new CsrError('denied', `CSR asks for ${uris.join(', ')}; the caller may only have ${uri}`);
  return csr;
}

/** The URI SANs the CSR asks for (in its extension request attribute). */
function requestedUris(csr: x509.Pkcs10CertificateRequest): string[] {
  const san = csr.getExtension('2.5.29.17');
  if (!(san instanceof x509.SubjectAlternativeNameExtension)) return [];
  return san.names.toJSON().filter((n) => n.type === 'url').map((n) => n.value);
}

/** Why the CSR's key is not one the CA signs for; undefined when it is. */
function publicKeyProblem(csr: x509.Pkcs10CertificateRequest): string | undefined {
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch (err) {
    return `CSR public key does not parse: ${(err as Error).message}`;
  }
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec' && (details?.namedCurve === 'prime256v1' || details?.namedCurve === 'secp384r1')) return undefined;
  if (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) return undefined;
  return `CSR key is ${key.asymmetricKeyType ?? 'unknown'}${details?.namedCurve ? ` on ${details.namedCurve}` : ''}${details?.modulusLength ? ` of ${details.modulusLength} bits` : ''}: only EC P-256/P-384 and RSA of 2048 bits or more are signed`;
}
