// Keys and PEM for the CA and the agent: ECDSA P-256 key pairs from WebCrypto, private keys to and from PKCS#8 PEM
// (a user's key may also be SEC1 or PKCS#1 PEM, EC P-256/P-384 or RSA), and certificate bundles split into PEMs.
import { createPrivateKey, webcrypto } from 'node:crypto';
import { x509 } from '../trust/x509.ts';

const subtle = webcrypto.subtle;

/** WebCrypto's key type, from Node (the project compiles without the DOM library). */
export type CryptoKey = webcrypto.CryptoKey;
/** A WebCrypto key pair, from Node likewise. */
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** The key algorithm biplane generates for roots and workloads. */
export const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** A fresh extractable ECDSA P-256 key pair. */
export function generateKeyPair(): Promise<CryptoKeyPair> {
  return subtle.generateKey(P256, true, ['sign', 'verify']);
}

/** A private key as PKCS#8 PEM. */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await subtle.exportKey('pkcs8', key));
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** The WebCrypto signing algorithm that goes with a key (SHA-256, or SHA-384 for P-384). */
export function signingAlgorithm(key: CryptoKey): { name: string; hash?: string } {
  const algorithm = key.algorithm as { name: string; namedCurve?: string };
  if (algorithm.name === 'ECDSA') return { name: 'ECDSA', hash: algorithm.namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256' };
  return { name: algorithm.name };
}

/** Reads a private key in any PEM form Node knows (PKCS#8, SEC1, PKCS#1): EC P-256/P-384 or RSA; throws otherwise. */
export async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const key = createPrivateKey(pem);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : undefined;
    if (!namedCurve) throw new Error(`EC key on curve ${curve ?? 'unknown'}: only P-256 and P-384 are supported`);
    return subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, true, ['sign']);
  }
  if (key.asymmetricKeyType === 'rsa') {
    return subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['sign']);
  }
  throw new Error(`a ${key.asymmetricKeyType ?? 'unknown'} key: only EC (P-256, P-384) and RSA keys are supported`);
}

/** Every certificate PEM block in a bundle, in order (anything between blocks is ignored). */
export function splitPemCertificates(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}

/** A random positive 128-bit serial number in hex (the top bit clear, so DER needs no sign byte). */
export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}
