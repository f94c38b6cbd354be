// The live-cluster source: one reflector per watched collection feeding an ObjectStore. Each object is schema-checked
// by the model before it is stored; a rejected object keeps its previous good version and is reported in problems().
// API discovery runs at start and then every `discoveryIntervalMs` (sooner when a CRD's request answers 404), starting
// the reflectors of an Istio CRD (ServiceEntry, PeerAuthentication) when it appears and stopping them, dropping their
// objects, when it goes.
import { checkObject, hasErrors } from '../../model/index.ts';
import { compareStrings } from '../../compare-strings.ts';
import type { ObjectKey, Origin, Problem, SourceObject } from '../../model/types.ts';
import { keyString, ObjectStore } from '../store.ts';
import type { Source, SourceChange, SourceHealth } from '../types.ts';
import { ApisApi, type KubeConfig } from './client.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import { describeError, toFailure } from './errors.ts';
import { Reflector } from './reflector.ts';
import { KUBE_RESOURCES, makeLister, pluralKind, type KubeResource } from './resources.ts';
import { DEFAULT_KUBE_TIMING, backoffDelay, type KubeTiming } from './timing.ts';

type Json = Record<string, unknown>;

const MAX_UNKEYED_PROBLEMS = 100;
const MAX_NOTES = 100;

const CRDS = KUBE_RESOURCES.filter((r) => r.crd === true);

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
  /** The reflectors of each Istio CRD the cluster serves now, by kind. */
  readonly #crds = new Map<string, Reflector[]>();
  #kc: KubeConfig | undefined;
  #discovery: NodeJS.Timeout | undefined;
  #discovering = false;
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

  /** Connects, discovers which Istio CRDs are served, lists everything and starts watching. */
  async start(): Promise<void> {
    const kc = this.#options.kubeConfig ?? loadKubeConfig(this.#options);
    this.#kc = kc;
    const deadline = setTimeout(() => void this.stop(), this.#timing.startTimeoutMs);
    try {
      const served = await this.#discoverAtStart(kc);
      if (this.#stopped) throw new Error(this.#startFailure());
      for (const resource of KUBE_RESOURCES) {
        if (resource.crd !== true) this.#reflectors.push(...this.#makeReflectors(kc, resource));
      }
      for (const crd of CRDS) {
        if (served.has(crd.apiVersion)) this.#crds.set(crd.kind, this.#makeReflectors(kc, crd));
        else this.#note(`${pluralKind(crd)} are not watched: the cluster does not serve ${crd.apiVersion}`);
      }
      const all = [...this.#reflectors, ...this.#crdReflectors()];
      for (const r of all) r.start();
      const stopped = new Promise<void>((resolve) => (this.#wake = resolve));
      await Promise.race([Promise.all(all.map((r) => r.synced)), stopped]);
      if (this.#stopped) throw new Error(this.#startFailure());
      this.#scheduleDiscovery(this.#timing.discoveryIntervalMs);
    } finally {
      clearTimeout(deadline);
    }
  }

  /** Stops every reflector and the rediscovery; the objects stay readable. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    clearTimeout(this.#discovery);
    await Promise.all([...this.#reflectors, ...this.#crdReflectors()].map((r) => r.stop()));
  }

  #crdReflectors(): Reflector[] {
    return [...this.#crds.values()].flat();
  }

  /** Every good object, sorted by kind, namespace, name. */
  objects(): readonly SourceObject[] {
    return this.#store.objects();
  }

  /** Current problems: rejected objects and failing requests, sorted by object then message. */
  problems(): readonly Problem[] {
    const all = [...this.#scopeProblems.values(), ...this.#objectProblems.values()].flat();
    return all.sort((a, b) => compareStrings(a.origin.object ?? '', b.origin.object ?? '') || compareStrings(a.message, b.message));
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
    // A CRD that keeps coming and going must not grow the notes forever.
    if (this.#notes.length > MAX_NOTES) this.#notes.splice(0, this.#notes.length - MAX_NOTES);
    this.#options.log?.(line);
  }

  #startFailure(): string {
    const why = this.problems().map((p) => p.message);
    const detail = why.length > 0 ? `: ${why.join('; ')}` : '';
    return `kube source did not sync within ${this.#timing.startTimeoutMs} ms (or was stopped)${detail}`;
  }

  /** The group/versions the cluster serves; retries discovery (with backoff) until it answers or the source stops. */
  async #discoverAtStart(kc: KubeConfig): Promise<ReadonlySet<string>> {
    for (let attempt = 0; !this.#stopped; attempt++) {
      const served = await this.#servedGroupVersions(kc);
      if (served !== undefined) return served;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoffDelay(attempt, this.#timing));
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return new Set();
  }

  /** One discovery request: the group/versions `/apis` lists; undefined (and a problem) when it failed. */
  async #servedGroupVersions(kc: KubeConfig): Promise<ReadonlySet<string> | undefined> {
    try {
      const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
      this.#scopeProblems.delete('/apis');
      return new Set(groups.groups.flatMap((g) => g.versions.map((v) => v.groupVersion)));
    } catch (err) {
      // Discovery is a non-resource URL: RBAC grants it by path, not by resource.
      const forbidden = toFailure(err).status === 403;
      const rule = forbidden ? '; missing RBAC permission: verb "get" on nonResourceURLs ["/apis"] through a ClusterRole' : '';
      this.#scopeProblems.set('/apis', [requestProblem('/apis', `API discovery failed: ${describeError(err)}${rule}`)]);
      return undefined;
    }
  }

  /** Runs discovery again after `ms` (unless one is already due sooner or running). */
  #scheduleDiscovery(ms: number): void {
    if (this.#stopped || this.#discovering) return;
    clearTimeout(this.#discovery);
    this.#discovery = setTimeout(() => void this.#rediscover(), ms);
  }

  /** Starts or stops each CRD's reflectors as the cluster starts or stops serving it. */
  async #rediscover(): Promise<void> {
    const kc = this.#kc;
    if (this.#stopped || !kc) return;
    this.#discovering = true;
    try {
      const served = await this.#servedGroupVersions(kc);
      if (this.#stopped || !served) return;
      for (const crd of CRDS) {
        const running = this.#crds.get(crd.kind);
        if (served.has(crd.apiVersion) && !running) {
          const started = this.#makeReflectors(kc, crd);
          this.#crds.set(crd.kind, started);
          for (const r of started) r.start();
          this.#note(`${pluralKind(crd)} are now watched: the cluster serves ${crd.apiVersion}`);
        } else if (!served.has(crd.apiVersion) && running) {
          this.#crds.delete(crd.kind);
          await Promise.all(running.map((r) => r.stop()));
          this.#dropKind(crd.kind, running);
          this.#note(`${pluralKind(crd)} are no longer watched: the cluster stopped serving ${crd.apiVersion}`);
        }
      }
    } finally {
      this.#discovering = false;
      this.#scheduleDiscovery(this.#timing.discoveryIntervalMs);
    }
  }

  /** Forgets every object of a CRD and the problems of its stopped reflectors: the CRD, and with it the objects, is gone. */
  #dropKind(kind: string, stopped: readonly Reflector[]): void {
    for (const r of stopped) {
      this.#scopeProblems.delete(r.name);
      this.#scopeProblems.delete(`${r.name}#objects`);
    }
    for (const k of [...this.#objectProblems.keys()]) if (k.startsWith(`${kind}/`)) this.#objectProblems.delete(k);
    const gone = this.#store.objects().filter((o) => o.origin.source === 'kube' && o.key.kind === kind);
    if (gone.length > 0) this.#store.apply([], gone.map((o) => o.key));
  }

  /** The reflectors of one resource: one cluster-wide, or one per configured namespace. */
  #makeReflectors(kc: KubeConfig, resource: KubeResource): Reflector[] {
    const lister = makeLister(kc, resource);
    const scopes = resource.namespaced && this.#options.namespaces ? [...new Set(this.#options.namespaces)] : [undefined];
    return scopes.map((namespace) => {
      const reflector: Reflector = new Reflector(kc, resource, namespace, lister, this.#timing, {
        replace: (items) => this.#replace(reflector.name, resource, namespace, items),
        upsert: (item) => this.#upsert(reflector.name, item),
        remove: (item) => this.#remove(item),
        failure: (message) => this.#failure(reflector.name, message),
        // A collection that is no longer served: the CRD may be gone, so ask discovery now rather than later.
        notFound: () => this.#scheduleDiscovery(0),
      });
      return reflector;
    });
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

