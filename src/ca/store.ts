// Where the CA's root lives between starts: a folder (`--ca-dir`, manifest mode), a Kubernetes Secret (live cluster,
// through a small `SecretApi` so the kube client stays in kube-secrets.ts), or files the user provides. The first start
// generates a self-signed root; every later start, and every other replica, reads the same one.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chainFromBundle, createRoot } from './authority.ts';
import type { CaMaterial } from './authority.ts';

/** File (and Secret key) names, as Istio's `cacerts` and `istio-ca-secret` spell them. */
export const CA_FILES = { cert: 'ca-cert.pem', key: 'ca-key.pem', chain: 'cert-chain.pem', root: 'root-cert.pem' } as const;

/** The name of the Secret holding the generated root in biplane's namespace. */
export const CA_SECRET_NAME = 'biplane-ca';

/** The root certificate of some material (the last of its chain, or the signer itself). */
export function rootOf(material: CaMaterial): string {
  return material.chainPems[material.chainPems.length - 1] ?? material.certPem;
}

/** Material as the files / Secret keys hold it (the chain bundle only when there is one). */
export function materialFiles(material: CaMaterial): Record<string, string> {
  return {
    [CA_FILES.cert]: material.certPem,
    [CA_FILES.key]: material.keyPem,
    [CA_FILES.root]: rootOf(material),
    ...(material.chainPems.length > 0 ? { [CA_FILES.chain]: material.chainPems.join('') } : {}),
  };
}

/** Material from files / Secret keys; undefined when the certificate or key is missing. */
export function materialFrom(files: Readonly<Record<string, string | undefined>>): CaMaterial | undefined {
  const certPem = files[CA_FILES.cert];
  const keyPem = files[CA_FILES.key];
  if (!certPem || !keyPem) return undefined;
  const chain = files[CA_FILES.chain];
  return { certPem, keyPem, chainPems: chain ? chainFromBundle(certPem, chain) : [] };
}

async function readOptional(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${file}: ${err.message}`);
  });
}

/** Writes a file through a temporary name and a rename, so a reader never sees half of it. */
async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode });
  await chmod(temp, mode);
  await rename(temp, file);
}

/**
 * The CA of a folder: reads `ca-cert.pem` + `ca-key.pem` (and `cert-chain.pem`) when present, else generates a root
 * and writes them (the key 0600). Always (re)writes `root-cert.pem`, the file pods are given to trust.
 */
export async function loadCaDir(dir: string, trustDomain: string): Promise<{ material: CaMaterial; created: boolean }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const names = [CA_FILES.cert, CA_FILES.key, CA_FILES.chain] as const;
  const [cert, key, chain] = await Promise.all(names.map((n) => readOptional(path.join(dir, n))));
  if ((cert === undefined) !== (key === undefined)) {
    throw new Error(`${dir} holds ${cert === undefined ? CA_FILES.key : CA_FILES.cert} without ${cert === undefined ? CA_FILES.cert : CA_FILES.key}: restore it or empty the folder`);
  }
  const existing = materialFrom({ [CA_FILES.cert]: cert, [CA_FILES.key]: key, [CA_FILES.chain]: chain });
  const material = existing ?? (await createRoot(trustDomain));
  if (!existing) {
    await writeAtomic(path.join(dir, CA_FILES.key), material.keyPem, 0o600);
    await writeAtomic(path.join(dir, CA_FILES.cert), material.certPem, 0o644);
  }
  await writeAtomic(path.join(dir, CA_FILES.root), rootOf(material), 0o644);
  return { material, created: !existing };
}

/** A CA the user provides: signing certificate, its key, and (for an intermediate) the chain up to the root. */
export async function loadUserCa(certFile: string, keyFile: string, chainFile?: string): Promise<CaMaterial> {
  const read = (file: string): Promise<string> => readFile(file, 'utf8').catch((err: Error) => Promise.reject(new Error(`cannot read ${file}: ${err.message}`)));
  const [certPem, keyPem, chain] = await Promise.all([read(certFile), read(keyFile), chainFile ? read(chainFile) : undefined]);
  return { certPem, keyPem, chainPems: chain ? chainFromBundle(certPem, chain) : [] };
}

/** The few Secret operations the CA needs, in one namespace; data values are plain text (not base64). */
export interface SecretApi {
  /** The Secret's data, or undefined when it does not exist. */
  read(name: string): Promise<Record<string, string> | undefined>;
  /** Creates it; 'exists' when another writer created it first (HTTP 409). */
  create(name: string, data: Record<string, string>): Promise<'created' | 'exists'>;
}

/**
 * The CA of a Secret: reads it, or generates a root and creates the Secret; when a racing replica created it first,
 * reads theirs, so every replica signs with one root.
 */
export async function loadCaSecret(api: SecretApi, trustDomain: string, name = CA_SECRET_NAME): Promise<{ material: CaMaterial; created: boolean }> {
  const found = await api.read(name);
  if (found) return { material: materialOrThrow(found, name), created: false };
  const material = await createRoot(trustDomain);
  if ((await api.create(name, materialFiles(material))) === 'created') return { material, created: true };
  const theirs = await api.read(name);
  if (!theirs) throw new Error(`Secret ${name} was created by someone else but cannot be read back`);
  return { material: materialOrThrow(theirs, name), created: false };
}

function materialOrThrow(data: Record<string, string>, name: string): CaMaterial {
  const material = materialFrom(data);
  if (!material) throw new Error(`Secret ${name} lacks ${CA_FILES.cert} or ${CA_FILES.key}`);
  return material;
}
