// The live-cluster source: one reflector per watched collection feeding an ObjectStore. Each object is schema-checked
// by the model before it is stored; a rejected object keeps its previous good version and is reported in problems().
import { checkObject, hasErrors } from '../../model/index.ts';
import type { ObjectKey, Origin, Problem, SourceObject } from '../../model/types.ts';
import { keyString, ObjectStore } from '../store.ts';
import type { Source, SourceChange, SourceHealth } from '../types.ts';
import { ApisApi, type KubeConfig } from './client.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import { Reflector, describeError } from './reflector.ts';
import { KUBE_RESOURCES, SERVICE_ENTRY_GROUP_VERSION, makeLister, type KubeResource } from './resources.ts';
import { DEFAULT_KUBE_TIMING, backoffDelay, type KubeTiming } from './timing.ts';

type Json = Record<string, unknown>;

const MAX_UNKEYED_PROBLEMS = 100;

/** How to reach the cluster and what to watch. */
export interface KubeSourceOptions {
  /** A kubeconfig file (its current context). */
  readonly kubeconfig?: string;
  /** Use the pod's service account (in-cluster config). */
  readonly inCluster?: boolean;
  /** A ready KubeConfig (tests, embedding); wins over `kubeconfig` and `inCluster`. */
  readonly kubeConfig?: KubeConfig;
  /** Watch namespaced kinds only in these namespaces (Nodes and Namespaces stay cluster-wide). Default: all. */
  readonly namespaces?: readonly string[];
  /** Timing knobs; defaults suit a real cluster. */
  readonly timing?: Partial<KubeTiming>;
  /** Where informational notes go (e.g. "ServiceEntry CRD not installed"); they are also kept in `notes()`. */
  readonly log?: (line: string) => void;
  /** A store to share with another source; by default the source has its own. */
  readonly store?: ObjectStore;
}

/** A `Source` over a live Kubernetes cluster through @kubernetes/client-node. */
export class KubeSource implements Source {
  readonly #options: KubeSourceOptions;
  readonly #timing: KubeTiming;
  readonly #store: ObjectStore;
  readonly #reflectors: Reflector[] = [];
  /** Problems of objects, by key string; problems of unkeyable objects and requests, by reflector path. */
  readonly #objectProblems = new Map<string, readonly Problem[]>();
  readonly #scopeProblems = new Map<string, readonly Problem[]>();
  readonly #notes: string[] = [];
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(options: KubeSourceOptions = {}) {
    this.#options = options;
    this.#timing = { ...DEFAULT_KUBE_TIMING, ...options.timing };
    this.#store = options.store ?? new ObjectStore();
  }

  /** Connects, discovers whether ServiceEntries are served, lists everything and starts watching. */
  async start(): Promise<void> {
    const kc = this.#options.kubeConfig ?? loadKubeConfig(this.#options);
    const deadline = setTimeout(() => void this.stop(), this.#timing.startTimeoutMs);
    try {
      const resources = await this.#resourcesToWatch(kc);
      for (const resource of resources) this.#addReflectors(kc, resource);
      for (const r of this.#reflectors) r.start();
      const stopped = new Promise<void>((resolve) => (this.#wake = resolve));
      await Promise.race([Promise.all(this.#reflectors.map((r) => r.synced)), stopped]);
      if (this.#stopped) throw new Error(this.#startFailure());
    } finally {
      clearTimeout(deadline);
    }
  }

  /** Stops every reflector; the objects stay readable. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await Promise.all(this.#reflectors.map((r) => r.stop()));
  }

  /** Every good object, sorted by kind, namespace, name. */
  objects(): readonly SourceObject[] {
    return this.#store.objects();
  }

  /** Current problems: rejected objects and failing requests, sorted by object then message. */
  problems(): readonly Problem[] {
    const all = [...this.#scopeProblems.values(), ...this.#objectProblems.values()].flat();
    return all.sort((a, b) => compare(a.origin.object ?? '', b.origin.object ?? '') || compare(a.message, b.message));
  }

  /** Unhealthy while a list, watch or discovery request fails (objects of bad content do not count). */
  health(): SourceHealth {
    const failing = [...this.#scopeProblems].filter(([scope]) => !scope.endsWith('#objects')).flatMap(([, problems]) => problems);
    if (failing.length === 0) return { ok: true };
    const shown = failing.slice(0, 3).map((p) => p.message).join('; ');
    return { ok: false, reason: failing.length > 3 ? `${shown}; and ${failing.length - 3} more failing requests` : shown };
  }

  /** Informational notes (not problems), e.g. that ServiceEntries are not served by this cluster. */
  notes(): readonly string[] {
    return this.#notes;
  }

  /** Registers a change listener on the store. */
  onChange(listener: (change: SourceChange) => void): () => void {
    return this.#store.onChange(listener);
  }

  #note(line: string): void {
    this.#notes.push(line);
    this.#options.log?.(line);
  }

  #startFailure(): string {
    const why = this.problems().map((p) => p.message);
    const detail = why.length > 0 ? `: ${why.join('; ')}` : '';
    return `kube source did not sync within ${this.#timing.startTimeoutMs} ms (or was stopped)${detail}`;
  }

  /** The core collections, plus ServiceEntries when discovery lists networking.istio.io/v1. */
  async #resourcesToWatch(kc: KubeConfig): Promise<readonly KubeResource[]> {
    const api = kc.makeApiClient(ApisApi);
    for (let attempt = 0; !this.#stopped; attempt++) {
      try {
        const groups = await api.getAPIVersions();
        const served = groups.groups.some((g) => g.versions.some((v) => v.groupVersion === SERVICE_ENTRY_GROUP_VERSION));
        this.#scopeProblems.delete('/apis');
        if (!served) this.#note(`ServiceEntries are not watched: the cluster does not serve ${SERVICE_ENTRY_GROUP_VERSION}`);
        return KUBE_RESOURCES.filter((r) => served || r.kind !== 'ServiceEntry');
      } catch (err) {
        this.#scopeProblems.set('/apis', [requestProblem('/apis', `API discovery failed: ${describeError(err)}`)]);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoffDelay(attempt, this.#timing));
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    return [];
  }

  #addReflectors(kc: KubeConfig, resource: KubeResource): void {
    const lister = makeLister(kc, resource);
    const scopes = resource.namespaced && this.#options.namespaces ? [...new Set(this.#options.namespaces)] : [undefined];
    for (const namespace of scopes) {
      const reflector: Reflector = new Reflector(kc, resource, namespace, lister, this.#timing, {
        replace: (items) => this.#replace(reflector.name, resource, namespace, items),
        upsert: (item) => this.#upsert(reflector.name, item),
        remove: (item) => this.#remove(item),
        failure: (message) => this.#failure(reflector.name, message),
      });
      this.#reflectors.push(reflector);
    }
  }

  /** A relist: store every good item, keep the previous version of rejected ones, delete what is gone. */
  #replace(scope: string, resource: KubeResource, namespace: string | undefined, items: readonly Json[]): void {
    const good: SourceObject[] = [];
    const present = new Set<string>();
    const unkeyed: Problem[] = [];
    for (const item of items) {
      const checked = check(item);
      if (!checked.key) {
        unkeyed.push(...checked.problems);
        continue;
      }
      const k = keyString(checked.key);
      present.add(k);
      this.#setObjectProblems(k, checked.problems);
      if (checked.object) good.push(checked.object);
    }
    const gone = this.#store
      .objects()
      .filter((o) => o.origin.source === 'kube' && o.key.kind === resource.kind)
      .filter((o) => namespace === undefined || o.key.namespace === namespace)
      .filter((o) => !present.has(keyString(o.key)))
      .map((o) => o.key);
    for (const k of [...this.#objectProblems.keys()]) {
      if (k.startsWith(`${resource.kind}/${namespace === undefined ? '' : `${namespace}/`}`) && !present.has(k)) {
        this.#objectProblems.delete(k);
      }
    }
    this.#setScopeProblems(`${scope}#objects`, unkeyed);
    this.#store.apply(good, gone);
  }

  #upsert(scope: string, item: Json): void {
    const checked = check(item);
    if (!checked.key) {
      // Kept until the next relist of this collection; bounded so a misbehaving server cannot grow it forever.
      const earlier = this.#scopeProblems.get(`${scope}#objects`) ?? [];
      this.#setScopeProblems(`${scope}#objects`, [...earlier, ...checked.problems].slice(-MAX_UNKEYED_PROBLEMS));
      return;
    }
    this.#setObjectProblems(keyString(checked.key), checked.problems);
    if (checked.object) this.#store.apply([checked.object], []);
  }

  #remove(item: Json): void {
    const checked = check(item);
    if (!checked.key) return;
    this.#objectProblems.delete(keyString(checked.key));
    this.#store.apply([], [checked.key]);
  }

  #failure(scope: string, message: string | undefined): void {
    this.#setScopeProblems(scope, message === undefined ? [] : [requestProblem(scope, message)]);
  }

  #setObjectProblems(key: string, problems: readonly Problem[]): void {
    if (problems.length > 0) this.#objectProblems.set(key, problems);
    else this.#objectProblems.delete(key);
  }

  #setScopeProblems(scope: string, problems: readonly Problem[]): void {
    if (problems.length > 0) this.#scopeProblems.set(scope, problems);
    else this.#scopeProblems.delete(scope);
  }
}

interface Checked {
  readonly key?: ObjectKey;
  /** The object to store, absent when the check found errors. */
  readonly object?: SourceObject;
  readonly problems: readonly Problem[];
}

/** Runs the model's schema check on one raw object and builds its SourceObject when it passes. */
function check(raw: Json): Checked {
  const origin: Origin = { source: 'kube', object: rawRef(raw) };
  const result = checkObject(raw, origin);
  if (!result.key) return { problems: result.problems };
  const key = result.key;
  if (hasErrors(result.problems)) return { key, problems: result.problems };
  const meta = raw['metadata'] as Json;
  const version = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : '';
  const object: SourceObject = { key, object: raw, origin: { source: 'kube', object: ref(key) }, version };
  return { key, object, problems: result.problems };
}

/** `Kind/namespace/name` (or `Kind/name`) as far as a raw object tells, for problems found before it has a key. */
function rawRef(raw: Json): string {
  const meta = typeof raw['metadata'] === 'object' && raw['metadata'] !== null ? (raw['metadata'] as Json) : {};
  const parts = [raw['kind'], meta['namespace'], meta['name']].filter((p) => typeof p === 'string' && p !== '');
  return parts.join('/');
}

function ref(key: ObjectKey): string {
  return key.namespace === '' ? `${key.kind}/${key.name}` : `${key.kind}/${key.namespace}/${key.name}`;
}

function requestProblem(scope: string, message: string): Problem {
  return { severity: 'error', message, origin: { source: 'kube', object: scope } };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
