// `biplane serve`'s CA from its flags: which store holds the root (folder, Secret, user files), the trust domain and
// certificate lifetimes, loaded into a ready CertificateAuthority.
import { loadKubeConfig } from '../sources/kube/kubeconfig.ts';
import type { KubeConfigChoice } from '../sources/kube/kubeconfig.ts';
import { CertificateAuthority } from './authority.ts';
import type { CaPolicy } from './authority.ts';
import type { Source } from '../sources/types.ts';
import { kubeConfigMapApi } from './kube-configmaps.ts';
import { kubeSecretApi } from './kube-secrets.ts';
import { RootPublisher, namespacesOf } from './root-configmaps.ts';
import { CA_SECRET_NAME, loadCaDir, loadCaSecret, loadUserCa } from './store.ts';

/** Where the CA's root comes from. */
export type CaStore =
  | { readonly kind: 'dir'; readonly dir: string }
  | { readonly kind: 'files'; readonly cert: string; readonly key: string; readonly chain?: string }
  | { readonly kind: 'secret'; readonly cluster: KubeConfigChoice; readonly namespace: string };

/** Everything `loadCa` needs. */
export interface CaSettings {
  readonly store: CaStore;
  readonly trustDomain: string;
  readonly policy: CaPolicy;
  /** The watched cluster, whose namespaces get the root ConfigMap; none with manifests. */
  readonly cluster?: KubeConfigChoice;
}

/** Reads "90s", "30m", "24h", "90d" or plain seconds; undefined for anything else or zero. */
export function parseTtl(text: string): number | undefined {
  const m = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  const seconds = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** The CA and a line saying where its root came from; rejects with a message naming the store. */
export async function loadCa(settings: CaSettings): Promise<{ ca: CertificateAuthority; origin: string }> {
  const { store, trustDomain, policy } = settings;
  if (store.kind === 'files') {
    const ca = await CertificateAuthority.load(await loadUserCa(store.cert, store.key, store.chain), policy);
    return { ca, origin: `the CA of ${store.cert}` };
  }
  if (store.kind === 'dir') {
    const { material, created } = await loadCaDir(store.dir, trustDomain);
    return { ca: await CertificateAuthority.load(material, policy), origin: `${created ? 'a new root written to' : 'the root kept in'} ${store.dir}` };
  }
  const api = kubeSecretApi(loadKubeConfig(store.cluster), store.namespace);
  const { material, created } = await loadCaSecret(api, trustDomain);
  return { ca: await CertificateAuthority.load(material, policy), origin: `${created ? 'a new root stored in' : 'the root kept in'} Secret ${store.namespace}/${CA_SECRET_NAME}` };
}

/** How often every namespace's root ConfigMap is checked again, changed or not (a deleted one comes back). */
const FULL_RESYNC_MS = 5 * 60_000;

/**
 * For a watched cluster, keeps the root ConfigMap in every namespace the source knows: at once, after every source change,
 * and fully every five minutes. Returns the stop function.
 */
export function publishRoot(cluster: KubeConfigChoice, rootPem: string, source: Source, log: (line: string) => void): () => void {
  const publisher = new RootPublisher(kubeConfigMapApi(loadKubeConfig(cluster)), rootPem, log);
  const sync = (full: boolean): void => void publisher.sync(namespacesOf(source.objects()), full);
  const unsubscribe = source.onChange(() => sync(false));
  const timer = setInterval(() => sync(true), FULL_RESYNC_MS);
  timer.unref();
  sync(false);
  return () => {
    unsubscribe();
    clearInterval(timer);
  };
}
