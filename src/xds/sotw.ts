// State-of-the-world ADS: every response carries the full set of subscribed resources of one type.
import { decodeSotwRequest, encodeSotwResponse } from './codec.ts';
import type { SotwRequest } from './codec.ts';
import type { Resource } from './resource.ts';
import type { Snapshot } from './snapshot.ts';
import { StreamBase, newTypeState, nextNonce, typeValues, wildcardByDefault } from './stream.ts';
import type { TypeStateBase } from './stream.ts';

interface SotwTypeState extends TypeStateBase {
  /** The resources in the last response (shared array for wildcard), or undefined before the first one. */
  sentResources: readonly Resource[] | undefined;
}

/** One SotW stream: feed it raw requests; it answers through its StreamIo. */
export class SotwStream extends StreamBase<SotwTypeState> {
  readonly kind = 'sotw' as const;

  /** Handles one raw DiscoveryRequest. */
  receive(bytes: Uint8Array): void {
    if (this.closed) return;
    let req: SotwRequest;
    try {
      req = decodeSotwRequest(bytes);
    } catch (err) {
      this.reject(`malformed DiscoveryRequest: ${(err as Error).message}`);
      return;
    }
    this.handle(req);
  }

  /** Handles one decoded request: stale check, ACK/NACK, subscription change, then push. */
  handle(req: SotwRequest): void {
    const { typeUrl, resourceNames, responseNonce } = req;
    const existing = this.types.get(typeUrl);
    const added = resourceNames.length - (existing?.names.size ?? 0);
    if (!this.admit(req.node, typeUrl, Math.max(0, added))) return;
    const stale = existing !== undefined && responseNonce !== '' && existing.lastNonce !== '' && responseNonce !== existing.lastNonce;
    this.emitRequest(req, stale);
    if (stale) return;
    if (!existing) {
      this.types.set(typeUrl, this.subscribeFirst(req));
    } else {
      if (existing.pendingNonce !== undefined && responseNonce === existing.pendingNonce) {
        this.settle(typeUrl, existing, responseNonce, req.errorDetail);
      }
      if (updateNames(existing, resourceNames)) existing.dirty = true;
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
    const state: SotwTypeState = { ...newTypeState(), sentResources: undefined };
    state.wildcard = req.resourceNames.length === 0 ? wildcardByDefault(req.typeUrl) : req.resourceNames.includes('*');
    for (const name of req.resourceNames) if (name !== '*') state.names.add(name);
    const current = this.snapshot?.types.get(req.typeUrl);
    if (this.snapshot && current && req.versionInfo !== '' && req.versionInfo === current.version) {
      state.sentResources = this.select(state, this.snapshot, req.typeUrl);
      state.sentVersion = state.ackedVersion = state.checkedVersion = current.version;
      state.dirty = false;
    }
    return state;
  }

  /** The resources this stream should hold for a type: all of them for wildcard, else the named ones that exist. */
  private select(state: SotwTypeState, snapshot: Snapshot, typeUrl: string): readonly Resource[] {
    const type = snapshot.types.get(typeUrl);
    if (!type) return [];
    if (state.wildcard) return typeValues(type);
    const out: Resource[] = [];
    for (const name of [...state.names].sort()) {
      const r = type.resources.get(name);
      if (r) out.push(r);
    }
    return out;
  }

  protected respond(typeUrl: string, state: SotwTypeState, snapshot: Snapshot): void {
    const version = snapshot.types.get(typeUrl)?.version ?? '';
    const resources = this.select(state, snapshot, typeUrl);
    state.checkedVersion = version;
    if (!state.dirty && sameResources(resources, state.sentResources)) return;
    const nonce = nextNonce();
    const bytes = encodeSotwResponse({ versionInfo: version, typeUrl, nonce, resources }, state.wildcard);
    state.sentResources = resources;
    this.sent(typeUrl, state, version, nonce, bytes, resources.length, 0);
  }
}

/** Applies a request's names to a type; true when the subscription changed. */
function updateNames(state: TypeStateBase, names: readonly string[]): boolean {
  if (names.length === 0) {
    // An empty list keeps a wildcard subscription (Envoy's ACKs) and drops named ones.
    if (state.names.size === 0) return false;
    state.names.clear();
    return true;
  }
  const wildcard = names.includes('*');
  const next = new Set(names.filter((n) => n !== '*'));
  const changed = wildcard !== state.wildcard || next.size !== state.names.size || [...next].some((n) => !state.names.has(n));
  if (!changed) return false;
  state.wildcard = wildcard;
  state.names.clear();
  for (const n of next) state.names.add(n);
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
