// Sync status per proxy and xDS type, from the ADS server's own events: what was sent, what the proxy ACKed or
// NACKed, when it was last pushed. Shaped for `/debug/syncz` (like istiod's, with the NACK error inline).
import type { StreamInfo, XdsEventMap } from '../xds/index.ts';
import { typeLabel } from './metrics.ts';

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

/** Remembers push times per stream and NACK totals per node; renders syncz rows from the live streams. */
export class SyncStatus {
  readonly #streams = new Map<number, StreamExtra>();
  readonly #nacks = new Map<string, number>();
  readonly #lastNack = new Map<string, { typeUrl: string; error: string; at: number }>();

  /** Records a response sent. */
  onResponse(event: XdsEventMap['response']): void {
    let extra = this.#streams.get(event.streamId);
    if (!extra) this.#streams.set(event.streamId, (extra = { lastPush: new Map() }));
    extra.lastPush.set(event.typeUrl, Date.now());
  }

  /** Records a NACK (kept after the proxy disconnects: a NACK is always worth knowing about). */
  onNack(event: XdsEventMap['nack']): void {
    this.#nacks.set(event.node.id, (this.#nacks.get(event.node.id) ?? 0) + 1);
    this.#lastNack.set(event.node.id, { typeUrl: event.typeUrl, error: event.error.message, at: Date.now() });
  }

  /** Forgets a closed stream's push times. */
  onClose(streamId: number): void {
    this.#streams.delete(streamId);
  }

  /** NACKs ever received from a node id. */
  nacks(nodeId: string): number {
    return this.#nacks.get(nodeId) ?? 0;
  }

  /** Every node that ever NACKed, with its count and last error, sorted by node id. */
  nackHistory(): { nodeId: string; nacks: number; lastTypeUrl: string; lastError: string; lastAt: string }[] {
    return [...this.#nacks.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([nodeId, nacks]) => {
        const last = this.#lastNack.get(nodeId);
        return { nodeId, nacks, lastTypeUrl: last?.typeUrl ?? '', lastError: last?.error ?? '', lastAt: iso(last?.at) ?? '' };
      });
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
