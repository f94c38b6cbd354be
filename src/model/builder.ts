// Incremental model building. Sources keep the same SourceObject instance while an object is unchanged, so a builder
// remembers what it made of each instance, and on every update converts only new instances and re-merges endpoints
// only for the service hostnames whose slices, service, pods or nodes changed. Its output equals `buildModel`'s.
import { isDeepStrictEqual } from 'node:util';
import { KindTracker } from './builder-track.ts';
import type { Converted, KindChange } from './builder-track.ts';
import { HostTable } from './builder-hosts.ts';
import type { HostInputs } from './builder-hosts.ts';
import { checkObject } from './check.ts';
import { readSlice } from './endpoints.ts';
import type { SliceInfo } from './endpoints.ts';
import { compareEndpoints, comparePods, compareServices, podIndex } from './sort-orders.ts';
import { emptyTally, familiesFromTally, familiesOf, tallyFamilies, type FamilyTally } from './cluster-families.ts';
import { buildNode, buildPod } from './pods.ts';
import type { NodeInfo } from './pods.ts';
import { objectRef } from './json-readers.ts';
import { compareStrings } from '../compare-strings.ts';
import { buildPeerAuthentication } from './peer-auth.ts';
import { buildServiceEntries } from './service-entry.ts';
import { buildService } from './services.ts';
import type { Endpoint, MeshModel, ObjectKind, PeerAuthentication, Pod, Problem, Service, SourceObject } from './types.ts';

/** The model plus every problem met building it (objects failing `checkObject` are dropped with their errors). */
export interface BuildResult {
  readonly model: MeshModel;
  readonly problems: Problem[];
}

/** One update's result: the model, and what changed since the previous update ('all' on the first). */
export interface ModelUpdate extends BuildResult {
  /** Hostnames whose services (Service or ServiceEntry) or endpoints were added, removed or changed. */
  readonly changedServices: ReadonlySet<string> | 'all';
  /** `namespace/name` of the pods added, removed or changed. */
  readonly changedPods: ReadonlySet<string> | 'all';
}

/** Builds the model again and again from the whole object list, redoing only what the changed objects touch. */
export interface ModelBuilder {
  /** The model of `objects` (deep-equal to `buildModel(objects)`), with what changed since the previous call. */
  update(objects: readonly SourceObject[]): ModelUpdate;
}

/** A new builder with nothing remembered: its first update converts every object. */
export function createModelBuilder(): ModelBuilder {
  const builder = new Builder();
  return { update: (objects) => builder.update(objects) };
}

type TrackedKind = Exclude<ObjectKind, 'Namespace' | 'PeerAuthentication'>;
const KINDS: readonly TrackedKind[] = ['Node', 'Pod', 'Service', 'ServiceEntry', 'EndpointSlice'];
const byName = (o: SourceObject): string => `${o.key.namespace}/${o.key.name}`;

/** ServiceEntry results, with services and endpoints grouped per host. */
interface Entries {
  readonly services: readonly Service[];
  readonly problems: readonly Problem[];
  readonly byHost: ReadonlyMap<string, Service>;
  readonly groups: ReadonlyMap<string, { readonly services: Service[]; readonly endpoints: Endpoint[] }>;
}

/** What a pod update did: the keys whose Pod changed, each with its Pod before and after (undefined: none). */
interface PodChanges {
  readonly changed: Set<string>;
  readonly swaps: readonly (readonly [Pod | undefined, Pod | undefined])[];
}

/** What one scan of the input found, per kind. */
interface Scan {
  readonly errors: Problem[];
  readonly next: Record<TrackedKind, SourceObject[]>;
  readonly added: Record<TrackedKind, SourceObject[]>;
  readonly repeated: Set<TrackedKind>;
  /** PeerAuthentication objects: few, converted again on every update and compared as a whole. */
  readonly policies: SourceObject[];
}

/** The builder's memory. Mutable by design; every update leaves it describing the latest object list. */
class Builder {
  #generation = 0;
  readonly #converted = new WeakMap<SourceObject, Converted>();
  readonly #trackers: Record<TrackedKind, KindTracker> = {
    Node: new KindTracker((o) => o.key.name),
    Pod: new KindTracker(byName),
    Service: new KindTracker(byName),
    ServiceEntry: new KindTracker((o) => objectRef(o.key)),
    EndpointSlice: new KindTracker((o) => objectRef(o.key)),
  };
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #pods = new Map<string, Pod>();
  readonly #services = new Map<string, Service>();
  #kubeServices: readonly Service[] = [];
  #kubeByHost: ReadonlyMap<string, Service> = new Map();
  #entries: Entries = { services: [], problems: [], byHost: new Map(), groups: new Map() };
  readonly #hosts = new HostTable(compareEndpoints);
  readonly #inputs: HostInputs = {
    service: (host) => this.#kubeByHost.get(host) ?? this.#entries.byHost.get(host),
    pod: (key) => this.#pods.get(key),
    node: (name) => this.#nodes.get(name),
    entryEndpoints: (host) => this.#entries.groups.get(host)?.endpoints ?? [],
  };
  #model: MeshModel | undefined;
  #podTally: FamilyTally = emptyTally();

  update(objects: readonly SourceObject[]): ModelUpdate {
    const generation = ++this.#generation;
    const scan = this.#scan(objects, generation);
    const seenNow = (o: SourceObject): boolean => this.#converted.get(o)?.seen === generation;
    const change = {} as Record<TrackedKind, KindChange | undefined>;
    for (const kind of KINDS) {
      change[kind] = this.#trackers[kind].advance(scan.next[kind], scan.added[kind], scan.repeated.has(kind), seenNow);
    }
    const nodes = this.#updateNodes(change.Node);
    const pods = this.#updatePods(change.Pod, nodes);
    const serviceHosts = this.#updateServices(change.Service);
    const entryHosts = this.#updateEntries(change.ServiceEntry);
    const dirty = this.#refileSlices(change.EndpointSlice);
    for (const host of [...serviceHosts, ...entryHosts.touched]) if (this.#hosts.knows(host)) dirty.add(host);
    for (const key of pods.changed) for (const host of this.#hosts.hostsOfPod(key) ?? []) dirty.add(host);
    for (const name of nodes) for (const host of this.#hosts.hostsOfNode(name) ?? []) dirty.add(host);
    this.#hosts.remerge(dirty, this.#inputs);
    const endpointHosts = this.#hosts.refreshEndpoints(new Set([...dirty, ...entryHosts.touched]), this.#inputs);
    const model = this.#assemble(change, pods, this.#updatePolicies(scan.policies));
    const problems = [...scan.errors, ...this.#entries.problems, ...this.#hosts.problems()];
    const whole = this.#model === undefined || KINDS.some((kind) => change[kind]?.rekeyed === true);
    this.#model = model;
    if (whole) return { model, problems, changedServices: 'all', changedPods: 'all' };
    const changedServices = new Set([...serviceHosts, ...entryHosts.changed, ...endpointHosts]);
    return { model, problems, changedServices, changedPods: pods.changed };
  }

  /** Sorts the input per kind, marks what is new since the previous update and gathers schema errors. */
  #scan(objects: readonly SourceObject[], generation: number): Scan {
    const empty = (): Record<TrackedKind, SourceObject[]> => ({ Node: [], Pod: [], Service: [], ServiceEntry: [], EndpointSlice: [] });
    const scan: Scan = { errors: [], next: empty(), added: empty(), repeated: new Set(), policies: [] };
    for (const object of objects) {
      let converted = this.#converted.get(object);
      if (!converted) {
        const errors = checkObject(object.object, object.origin).problems.filter((p) => p.severity === 'error');
        converted = { errors, seen: -1 };
        this.#converted.set(object, converted);
      }
      const kind = object.key.kind;
      const repeated = converted.seen === generation;
      const fresh = !repeated && converted.seen !== generation - 1;
      converted.seen = generation;
      if (converted.errors.length > 0) {
        scan.errors.push(...converted.errors);
        continue;
      }
      if (kind === 'Namespace') continue;
      if (kind === 'PeerAuthentication') {
        scan.policies.push(object);
        continue;
      }
      scan.next[kind].push(object);
      if (fresh) scan.added[kind].push(object);
      if (repeated) scan.repeated.add(kind);
    }
    return scan;
  }

  #conv(o: SourceObject): Converted {
    return this.#converted.get(o) as Converted;
  }

  /** Brings the node map up to date; returns the names whose NodeInfo really changed. */
  #updateNodes(change: KindChange | undefined): Set<string> {
    const changed = new Set<string>();
    for (const name of change?.keys ?? []) {
      const source = this.#trackers.Node.byKey.get(name);
      const info = source ? (this.#conv(source).node ??= buildNode(source)) : undefined;
      const before = this.#nodes.get(name);
      if (!info) {
        if (before && this.#nodes.delete(name)) changed.add(name);
      } else if (!before || (before !== info && !isDeepStrictEqual(before, info))) {
        this.#nodes.set(name, info);
        changed.add(name);
      }
    }
    return changed;
  }

  #pod(o: SourceObject): Pod {
    const converted = this.#conv(o);
    return (converted.pod ??= buildPod(o, this.#nodes));
  }

  /** Brings the pod map up to date (pods on changed nodes are rebuilt); returns the keys whose Pod changed. */
  #updatePods(change: KindChange | undefined, nodes: ReadonlySet<string>): PodChanges {
    const keys = new Set(change?.keys ?? []);
    if (nodes.size > 0) {
      for (const o of this.#trackers.Pod.list) {
        const converted = this.#conv(o);
        if (converted.pod?.nodeName === undefined || !nodes.has(converted.pod.nodeName)) continue;
        delete converted.pod;
        keys.add(byName(o));
      }
    }
    const changed = new Set<string>();
    const swaps: [Pod | undefined, Pod | undefined][] = [];
    for (const key of keys) {
      const source = this.#trackers.Pod.byKey.get(key);
      const pod = source ? this.#pod(source) : undefined;
      const before = this.#pods.get(key);
      if (!pod || !source) {
        if (before && this.#pods.delete(key)) changed.add(key);
        if (before) swaps.push([before, undefined]);
      } else if (before && (before === pod || isDeepStrictEqual(before, pod))) {
        this.#conv(source).pod = before;
      } else {
        this.#pods.set(key, pod);
        changed.add(key);
        swaps.push([before, pod]);
      }
    }
    return { changed, swaps };
  }

  /** Brings the Kubernetes services up to date; returns the hostnames of the services that changed. */
  #updateServices(change: KindChange | undefined): Set<string> {
    const hosts = new Set<string>();
    if (!change) return hosts;
    for (const key of change.keys) {
      const source = this.#trackers.Service.byKey.get(key);
      const service = source ? (this.#conv(source).service ??= buildService(source)) : undefined;
      const before = this.#services.get(key);
      if (!service || !source) {
        if (before && this.#services.delete(key)) hosts.add(before.hostname);
      } else if (before && (before === service || isDeepStrictEqual(before, service))) {
        this.#conv(source).service = before;
      } else {
        this.#services.set(key, service);
        hosts.add(service.hostname);
        if (before) hosts.add(before.hostname);
      }
    }
    this.#kubeServices = this.#trackers.Service.list.map((o) => (this.#conv(o).service ??= buildService(o)));
    this.#kubeByHost = new Map(this.#kubeServices.map((s) => [s.hostname, s]));
    return hosts;
  }

  /** Rebuilds every ServiceEntry when any changed (VIP allocation is global); returns the hosts touched and changed. */
  #updateEntries(change: KindChange | undefined): { touched: Set<string>; changed: Set<string> } {
    if (!change) return { touched: new Set(), changed: new Set() };
    const built = buildServiceEntries(this.#trackers.ServiceEntry.list);
    const groups = new Map<string, { services: Service[]; endpoints: Endpoint[] }>();
    const group = (host: string): { services: Service[]; endpoints: Endpoint[] } => {
      const found = groups.get(host) ?? { services: [], endpoints: [] };
      groups.set(host, found);
      return found;
    };
    for (const service of built.services) group(service.hostname).services.push(service);
    for (const endpoint of built.endpoints) group(endpoint.service).endpoints.push(endpoint);
    for (const found of groups.values()) found.services.sort(compareServices);
    const before = this.#entries.groups;
    const touched = new Set([...before.keys(), ...groups.keys()]);
    const changed = new Set([...touched].filter((h) => !isDeepStrictEqual(before.get(h)?.services, groups.get(h)?.services)));
    const byHost = new Map(built.services.map((s) => [s.hostname, s]));
    this.#entries = { services: built.services, problems: built.problems, byHost, groups };
    return { touched, changed };
  }

  #slice(o: SourceObject): SliceInfo {
    return (this.#conv(o).slice ??= readSlice(o));
  }

  /** Files added slices under their hostnames and drops removed ones; returns the hostnames touched. */
  #refileSlices(change: KindChange | undefined): Set<string> {
    const dirty = new Set<string>();
    const mark = (host: string | undefined): void => void (host !== undefined && dirty.add(host));
    if (!change) return dirty;
    if (!change.rekeyed) {
      for (const o of change.removed) mark(this.#hosts.removeSlice(this.#slice(o)));
      for (const o of change.added) mark(this.#hosts.addSlice(this.#slice(o)));
      return dirty;
    }
    for (const host of this.#hosts.clearSlices()) dirty.add(host);
    const seen = new Map<string, number>();
    for (const o of this.#trackers.EndpointSlice.list) {
      const info = this.#slice(o);
      const dup = seen.get(info.ref) ?? 0;
      seen.set(info.ref, dup + 1);
      mark(this.#hosts.addSlice(info, dup));
    }
    return dirty;
  }

  /** The PeerAuthentications of this update, the previous list when nothing in them changed. */
  #updatePolicies(objects: readonly SourceObject[]): readonly PeerAuthentication[] {
    const policies = objects.map(buildPeerAuthentication).sort((a, b) => compareStrings(a.namespace, b.namespace) || compareStrings(a.name, b.name));
    const before = this.#model?.peerAuthentications;
    return before && isDeepStrictEqual(before, policies) ? before : policies;
  }

  /** The model, reusing the previous lists that did not change. */
  #assemble(change: Record<TrackedKind, KindChange | undefined>, podChanges: PodChanges, peerAuthentications: readonly PeerAuthentication[]): MeshModel {
    const before = this.#model;
    const servicesChanged = !before || change.Service !== undefined || change.ServiceEntry !== undefined;
    const services = servicesChanged ? [...this.#kubeServices, ...this.#entries.services].sort(compareServices) : before.services;
    const pods = this.#sortedPods(before?.pods, change.Pod, podChanges);
    const endpoints = this.#hosts.endpoints;
    const same = before && services === before.services && pods === before.pods && endpoints === before.endpoints;
    if (same && change.Node === undefined && peerAuthentications === before.peerAuthentications) return before;
    const families = familiesFromTally(this.#kubeServices, [...this.#nodes.values()], this.#podTally);
    return { services, endpoints, pods, kubeClusterFamilies: families, peerAuthentications };
  }

  /**
   * The pods sorted: the previous list with the changed pods taken out and put in (binary search), or all sorted
   * again when there was no previous list or a key has two objects. Keeps the pods' family tally in step.
   */
  #sortedPods(before: readonly Pod[] | undefined, change: KindChange | undefined, podChanges: PodChanges): readonly Pod[] {
    if (!before || change?.rekeyed === true || this.#trackers.Pod.duplicates) {
      const pods = this.#trackers.Pod.list.map((o) => this.#pod(o)).sort(comparePods);
      this.#podTally = emptyTally();
      for (const pod of pods) tallyFamilies(this.#podTally, familiesOf(pod.ips), 1);
      return pods;
    }
    if (podChanges.swaps.length === 0) return before;
    const pods = [...before];
    for (const [old, pod] of podChanges.swaps) {
      if (old) {
        const at = pods.lastIndexOf(old, podIndex(pods, old) - 1);
        if (at >= 0) pods.splice(at, 1);
        tallyFamilies(this.#podTally, familiesOf(old.ips), -1);
      }
      if (pod) {
        pods.splice(podIndex(pods, pod), 0, pod);
        tallyFamilies(this.#podTally, familiesOf(pod.ips), 1);
      }
    }
    return pods;
  }
}
