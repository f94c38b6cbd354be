// Sync status per proxy and xDS type, from the ADS server's own events: what was sent, what the proxy ACKed or
// NACKed, when it was last pushed. Shaped for `/debug/syncz` (like istiod's, with the NACK error inline).
import type { StreamInfo, XdsEventMap } from '../xds/index.ts';
import { typeLabel } from './metrics.ts';
import { compareStrings } from '../compare-strings.ts';

/** Where one type of one stream stands. SYNCED: the last response was ACKed; STALE: one is in flight; NACKED: rejected. */
export type SyncState = 'SYNCED' | 'STALE' | 'NACKED' | 'NOT_SENT';

/** One row of syncz: one xDS type of one stream. */
export interface TypeSync {
  readonly type: string;
  readonly typeUrl: string;
  readonly status: SyncState;
  readonly sentVersion: string;
  readonly sentNonce: string;
  readonly ackedVersion: string;
  readonly ackedNonce: string;
  readonly error?: string;
  /** ISO time of the last response of this type on this stream. */
  readonly lastPush?: string;
}

/** One stream of a proxy in syncz. */
export interface StreamSync {
  readonly streamId: number;
  readonly kind: 'sotw' | 'delta';
  readonly peer: string;
  readonly types: readonly TypeSync[];
}

interface StreamExtra {
  readonly lastPush: Map<string, number>;
}

interface NackRecord {
  readonly count: number;
  readonly typeUrl: string;
  readonly error: string;
  readonly at: number;
}

/** How much NACK history is kept: node ids (most recent NACK first) and age. */
export interface SyncStatusOptions {
  /** Node ids remembered (default 1,000): the one that NACKed longest ago is forgotten first. */
  readonly maxNodes?: number;
  /** A node's history is forgotten this long after its last NACK (default 1 hour). */
  readonly maxAgeMs?: number;
  /** The clock (tests pass their own). */
  readonly now?: () => number;
}

/** Remembers push times per live stream and recent NACKs per node; renders syncz rows from the live streams. */
export class SyncStatus {
  readonly #streams = new Map<number, StreamExtra>();
  /** By node id, in order of last NACK (oldest first), bounded in count and age. */
  readonly #nacks = new Map<string, NackRecord>();
  readonly #maxNodes: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(options: SyncStatusOptions = {}) {
    this.#maxNodes = options.maxNodes ?? 1000;
    this.#maxAgeMs = options.maxAgeMs ?? 3_600_000;
    this.#now = options.now ?? Date.now;
  }

  /** Records a response sent. */
  onResponse(event: XdsEventMap['response']): void {
    let extra = this.#streams.get(event.streamId);
    if (!extra) this.#streams.set(event.streamId, (extra = { lastPush: new Map() }));
    extra.lastPush.set(event.typeUrl, this.#now());
  }

  /** Records a NACK; kept after the proxy disconnects, until it is too old or too many other nodes NACKed since. */
  onNack(event: XdsEventMap['nack']): void {
    const id = event.node.id;
    const count = (this.#nacks.get(id)?.count ?? 0) + 1;
    this.#nacks.delete(id);
    this.#nacks.set(id, { count, typeUrl: event.typeUrl, error: event.error.message, at: this.#now() });
    for (const key of this.#nacks.keys()) {
      if (this.#nacks.size <= this.#maxNodes) break;
      this.#nacks.delete(key);
    }
  }

  /** Forgets histories older than the age limit (oldest first, so it stops at the first young one). */
  #expire(): void {
    const oldest = this.#now() - this.#maxAgeMs;
    for (const [key, record] of this.#nacks) {
      if (record.at >= oldest) break;
      this.#nacks.delete(key);
    }
  }

  /** Forgets a closed stream's push times. */
  onClose(streamId: number): void {
    this.#streams.delete(streamId);
  }

  /** NACKs received from a node id while its history is kept. */
  nacks(nodeId: string): number {
    this.#expire();
    return this.#nacks.get(nodeId)?.count ?? 0;
  }

  /** Every node with a kept NACK history (count, last error), sorted by node id. */
  nackHistory(): { nodeId: string; nacks: number; lastTypeUrl: string; lastError: string; lastAt: string }[] {
    this.#expire();
    return [...this.#nacks.entries()]
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([nodeId, last]) => ({ nodeId, nacks: last.count, lastTypeUrl: last.typeUrl, lastError: last.error, lastAt: iso(last.at) ?? '' }));
  }

  /** The syncz rows of one live stream. */
  stream(info: StreamInfo): StreamSync {
    const extra = this.#streams.get(info.id);
    const types = info.status().map((s): TypeSync => {
      const status: SyncState =
        s.sentNonce === '' ? 'NOT_SENT' : s.pending ? 'STALE' : s.lastError !== undefined ? 'NACKED' : 'SYNCED';
      const lastPush = iso(extra?.lastPush.get(s.typeUrl));
      return {
        type: typeLabel(s.typeUrl),
        typeUrl: s.typeUrl,
        status,
        sentVersion: s.sentVersion,
        sentNonce: s.sentNonce,
        ackedVersion: s.ackedVersion,
        ackedNonce: s.ackedNonce,
        ...(s.lastError !== undefined ? { error: s.lastError } : {}),
        ...(lastPush !== undefined ? { lastPush } : {}),
      };
    });
    return { streamId: info.id, kind: info.kind, peer: info.peer, types };
  }
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
