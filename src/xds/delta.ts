// Incremental (delta) ADS: per-resource versions; only changed resources and removed names travel.
import { decodeDeltaRequest, encodeDeltaResponse } from './codec.ts';
import type { DeltaRequest } from './codec.ts';
import { ABSENT, HeldVersions, shapeOf } from './client-holdings.ts';
import type { Resource } from './resource.ts';
import type { SharedResponse, SharedResponses } from './shared-response.ts';
import type { Snapshot, SnapshotType } from './snapshot.ts';
import { StreamBase, newTypeState, wildcardByDefault } from './stream.ts';
import type { TypeStateBase } from './stream.ts';

interface DeltaTypeState extends TypeStateBase {
  /** What the client holds: the last sent (shared) snapshot type plus a few per-stream differences. */
  readonly client: HeldVersions;
}

const EMPTY_TYPE: SnapshotType = { version: '', resources: new Map() };

/** One delta stream: feed it raw requests; it answers through its StreamIo. */
export class DeltaStream extends StreamBase<DeltaTypeState, DeltaRequest> {
  readonly kind = 'delta' as const;
  protected readonly requestName = 'DeltaDiscoveryRequest';
  protected readonly decode = decodeDeltaRequest;

  /** Handles one decoded request: ACK/NACK by nonce, and subscription changes always (even with a stale nonce). */
  handle(req: DeltaRequest): void {
    const { typeUrl, responseNonce } = req;
    if (!this.admit(req.node, typeUrl, req.subscribe.length, req.subscribe)) return;
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
      state = { ...newTypeState(), client: new HeldVersions(req.initialVersions) };
      state.wildcard = req.subscribe.length === 0 && wildcardByDefault(typeUrl);
      this.types.set(typeUrl, state);
    } else if (responseNonce !== '' && responseNonce === state.pendingNonce) {
      this.settle(typeUrl, state, responseNonce, req.errorDetail);
    }
    if (applySubscription(this.io.shared, state, req)) state.dirty = true;
    this.flush();
  }

  protected respond(typeUrl: string, state: DeltaTypeState, snapshot: Snapshot): void {
    const type = snapshot.types.get(typeUrl) ?? EMPTY_TYPE;
    state.checkedVersion = type.version;
    state.dirty = false;
    const { client, wildcard, names } = state;
    const encode = (): SharedResponse => {
      const { changed, removed } = differences(type, wildcard, names, client);
      const bytes = encodeDeltaResponse({ systemVersionInfo: type.version, typeUrl, nonce: '', resources: changed, removed });
      return { bytes, count: changed.length, removed: removed.length };
    };
    const held = client.shareKey();
    const shape = shapeOf(wildcard, names);
    const response = held && shape
      ? this.io.shared.cached('delta', { typeUrl, next: type, shape, base: held.base, held: held.held }, encode)
      : encode();
    // Either way the client now holds exactly this type's subscribed resources.
    client.rebase(type, wildcard, names);
    if (response.count === 0 && response.removed === 0) return;
    this.sent(typeUrl, state, type.version, response.bytes, response.count, response.removed);
  }
}

/** What a delta client lacks: resources whose version it does not hold, and names it holds that are gone. */
function differences(type: SnapshotType, wildcard: boolean, names: ReadonlySet<string>, client: HeldVersions): { changed: Resource[]; removed: string[] } {
  const resources = type.resources;
  const changed: Resource[] = [];
  const removed: string[] = [];
  if (wildcard) {
    for (const r of resources.values()) if (client.get(r.name) !== r.version) changed.push(r);
  }
  for (const name of [...names].sort()) {
    const r = resources.get(name);
    if (r) {
      if (!wildcard && client.get(name) !== r.version) changed.push(r);
    } else if (client.get(name) !== ABSENT) {
      removed.push(name);
    }
  }
  if (wildcard) {
    // Held from before (an earlier snapshot or initial_resource_versions) and gone now: tell the client.
    for (const [name, held] of client.entries()) {
      if (held !== ABSENT && !resources.has(name) && !names.has(name)) removed.push(name);
    }
  }
  // Held but not subscribed in a named subscription: the client drops those itself.
  return { changed, removed: removed.sort() };
}

/** Applies subscribe/unsubscribe ('*' toggles wildcard); true when anything changed. Replaces `names` (interned), never edits it. */
function applySubscription(shared: SharedResponses, state: DeltaTypeState, req: DeltaRequest): boolean {
  let changed = false;
  let names: Set<string> | undefined;
  const edit = (): Set<string> => (names ??= new Set(state.names));
  for (const name of req.subscribe) {
    if (name === '*') {
      changed ||= !state.wildcard;
      state.wildcard = true;
    } else if (!(names ?? state.names).has(name)) {
      edit().add(name);
      changed = true;
    }
  }
  for (const name of req.unsubscribe) {
    if (name === '*') {
      changed ||= state.wildcard;
      state.wildcard = false;
      continue;
    }
    if ((names ?? state.names).has(name)) {
      edit().delete(name);
      changed = true;
    }
    if (!state.wildcard || state.client.get(name) === ABSENT) state.client.delete(name);
  }
  // Interned: streams with equal subscriptions share one set, so they share cached responses too (a per-stream set as
  // the cache key kept one encoded response per stream alive as long as the stream).
  if (names !== undefined) state.names = shared.internNames(names);
  if (!state.wildcard && changed) state.client.retain(state.names);
  return changed;
}
