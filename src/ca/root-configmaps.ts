// Publishes the CA's root to pods as Istio does: a ConfigMap `biplane-ca-root-cert` with `root-cert.pem` in every
// namespace, created where missing and corrected where it holds another root. Failures are logged and retried at the
// next sync; a namespace already published with this root is not asked again until a full resync.
import type { SourceObject } from '../model/types.ts';

/** The ConfigMap each namespace gets (Istio's is `istio-ca-root-cert`). */
export const ROOT_CONFIGMAP = 'biplane-ca-root-cert';
/** Its one key, the root PEM. */
export const ROOT_CONFIGMAP_KEY = 'root-cert.pem';

/** The few ConfigMap operations the publisher needs; data values are plain text. */
export interface ConfigMapApi {
  /** The ConfigMap's data, or undefined when it does not exist. */
  read(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** Creates it; 'exists' when someone created it first (HTTP 409). */
  create(namespace: string, name: string, data: Record<string, string>): Promise<'created' | 'exists'>;
  /** Replaces its data. */
  replace(namespace: string, name: string, data: Record<string, string>): Promise<void>;
}

/** Every namespace the source knows: Namespace objects and the namespaces of namespaced objects, sorted. */
export function namespacesOf(objects: readonly SourceObject[]): string[] {
  const names = new Set<string>();
  for (const { key } of objects) {
    if (key.kind === 'Namespace') names.add(key.name);
    else if (key.namespace) names.add(key.namespace);
  }
  return [...names].sort();
}

/** Keeps `biplane-ca-root-cert` holding the root in every namespace it is shown. */
export class RootPublisher {
  readonly #api: ConfigMapApi;
  readonly #data: Record<string, string>;
  readonly #log: (line: string) => void;
  readonly #published = new Set<string>();
  #running: Promise<void> = Promise.resolve();

  constructor(api: ConfigMapApi, rootPem: string, log: (line: string) => void) {
    this.#api = api;
    this.#data = { [ROOT_CONFIGMAP_KEY]: rootPem };
    this.#log = log;
  }

  /** Publishes to the namespaces not yet done (all of them when `full`); syncs run one after another. */
  sync(namespaces: readonly string[], full = false): Promise<void> {
    this.#running = this.#running.then(() => this.#sync(namespaces, full));
    return this.#running;
  }

  async #sync(namespaces: readonly string[], full: boolean): Promise<void> {
    if (full) this.#published.clear();
    for (const namespace of namespaces) {
      if (this.#published.has(namespace)) continue;
      try {
        await this.#publish(namespace);
        this.#published.add(namespace);
      } catch (err) {
        this.#log(`CA: cannot publish the root to ${namespace}/${ROOT_CONFIGMAP} (retried at the next change): ${(err as Error).message}`);
      }
    }
  }

  async #publish(namespace: string): Promise<void> {
    const found = await this.#api.read(namespace, ROOT_CONFIGMAP);
    if (found?.[ROOT_CONFIGMAP_KEY] === this.#data[ROOT_CONFIGMAP_KEY]) return;
    if (found === undefined && (await this.#api.create(namespace, ROOT_CONFIGMAP, this.#data)) === 'created') return;
    await this.#api.replace(namespace, ROOT_CONFIGMAP, this.#data);
  }
}
