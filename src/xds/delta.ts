// Incremental (delta) ADS: per-resource versions; only changed resources and removed names travel.
import { decodeDeltaRequest, encodeDeltaResponse } from './codec.ts';
import type { DeltaRequest } from './codec.ts';
import type { Resource } from './resource.ts';
import type { Snapshot } from './snapshot.ts';
import { StreamBase, newTypeState, nextNonce, wildcardByDefault } from './stream.ts';
import type { TypeStateBase } from './stream.ts';

/** Marks a name the client was told does not exist. */
const ABSENT = '';

interface DeltaTypeState extends TypeStateBase {
  /** Name → version the client holds (ABSENT: told it does not exist). */
  readonly client: Map<string, string>;
}

/** One delta stream: feed it raw requests; it answers through its StreamIo. */
export class DeltaStream extends StreamBase<DeltaTypeState> {
  readonly kind = 'delta' as const;

  /** Handles one raw DeltaDiscoveryRequest. */
  receive(bytes: Uint8Array): void {
    if (this.closed) return;
    let req: DeltaRequest;
    try {
      req = decodeDeltaRequest(bytes);
    } catch (err) {
      this.reject(`malformed DeltaDiscoveryRequest: ${(err as Error).message}`);
      return;
    }
    this.handle(req);
  }

  /** Handles one decoded request: ACK/NACK by nonce, and subscription changes always (even with a stale nonce). */
  handle(req: DeltaRequest): void {
    const { typeUrl, responseNonce } = req;
    if (!this.admit(req.node, typeUrl, req.subscribe.length)) return;
    let state = this.types.get(typeUrl);
    const stale = state !== undefined && responseNonce !== '' && responseNonce !== state.pendingNonce;
    if (this.io.events.has('request')) {
      this.io.events.emit('request', {
        ...this.ref(),
        typeUrl,
        versionInfo: '',
        responseNonce,
        names: req.subscribe,
        unsubscribe: req.unsubscribe,
        stale,
      });
    }
    if (!state) {
      state = { ...newTypeState(), client: new Map(req.initialVersions) };
      state.wildcard = req.subscribe.length === 0 && wildcardByDefault(typeUrl);
      this.types.set(typeUrl, state);
    } else if (responseNonce !== '' && responseNonce === state.pendingNonce) {
      this.settle(typeUrl, state, responseNonce, req.errorDetail);
    }
    if (applySubscription(state, req)) state.dirty = true;
    this.flush();
  }

  protected respond(typeUrl: string, state: DeltaTypeState, snapshot: Snapshot): void {
    const type = snapshot.types.get(typeUrl);
    const version = type?.version ?? '';
    const resources: ReadonlyMap<string, Resource> = type?.resources ?? new Map<string, Resource>();
    state.checkedVersion = version;
    state.dirty = false;
    const changed: Resource[] = [];
    const removed: string[] = [];
    if (state.wildcard) {
      for (const r of resources.values()) if (state.client.get(r.name) !== r.version) changed.push(r);
    }
    for (const name of [...state.names].sort()) {
      const r = resources.get(name);
      if (r) {
        if (!state.wildcard && state.client.get(name) !== r.version) changed.push(r);
      } else if (state.client.get(name) !== ABSENT) {
        removed.push(name);
      }
    }
    for (const [name, held] of state.client) {
      if (held === ABSENT || resources.has(name) || state.names.has(name)) continue;
      if (state.wildcard) removed.push(name);
      else state.client.delete(name); // held from before but never subscribed here: the client drops it itself
    }
    if (changed.length === 0 && removed.length === 0) return;
    for (const r of changed) state.client.set(r.name, r.version);
    for (const name of removed) {
      if (state.names.has(name)) state.client.set(name, ABSENT);
      else state.client.delete(name);
    }
    removed.sort();
    const nonce = nextNonce();
    const bytes = encodeDeltaResponse({ systemVersionInfo: version, typeUrl, nonce, resources: changed, removed });
    this.sent(typeUrl, state, version, nonce, bytes, changed.length, removed.length);
  }
}

/** Applies subscribe/unsubscribe ('*' toggles wildcard); true when anything changed. */
function applySubscription(state: DeltaTypeState, req: DeltaRequest): boolean {
  let changed = false;
  for (const name of req.subscribe) {
    if (name === '*') {
      changed ||= !state.wildcard;
      state.wildcard = true;
    } else if (!state.names.has(name)) {
      state.names.add(name);
      changed = true;
    }
  }
  for (const name of req.unsubscribe) {
    if (name === '*') {
      changed ||= state.wildcard;
      state.wildcard = false;
      continue;
    }
    if (state.names.delete(name)) changed = true;
    if (!state.wildcard || state.client.get(name) === ABSENT) state.client.delete(name);
  }
  if (!state.wildcard && changed) {
    for (const name of [...state.client.keys()]) if (!state.names.has(name)) state.client.delete(name);
  }
  return changed;
}
