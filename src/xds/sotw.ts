// State-of-the-world ADS. Listener and Cluster responses carry every subscribed resource; every other type (EDS, RDS)
// carries only what changed or was newly subscribed, as the xDS protocol allows: there, absence is not deletion, so a
// resource removed from the snapshot sends nothing (clients keep it until they unsubscribe, as CDS/LDS make them do),
// and a NACKed resource is sent again only when it changes (as in delta). Responses are encoded once and the same
// Buffer goes to every stream that needs exactly that response, each with its own nonce (src/xds/shared-response.ts).
import { decodeSotwRequest } from './codec.ts';
import type { SotwRequest } from './codec.ts';
import type { Resource } from './resource.ts';
import { WILDCARD } from './shared-response.ts';
import type { Shape, SharedResponses } from './shared-response.ts';
import type { Snapshot, SnapshotType } from './snapshot.ts';
import { StreamBase, fullStateInSotw, newTypeState, wildcardByDefault } from './stream.ts';
import type { TypeStateBase } from './stream.ts';

interface SotwTypeState extends TypeStateBase {
  /** Listener and Cluster: the resources in the last response (shared array for wildcard). */
  sentResources: readonly Resource[] | undefined;
  /** Other types: the type of the last response (or the one the client said it holds) and the names it holds of it. */
  base: SnapshotType | undefined;
  /** Which names of `base` the client holds; undefined until the first response. */
  held: Shape | undefined;
}

const EMPTY_TYPE: SnapshotType = { version: '', resources: new Map() };

function shapeOf(state: TypeStateBase): Shape {
  return state.wildcard ? WILDCARD : state.names;
}

/** One SotW stream: feed it raw requests; it answers through its StreamIo. */
export class SotwStream extends StreamBase<SotwTypeState, SotwRequest> {
  readonly kind = 'sotw' as const;
  protected readonly requestName = 'DiscoveryRequest';
  protected readonly decode = decodeSotwRequest;

  /** Handles one decoded request: stale check, ACK/NACK, subscription change, then push. */
  handle(req: SotwRequest): void {
    const { typeUrl, resourceNames, responseNonce } = req;
    const existing = this.types.get(typeUrl);
    const added = resourceNames.length - (existing?.names.size ?? 0);
    if (!this.admit(req.node, typeUrl, Math.max(0, added), resourceNames)) return;
    const stale = existing !== undefined && responseNonce !== '' && existing.lastNonce !== '' && responseNonce !== existing.lastNonce;
    this.emitRequest(req, stale);
    if (stale) return;
    if (!existing) {
      this.types.set(typeUrl, this.subscribeFirst(req));
    } else {
      if (existing.pendingNonce !== undefined && responseNonce === existing.pendingNonce) {
        this.settle(typeUrl, existing, responseNonce, req.errorDetail);
      }
      if (updateNames(this.io.shared, existing, resourceNames)) existing.dirty = true;
    }
    this.flush();
  }

  private emitRequest(req: SotwRequest, stale: boolean): void {
    if (!this.io.events.has('request')) return;
    this.io.events.emit('request', {
      ...this.ref(),
      typeUrl: req.typeUrl,
      versionInfo: req.versionInfo,
      responseNonce: req.responseNonce,
      names: req.resourceNames,
      unsubscribe: [],
      stale,
    });
  }

  /** The first request for a type; a client that already holds the current version is not sent it again. */
  private subscribeFirst(req: SotwRequest): SotwTypeState {
    const state: SotwTypeState = { ...newTypeState(), sentResources: undefined, base: undefined, held: undefined };
    state.wildcard = req.resourceNames.length === 0 ? wildcardByDefault(req.typeUrl) : req.resourceNames.includes('*');
    state.names = this.io.shared.internNames(req.resourceNames.filter((n) => n !== '*'));
    const current = this.snapshot?.types.get(req.typeUrl);
    if (current && req.versionInfo !== '' && req.versionInfo === current.version) {
      if (fullStateInSotw(req.typeUrl)) state.sentResources = select(this.io.shared, state, current);
      state.base = current;
      state.held = shapeOf(state);
      state.sentVersion = state.ackedVersion = state.checkedVersion = current.version;
      state.dirty = false;
    }
    return state;
  }

  protected respond(typeUrl: string, state: SotwTypeState, snapshot: Snapshot): void {
    const type = snapshot.types.get(typeUrl) ?? EMPTY_TYPE;
    state.checkedVersion = type.version;
    if (fullStateInSotw(typeUrl)) this.respondFull(typeUrl, state, type);
    else this.respondChanged(typeUrl, state, type);
  }

  /** Listener and Cluster: every subscribed resource, unless the stream already has exactly these. */
  private respondFull(typeUrl: string, state: SotwTypeState, type: SnapshotType): void {
    const resources = select(this.io.shared, state, type);
    if (!state.dirty && sameResources(resources, state.sentResources)) return;
    const shared = this.io.shared.sharedResponse({ typeUrl, next: type, shape: shapeOf(state), base: undefined, held: undefined }, () => resources);
    state.sentResources = resources;
    this.sent(typeUrl, state, type.version, shared.bytes, shared.count, 0);
  }

  /** Other types: only resources that changed or were newly subscribed; nothing at all when none did. */
  private respondChanged(typeUrl: string, state: SotwTypeState, type: SnapshotType): void {
    const shape = shapeOf(state);
    const first = state.held === undefined;
    if (!first && state.base === type && state.held === shape) {
      state.dirty = false;
      return;
    }
    const { base, held } = state;
    const shared = this.io.shared.sharedResponse({ typeUrl, next: type, shape, base, held }, () => changed(type, shape, base, held));
    state.base = type;
    state.held = shape;
    state.dirty = false;
    if (shared.count === 0 && !first) return;
    this.sent(typeUrl, state, type.version, shared.bytes, shared.count, 0);
  }
}

/** The resources a stream should hold for a type: all of them for wildcard, else the named ones that exist. */
function select(shared: SharedResponses, state: TypeStateBase, type: SnapshotType): readonly Resource[] {
  if (state.wildcard) return shared.typeValues(type);
  const out: Resource[] = [];
  for (const name of state.names) {
    const r = type.resources.get(name);
    if (r) out.push(r);
  }
  return out;
}

/** Resources of `next` in `shape` that the client does not hold at the same version (it holds `held` of `base`). */
function changed(next: SnapshotType, shape: Shape, base: SnapshotType | undefined, held: Shape | undefined): Resource[] {
  const out: Resource[] = [];
  const consider = (r: Resource): void => {
    const inHeld = base !== undefined && held !== undefined && (held === WILDCARD || held.has(r.name));
    const prev = inHeld ? base.resources.get(r.name) : undefined;
    if (prev !== r && prev?.version !== r.version) out.push(r);
  };
  if (shape === WILDCARD) {
    for (const r of next.resources.values()) consider(r);
  } else {
    for (const name of shape) {
      const r = next.resources.get(name);
      if (r) consider(r);
    }
  }
  return out;
}

/** Applies a request's names to a type; true when the subscription changed. Narrowing also narrows what is held. */
function updateNames(shared: SharedResponses, state: SotwTypeState, names: readonly string[]): boolean {
  let wildcard = state.wildcard;
  let next: ReadonlySet<string>;
  if (names.length === 0) {
    // An empty list keeps a wildcard subscription (Envoy's ACKs) and drops named ones.
    if (state.names.size === 0) return false;
    next = shared.internNames([]);
  } else {
    wildcard = names.includes('*');
    if (wildcard === state.wildcard && sameNames(names, state.names)) return false; // an ACK: skip interning
    next = shared.internNames(names.filter((n) => n !== '*'));
  }
  if (wildcard === state.wildcard && next === state.names) return false;
  state.wildcard = wildcard;
  state.names = next;
  if (state.held !== undefined) state.held = shared.intersect(state.held, shapeOf(state));
  return true;
}

function sameResources(a: readonly Resource[], b: readonly Resource[] | undefined): boolean {
  if (b === undefined) return false;
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Resource;
    const y = b[i] as Resource;
    if (x !== y && (x.name !== y.name || x.version !== y.version)) return false;
  }
  return true;
}

/** Whether a request's names ('*' aside) are exactly the subscribed set. */
function sameNames(names: readonly string[], current: ReadonlySet<string>): boolean {
  let count = 0;
  for (const n of names) {
    if (n === '*') continue;
    if (!current.has(n)) return false;
    count++;
  }
  return count === current.size;
}
