// The fake API server's open watches: adding one, sending it events (whole, malformed, or cut by a reset), bookmarks
// and ERROR events, and the ways a watch can end (its timeout, a clean end, a dropped connection, a stall).
import type http from 'node:http';
import { corruptLine, type Delivery } from './fake-faults.ts';
import { FAKE_RESOURCES, status, tooLargeResourceVersion } from './fake-protocol.ts';

type Json = Record<string, unknown>;

/** One change in the fake's history. */
export interface HistoryEvent {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly kind: string;
  readonly namespace: string;
  readonly object: Json;
}

/** One streaming watch response. */
export interface OpenWatch {
  readonly res: http.ServerResponse;
  readonly kind: string;
  readonly namespace: string | undefined;
  readonly bookmarks: boolean;
  stalled: boolean;
  timer?: NodeJS.Timeout;
}

/** The set of open watches. */
export class OpenWatches {
  readonly #all = new Set<OpenWatch>();

  /** Registers a watch; it ends by itself after `timeoutSeconds` (0: never) and leaves the set when closed. */
  add(w: OpenWatch, timeoutSeconds: number): void {
    this.#all.add(w);
    w.res.on('close', () => this.#forget(w));
    if (timeoutSeconds > 0) w.timer = setTimeout(() => this.end(w), timeoutSeconds * 1000);
  }

  /** Writes one event line to `w` (if it is still open). */
  write(w: OpenWatch, event: Json): void {
    if (!w.res.writableEnded) w.res.write(`${JSON.stringify(event)}\n`);
  }

  /** Sends `event` to every watch it matches, whole, as a malformed line, or cut in half followed by a reset. */
  deliver(event: HistoryEvent, delivery: Delivery): void {
    for (const w of [...this.#all]) if (!w.stalled && matches(w, event)) this.send(w, event, delivery);
  }

  /** Sends one event to one watch as `delivery` says. */
  send(w: OpenWatch, event: HistoryEvent, delivery: Delivery): void {
    if (w.res.writableEnded) return;
    const line = `${JSON.stringify({ type: event.type, object: event.object })}\n`;
    if (delivery === 'normal') w.res.write(line);
    else if (delivery === 'corrupt') w.res.write(corruptLine(line));
    else {
      w.res.write(line.slice(0, Math.floor(line.length / 2)));
      this.#forget(w);
      // Let the half line leave before the reset, so the client really sees a cut chunk.
      setImmediate(() => w.res.socket?.destroy());
    }
  }

  /** Ends a watch cleanly. */
  end(w: OpenWatch): void {
    this.#forget(w);
    w.res.end();
  }

  /** Ends every watch of `kind` cleanly. */
  endKind(kind: string): void {
    for (const w of [...this.#all]) if (w.kind === kind) this.end(w);
  }

  /** A BOOKMARK at `rv` to every open watch that asked for bookmarks; returns how many were sent. */
  bookmark(rv: number): number {
    let sent = 0;
    for (const w of this.#all) {
      if (!w.bookmarks || w.stalled) continue;
      const r = FAKE_RESOURCES.find((x) => x.kind === w.kind);
      this.write(w, { type: 'BOOKMARK', object: { kind: w.kind, apiVersion: r?.apiVersion, metadata: { resourceVersion: String(rv) } } });
      sent++;
    }
    return sent;
  }

  /** An ERROR event with `code` (504: too large resource version) to every open watch, which ends; returns how many. */
  error(code: number, rv: number): number {
    const n = this.#all.size;
    const object = code === 504 ? tooLargeResourceVersion(rv + 1, rv) : status(code, code === 410 ? 'Expired' : 'InternalError');
    for (const w of [...this.#all]) {
      this.write(w, { type: 'ERROR', object });
      this.end(w);
    }
    return n;
  }

  /** Destroys every watch connection mid-stream; returns how many. */
  drop(): number {
    const n = this.#all.size;
    for (const w of [...this.#all]) {
      this.#forget(w);
      w.res.socket?.destroy();
    }
    return n;
  }

  /** Every open watch stays open but receives nothing more; returns how many. */
  stall(): number {
    for (const w of this.#all) w.stalled = true;
    return this.#all.size;
  }

  /** Watches streaming (not stalled), of one kind or all. */
  live(kind?: string): number {
    return [...this.#all].filter((w) => !w.stalled && (kind === undefined || w.kind === kind)).length;
  }

  /** Forgets every watch (the server closes their sockets). */
  clear(): void {
    for (const w of [...this.#all]) this.#forget(w);
  }

  #forget(w: OpenWatch): void {
    this.#all.delete(w);
    if (w.timer) clearTimeout(w.timer);
  }
}

/** Whether an event belongs to a watch's collection. */
export function matches(w: Pick<OpenWatch, 'kind' | 'namespace'>, e: HistoryEvent): boolean {
  return w.kind === e.kind && (w.namespace === undefined || w.namespace === e.namespace);
}
