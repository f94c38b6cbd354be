// Throwaway serving certificates for TLS tests: a self-signed ECDSA P-256 certificate for loopback (localhost,
// 127.0.0.1, ::1) and its key, as PEM, made with the project's x509 module.
import { webcrypto } from 'node:crypto';
import { x509 } from '../../src/trust/x509.ts';

/** A certificate and key in PEM, and the certificate's serial number in upper-case hex, as Node's getPeerCertificate shows it. */
export interface ServingCert {
  readonly cert: string;
  readonly key: string;
  readonly serial: string;
}

type SelfSignedParams = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0];

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

/** A self-signed serving certificate named `cn`, valid for an hour on loopback of both families. */
export async function loopbackCert(cn = 'biplane.biplane-system.svc'): Promise<ServingCert> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const serial = webcrypto.getRandomValues(new Uint8Array(8));
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(serial).toString('hex'),
    name: `CN=${cn}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys: keys as SelfSignedParams['keys'],
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'dns', value: cn },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
      new x509.BasicConstraintsExtension(true, undefined, true),
    ],
  });
  const key = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: cert.toString('pem'), key: pem('PRIVATE KEY', key), serial: cert.serialNumber.toUpperCase() };
}
