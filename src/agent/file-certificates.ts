// A CertificateSource over files, as Istio's agent reads mounted certificates: `cert-chain.pem`, `key.pem` and
// `root-cert.pem` in one folder. Read at start and again whenever the folder changes (debounced), so a rotation by
// whatever writes them (a CSI driver, cert-manager, a test) reaches Envoy over SDS; a half-written or unreadable set
// keeps the previous certificate. The workload CA client is the other implementation.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CertificateSource, WorkloadCertificate } from '../trust/identity.ts';
import { x509 } from '../trust/x509.ts';

/** The file names Istio uses for mounted workload certificates. */
export const CERTIFICATE_FILES = { chain: 'cert-chain.pem', key: 'key.pem', root: 'root-cert.pem' } as const;

/** Reads one certificate set; rejects when a file is missing or the chain's leaf does not parse. */
export async function readCertificateDir(dir: string): Promise<WorkloadCertificate> {
  const [certChainPem, privateKeyPem, rootCertPem] = await Promise.all(
    [CERTIFICATE_FILES.chain, CERTIFICATE_FILES.key, CERTIFICATE_FILES.root].map((f) => readFile(path.join(dir, f), 'utf8')),
  ) as [string, string, string];
  const leaf = new x509.X509Certificate(certChainPem);
  return { certChainPem, privateKeyPem, rootCertPem, notAfter: leaf.notAfter };
}

/** A CertificateSource over a certificate folder; `start` reads it the first time and begins watching. */
export class FileCertificateSource implements CertificateSource {
  #cert: WorkloadCertificate | undefined;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #listeners = new Set<(cert: WorkloadCertificate) => void>();

  constructor(
    readonly dir: string,
    readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Reads the folder (rejects when the first read fails) and watches it for rotations. */
  async start(): Promise<void> {
    this.#cert = await readCertificateDir(this.dir);
    this.#watcher = watch(this.dir, () => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.#reread(), 100);
    });
  }

  current(): WorkloadCertificate | undefined {
    return this.#cert;
  }

  onChange(listener: (cert: WorkloadCertificate) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Stops watching. */
  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
  }

  async #reread(): Promise<void> {
    const next = await readCertificateDir(this.dir).catch((err: Error) => {
      this.log(`certificates in ${this.dir} not read, keeping the previous ones: ${err.message}`);
      return undefined;
    });
    const before = this.#cert;
    if (!next || (before && before.certChainPem === next.certChainPem && before.privateKeyPem === next.privateKeyPem && before.rootCertPem === next.rootCertPem)) return;
    this.#cert = next;
    for (const listener of this.#listeners) listener(next);
  }
}
