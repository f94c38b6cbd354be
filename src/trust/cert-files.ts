// Server certificates read from files and re-read when they change, for grpc-js's certificate-provider credentials:
// a new pair (and client CA) only takes effect once it loads as a whole (key matches certificate, PEM parses), so a
// rotation caught half-written keeps the previous pair; connections already open keep theirs, new ones get the new.
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { experimental } from '@grpc/grpc-js';
import type { ServerCredentials } from '@grpc/grpc-js';

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** The files of a TLS server: its certificate chain and key, and optionally the CA that signs client certificates. */
export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile?: string;
  /** How often the files' change times are checked (default 1000 ms). */
  readonly pollMs?: number;
}

interface Loaded {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
}

/** A grpc-js CertificateProvider over files: identity (certificate and key) and, when given, the client CA. */
export class FileCertificateProvider implements experimental.CertificateProvider {
  readonly #files: CertFiles;
  readonly #ca = new Set<CaListener>();
  readonly #identity = new Set<IdentityListener>();
  #loaded: Loaded;
  #stamp: string;
  /** The stamp of a set that failed to load, so it is not read again until a file changes once more. */
  #failed: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** How many times a changed set of files was loaded after the first, and why the last rejected change failed. */
  reloads = 0;
  lastError: string | undefined;

  /** Loads the files now; throws a clear error when they do not load (wrong path, key not matching, bad PEM). */
  constructor(files: CertFiles) {
    this.#files = files;
    this.#stamp = this.#changeStamp();
    this.#loaded = load(files);
  }

  /** Stops watching the files. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  addCaCertificateListener(listener: CaListener): void {
    this.#ca.add(listener);
    this.#watch();
    // grpc-js registers its watcher after adding listeners: answer on the next tick so the watcher sees it.
    queueMicrotask(() => this.#ca.has(listener) && listener(this.#caUpdate()));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#ca.delete(listener);
    this.#unwatchIfIdle();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identity.add(listener);
    this.#watch();
    queueMicrotask(() => this.#identity.has(listener) && listener(this.#identityUpdate()));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identity.delete(listener);
    this.#unwatchIfIdle();
  }

  #caUpdate(): experimental.CaCertificateUpdate | null {
    return this.#loaded.ca ? { caCertificate: this.#loaded.ca } : null;
  }

  #identityUpdate(): experimental.IdentityCertificateUpdate {
    return { certificate: this.#loaded.cert, privateKey: this.#loaded.key };
  }

  #watch(): void {
    this.#timer ??= setInterval(() => this.#check(), this.#files.pollMs ?? 1000);
    this.#timer.unref();
  }

  #unwatchIfIdle(): void {
    if (this.#ca.size === 0 && this.#identity.size === 0) this.close();
  }

  #check(): void {
    const stamp = this.#changeStamp();
    if (stamp === this.#stamp || stamp === this.#failed) return;
    try {
      this.#loaded = load(this.#files);
    } catch (err) {
      this.#failed = stamp;
      this.lastError = (err as Error).message;
      return; // keep the last good pair; try again when the files change again
    }
    this.#stamp = stamp;
    this.lastError = undefined;
    this.reloads += 1;
    for (const l of this.#identity) l(this.#identityUpdate());
    for (const l of this.#ca) l(this.#caUpdate());
  }

  /** Size and change time of every file, so any rewrite (also a rename over it) is noticed. */
  #changeStamp(): string {
    const files = [this.#files.certFile, this.#files.keyFile, ...(this.#files.clientCaFile ? [this.#files.clientCaFile] : [])];
    return files.map((f) => {
      try {
        const s = statSync(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    }).join('|');
  }
}

/** Reads and checks the files as one set; throws naming the file or the mismatch. */
function load(files: CertFiles): Loaded {
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const cert = read(files.certFile, 'TLS certificate');
  const key = read(files.keyFile, 'TLS key');
  const ca = files.clientCaFile ? read(files.clientCaFile, 'client CA') : undefined;
  try {
    createSecureContext({ cert, key, ...(ca ? { ca } : {}) });
  } catch (err) {
    throw new Error(`TLS files ${files.certFile} and ${files.keyFile}${ca ? ` with client CA ${files.clientCaFile}` : ''} do not load: ${(err as Error).message}`);
  }
  return { cert, key, ca };
}

/**
 * TLS server credentials that follow the files. Client certificates are asked for when a client CA is given but not
 * required (a caller may use a bearer token instead); only a certificate that chains to the CA counts as verified.
 */
export function fileServerCredentials(provider: FileCertificateProvider, withClientCa: boolean): ServerCredentials {
  // grpc-js passes its first argument on as the identity provider and the second as the CA provider.
  return experimental.createCertificateProviderServerCredentials(provider, withClientCa ? provider : null, false);
}
