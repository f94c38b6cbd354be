// Typed events the ADS server emits, so callers can keep per-proxy sync status without reaching into streams.
import type { ErrorDetail, XdsNode } from './codec.ts';

/** Which flavour of ADS a stream speaks. */
export type StreamKind = 'sotw' | 'delta';

/** Fields every stream event carries. */
export interface StreamRef {
  readonly streamId: number;
  readonly kind: StreamKind;
  /** The node from the stream's first request. */
  readonly node: XdsNode;
}

/** Every event the server emits, by name. */
export interface XdsEventMap {
  /** The first request arrived, so the stream's node is known. */
  streamOpen: StreamRef & { readonly peer: string };
  /** The stream ended: cancelled, ended by the client, failed or rejected (`error` says why). */
  streamClose: StreamRef & { readonly error?: string };
  /** A request arrived (after validation); `names` is the SotW list or the delta subscribe list. */
  request: StreamRef & {
    readonly typeUrl: string;
    readonly versionInfo: string;
    readonly responseNonce: string;
    readonly names: readonly string[];
    readonly unsubscribe: readonly string[];
    readonly stale: boolean;
  };
  /** A response was written to the stream. */
  response: StreamRef & {
    readonly typeUrl: string;
    readonly version: string;
    readonly nonce: string;
    readonly resourceCount: number;
    readonly removedCount: number;
    readonly bytes: number;
  };
  /** The client accepted the response with this nonce. */
  ack: StreamRef & { readonly typeUrl: string; readonly version: string; readonly nonce: string };
  /** The client rejected the response with this nonce; it keeps `acceptedVersion`. */
  nack: StreamRef & {
    readonly typeUrl: string;
    readonly version: string;
    readonly acceptedVersion: string;
    readonly nonce: string;
    readonly error: ErrorDetail;
  };
}

/** A listener for one event. */
export type XdsListener<K extends keyof XdsEventMap> = (event: XdsEventMap[K]) => void;

/** A small typed emitter; a throwing listener is isolated so it can never break a stream. */
export class XdsEvents {
  readonly #listeners = new Map<keyof XdsEventMap, Set<(event: never) => void>>();

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof XdsEventMap>(name: K, listener: XdsListener<K>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener as (event: never) => void);
    return () => void set.delete(listener as (event: never) => void);
  }

  /** Calls every listener of the event, in the order they were added. */
  emit<K extends keyof XdsEventMap>(name: K, event: XdsEventMap[K]): void {
    const set = this.#listeners.get(name);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as XdsListener<K>)(event);
      } catch {
        // Listener bugs stay in the listener.
      }
    }
  }

  /** Whether anybody listens (lets hot paths skip building event objects). */
  has(name: keyof XdsEventMap): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0;
  }
}
