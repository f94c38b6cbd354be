// What each proxy's last build read, so a push skips the proxies nothing of which changed. A build reads the node
// (fixed for a proxy key), the model's first pod of the node's namespace/name (parseProxy), the index's services and
// endpoints (every service is in every proxy's view, name table included) and its own pod through the index
// (inbound ports), the PeerAuthentications (inbound mTLS, auto-mTLS to endpoints), the strategy and size limits, and its subscribed listener names. The model generations keep a
// table's identity while its content is unchanged, so comparing identities is exact: equal inputs, equal build.
import { nameKey, parseProxy } from '../model/index.ts';
import type { MeshModel, ModelIndex, Pod, ProxyNode, ProxyResult } from '../model/index.ts';
import type { Snapshot } from '../xds/index.ts';
import type { BuildContext } from './proxy-build.ts';

/** A node's parse and the pod it was made from (undefined key: the node names no pod, so the model is not read). */
interface Parsed {
  readonly podKey: string | undefined;
  readonly pod: Pod | undefined;
  readonly result: ProxyResult;
}

/** Everything one build read, by identity, plus what it left published. */
interface Read {
  readonly services: ModelIndex['servicesByHostname'];
  readonly endpoints: ModelIndex['endpointsByService'];
  readonly ownPod: Pod | undefined;
  readonly policies: MeshModel['peerAuthentications'];
  readonly strategy: BuildContext['strategy'];
  readonly limits: BuildContext['limits'];
  readonly names: string;
  readonly published: Snapshot | undefined;
}

/** The first pod per `namespace/name`, as `parseProxy`'s `find` picks it; one table per pods array. */
const firstPodTables = new WeakMap<readonly Pod[], Map<string, Pod>>();

function firstPods(model: MeshModel): Map<string, Pod> {
  let table = firstPodTables.get(model.pods);
  if (!table) {
    table = new Map();
    for (const pod of model.pods) {
      const key = nameKey(pod.namespace, pod.name);
      if (!table.has(key)) table.set(key, pod);
    }
    firstPodTables.set(model.pods, table);
  }
  return table;
}

/** A set of listener names as one comparable string. */
function namesKey(names: ReadonlySet<string>): string {
  return JSON.stringify([...names].sort());
}

/** Per proxy (any object standing for it: the registry's entry), its kept parse and what its last build read. */
export class BuildInputs {
  readonly #parsed = new WeakMap<object, Parsed>();
  readonly #read = new WeakMap<object, Read>();

  /** `parseProxy(node, ctx.model)`, reused while the pod it read is the same object. */
  parse(ctx: BuildContext, owner: object, node: ProxyNode): ProxyResult {
    const known = this.#valid(ctx, owner);
    if (known) return known.result;
    const result = parseProxy(node, ctx.model);
    const proxy = result.proxy;
    if (!proxy) {
      this.#parsed.delete(owner); // a node without IPs may get them from its pod later: parsed again every time
      return result;
    }
    const podKey = proxy.pod === undefined ? undefined : nameKey(proxy.namespace, proxy.pod);
    this.#parsed.set(owner, { podKey, pod: podKey === undefined ? undefined : firstPods(ctx.model).get(podKey), result });
    return result;
  }

  /** Whether a build of `owner` against `ctx` would read exactly what its last recorded build read. */
  untouched(ctx: BuildContext, owner: object, names: ReadonlySet<string>, published: Snapshot | undefined): boolean {
    const read = this.#read.get(owner);
    const parsed = this.#valid(ctx, owner);
    if (!read || !parsed) return false;
    const index = ctx.index;
    return read.services === index.servicesByHostname && read.endpoints === index.endpointsByService &&
      read.ownPod === ownPod(index, parsed) && read.policies === ctx.model.peerAuthentications && read.strategy === ctx.strategy && read.limits === ctx.limits &&
      read.published === published && read.names === namesKey(names);
  }

  /** Records what a build of `owner` against `ctx` read; a refused build is never recorded (it is redone each time). */
  record(ctx: BuildContext, owner: object, names: ReadonlySet<string>, published: Snapshot | undefined, rejected: boolean): void {
    const parsed = this.#valid(ctx, owner);
    if (rejected || !parsed) {
      this.#read.delete(owner);
      return;
    }
    const index = ctx.index;
    this.#read.set(owner, {
      services: index.servicesByHostname,
      endpoints: index.endpointsByService,
      ownPod: ownPod(index, parsed),
      policies: ctx.model.peerAuthentications,
      strategy: ctx.strategy,
      limits: ctx.limits,
      names: namesKey(names),
      published,
    });
  }

  /** The kept parse when the pod it read is still the model's first pod of that name. */
  #valid(ctx: BuildContext, owner: object): Parsed | undefined {
    const known = this.#parsed.get(owner);
    if (!known) return undefined;
    if (known.podKey !== undefined && firstPods(ctx.model).get(known.podKey) !== known.pod) return undefined;
    return known;
  }
}

/** The proxy's own pod as the translator looks it up (the index's table), undefined when it names none. */
function ownPod(index: ModelIndex, parsed: Parsed): Pod | undefined {
  return parsed.podKey === undefined ? undefined : index.podsByName.get(parsed.podKey);
}
