// The endpoints side of a ModelBuilder: EndpointSlices grouped by service hostname, each hostname's endpoints merged
// on their own (remembering which pods and nodes the merge looked at), and the sorted endpoint list put together
// from the per-hostname lists, so a change re-merges only the hostnames it touches.
import { isDeepStrictEqual } from 'node:util';
import { compareOrdered, hostEndpoints } from './endpoints.ts';
import type { EndpointLookups, HostEndpoints, HostSlice, OrderedProblem, SliceInfo } from './endpoints.ts';
import type { NodeInfo } from './pods.ts';
import { compareStrings } from '../compare-strings.ts';
import type { Endpoint, Pod, Problem, Service } from './types.ts';

/** What merging one hostname's slices read, so a change of any of it redoes the merge. */
interface HostState {
  readonly result: HostEndpoints;
  readonly pods: readonly string[];
  readonly nodes: readonly string[];
}

/** Where a hostname's merge looks things up: the builder's current maps. */
export interface HostInputs {
  service(hostname: string): Service | undefined;
  pod(key: string): Pod | undefined;
  node(name: string): NodeInfo | undefined;
  /** ServiceEntry endpoints of a hostname (they join the slice endpoints in the model). */
  entryEndpoints(hostname: string): readonly Endpoint[];
}

/** Endpoints by service then address: the model's order (spec: services by hostname, endpoints by service). */
export type EndpointOrder = (a: Endpoint, b: Endpoint) => number;

/** Per-hostname endpoint state between updates. Mutable by design: it is the builder's memory. */
export class HostTable {
  readonly #slices = new Map<string, HostSlice[]>();
  readonly #states = new Map<string, HostState>();
  readonly #byPod = new Map<string, Set<string>>();
  readonly #byNode = new Map<string, Set<string>>();
  readonly #final = new Map<string, readonly Endpoint[]>();
  readonly #withProblems = new Set<string>();
  #order: readonly string[] = [];
  #endpoints: readonly Endpoint[] = [];

  constructor(private readonly compare: EndpointOrder) {}

  /** Every endpoint of the model, sorted. */
  get endpoints(): readonly Endpoint[] {
    return this.#endpoints;
  }

  /** Hostnames whose merge read the pod `key`. */
  hostsOfPod(key: string): ReadonlySet<string> | undefined {
    return this.#byPod.get(key);
  }

  /** Hostnames whose merge read the node `name`. */
  hostsOfNode(name: string): ReadonlySet<string> | undefined {
    return this.#byNode.get(name);
  }

  /** Whether a hostname has slices or merged state (so a change of its service matters). */
  knows(hostname: string): boolean {
    return this.#slices.has(hostname) || this.#states.has(hostname);
  }

  /** Removes one slice from its hostname's list; returns the hostname it was filed under. */
  removeSlice(info: SliceInfo): string | undefined {
    const host = info.hostname;
    const list = host === undefined ? undefined : this.#slices.get(host);
    if (host === undefined || !list) return host;
    const kept = list.filter((s) => s.info !== info);
    if (kept.length > 0) this.#slices.set(host, kept);
    else this.#slices.delete(host);
    return host;
  }

  /** Files one slice under its hostname, keeping the list sorted by ref then dup; returns the hostname. */
  addSlice(info: SliceInfo, dup = 0): string | undefined {
    const host = info.hostname;
    if (host === undefined) return undefined;
    const list = [...(this.#slices.get(host) ?? []), { info, dup }];
    list.sort((a, b) => compareStrings(a.info.ref, b.info.ref) || a.dup - b.dup);
    this.#slices.set(host, list);
    return host;
  }

  /** Forgets every slice list (before filing all slices again); returns the hostnames that had one. */
  clearSlices(): string[] {
    const hosts = [...this.#slices.keys()];
    this.#slices.clear();
    return hosts;
  }

  /** Merges the slices of each hostname in `dirty` again (`refreshEndpoints` then tells what really changed). */
  remerge(dirty: Iterable<string>, inputs: HostInputs): void {
    for (const host of dirty) {
      this.#forget(host, this.#states.get(host));
      const slices = this.#slices.get(host);
      if (!slices) continue;
      const pods = new Set<string>();
      const nodes = new Set<string>();
      const lookups: EndpointLookups = {
        pod: (key) => (pods.add(key), inputs.pod(key)),
        node: (name) => (nodes.add(name), inputs.node(name)),
      };
      const result = hostEndpoints(inputs.service(host), slices, lookups);
      this.#remember(host, { result, pods: [...pods], nodes: [...nodes] });
    }
  }

  /**
   * Recomputes the sorted endpoint list of each hostname in `hosts` (slice endpoints plus ServiceEntry endpoints);
   * returns those whose list really changed and rebuilds the model's endpoint list if any did.
   */
  refreshEndpoints(hosts: Iterable<string>, inputs: HostInputs): Set<string> {
    const changed = new Set<string>();
    let keysChanged = false;
    for (const host of hosts) {
      const fromSlices = this.#states.get(host)?.result.endpoints ?? [];
      const list = [...fromSlices, ...inputs.entryEndpoints(host)].sort(this.compare);
      const before = this.#final.get(host);
      if (before && isDeepStrictEqual(before, list)) continue;
      if (!before && list.length === 0) continue;
      changed.add(host);
      if (list.length > 0) {
        if (!before) keysChanged = true;
        this.#final.set(host, list);
      } else {
        keysChanged = true;
        this.#final.delete(host);
      }
    }
    if (keysChanged) this.#order = [...this.#final.keys()].sort(compareStrings);
    if (changed.size > 0) this.#endpoints = this.#flatten();
    return changed;
  }

  /** Every hostname's endpoints in hostname order, in one list. */
  #flatten(): Endpoint[] {
    const out: Endpoint[] = [];
    for (const host of this.#order) {
      const list = this.#final.get(host) ?? [];
      for (let i = 0; i < list.length; i++) out.push(list[i] as Endpoint);
    }
    return out;
  }

  /** Slice problems then merge problems, each in the order a one-shot build meets them. */
  problems(): Problem[] {
    if (this.#withProblems.size === 0) return [];
    const slice: OrderedProblem[] = [];
    const merge: OrderedProblem[] = [];
    for (const host of this.#withProblems) {
      const result = this.#states.get(host)?.result;
      if (result) slice.push(...result.sliceProblems);
      if (result) merge.push(...result.mergeProblems);
    }
    return [...slice.sort(compareOrdered), ...merge.sort(compareOrdered)].map((p) => p.problem);
  }

  #remember(host: string, state: HostState): void {
    this.#states.set(host, state);
    for (const key of state.pods) link(this.#byPod, key, host);
    for (const name of state.nodes) link(this.#byNode, name, host);
    if (state.result.sliceProblems.length + state.result.mergeProblems.length > 0) this.#withProblems.add(host);
  }

  #forget(host: string, state: HostState | undefined): void {
    if (!state) return;
    this.#states.delete(host);
    for (const key of state.pods) unlink(this.#byPod, key, host);
    for (const name of state.nodes) unlink(this.#byNode, name, host);
    this.#withProblems.delete(host);
  }
}

function link(map: Map<string, Set<string>>, key: string, host: string): void {
  const set = map.get(key);
  if (set) set.add(host);
  else map.set(key, new Set([host]));
}

function unlink(map: Map<string, Set<string>>, key: string, host: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(host);
  if (set.size === 0) map.delete(key);
}
