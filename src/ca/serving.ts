// serve's own TLS certificate, issued by its workload CA when TLS is asked for without --tls-cert (as istiod's
// self-signed DNS certificate): a fresh P-256 key and a leaf for biplane's Service names and loopback, written with
// the CA's root to a private folder the TLS port's file provider watches, and renewed at half its life, so the port
// rotates it as it rotates operator-provided files.
import { chmod, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CertificateAuthority } from './authority.ts';
import { generateKeyPair, privateKeyPem } from './keys.ts';

/** The names biplane's serving certificate carries. */
export interface ServingNames {
  readonly dns: readonly string[];
  readonly ips: readonly string[];
}

/** The DNS names of biplane's Service in `namespace` (short and cluster-local), and localhost (what gRPC checks over a Unix socket). */
export function defaultServingNames(namespace: string): ServingNames {
  return { dns: [`biplane.${namespace}.svc`, `biplane.${namespace}.svc.cluster.local`, 'localhost'], ips: ['127.0.0.1', '::1'] };
}

/** How long a serving certificate lives; it is renewed at half. */
export const SERVING_TTL_SECONDS = 24 * 3600;

/** The certificate files of the TLS port, kept issued and renewed by the CA until `close`. */
export class ServingCertificate {
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(
    readonly dir: string,
    private readonly ca: CertificateAuthority,
    private readonly names: ServingNames,
    private readonly ttlSeconds: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Issues the first certificate into a new private folder; rejects when the CA cannot issue it. */
  static async start(ca: CertificateAuthority, names: ServingNames, log: (line: string) => void, ttlSeconds = SERVING_TTL_SECONDS): Promise<ServingCertificate> {
    const dir = await mkdtemp(path.join(tmpdir(), 'biplane-serving-'));
    await chmod(dir, 0o700);
    const serving = new ServingCertificate(dir, ca, names, ttlSeconds, log);
    await writeFile(serving.rootFile, ca.rootPem);
    await serving.#issue();
    return serving;
  }

  /** The certificate chain (leaf first, without the root). */
  get certFile(): string {
    return path.join(this.dir, 'tls.crt');
  }

  /** Its private key. */
  get keyFile(): string {
    return path.join(this.dir, 'tls.key');
  }

  /** The CA's root: the default client CA of the TLS port. */
  get rootFile(): string {
    return path.join(this.dir, 'root-cert.pem');
  }

  /** Stops renewing and removes the folder. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await rm(this.dir, { recursive: true, force: true });
  }

  async #issue(): Promise<void> {
    const keys = await generateKeyPair();
    const chain = await this.ca.issueServing(keys.publicKey, this.names, this.ttlSeconds);
    // The key first: the file provider takes a pair only when key and certificate match.
    await replace(this.keyFile, await privateKeyPem(keys.privateKey), 0o600);
    await replace(this.certFile, chain.slice(0, -1).join(''), 0o644);
    this.log(`serving certificate for ${[...this.names.dns, ...this.names.ips].join(', ')} issued by the workload CA, renewed in ${Math.round(this.ttlSeconds / 2)} s`);
    this.#schedule(this.ttlSeconds * 500);
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#issue().catch((err: Error) => {
        this.log(`serving certificate renewal failed, retrying in 60 s: ${err.message}`);
        this.#schedule(60_000);
      });
    }, ms);
    this.#timer.unref();
  }
}

/** Writes `file` whole (a temporary file renamed over it). */
async function replace(file: string, text: string, mode: number): Promise<void> {
  const next = `${file}.next`;
  await writeFile(next, text, { mode });
  await rename(next, file);
}
