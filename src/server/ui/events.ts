// The web view's live feed: Server-Sent Events on `/ui/events`. The server says *what* changed (the model, or some
// proxy's sync state) and the page fetches the JSON it shows; bursts are coalesced into one event per interval.
import type http from 'node:http';

/** What changed: the model (mesh, reachability, request paths) or the sync state of proxies (syncz). */
export type ChangeTopic = 'model' | 'sync';

/** How long changes are gathered before one event goes out. */
const COALESCE_MS = 150;

/** Most pages listening at once; past it a new stream is refused (503), so open tabs cannot pile up sockets. */
export const MAX_EVENT_STREAMS = 64;

/** Open event streams and the changes waiting to be announced to them. */
export class ChangeFeed {
  readonly #clients = new Set<http.ServerResponse>();
  #pending = new Set<ChangeTopic>();
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;

  /** Records a change; the open streams hear of it within the coalescing interval. */
  notify(topic: ChangeTopic): void {
    if (this.#clients.size === 0) return; // a page that connects later loads everything anyway
    this.#pending.add(topic);
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.#flush(), COALESCE_MS);
    this.#timer.unref();
  }

  /** Turns `res` into an event stream until the client goes away (503 past MAX_EVENT_STREAMS). */
  attach(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.#clients.size >= MAX_EVENT_STREAMS) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '10' });
      res.end(`more than ${MAX_EVENT_STREAMS} web view event streams are open\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    // `retry` sets EventSource's reconnect delay; the first event makes the page load everything once.
    res.write(`retry: 1000\nevent: change\ndata: ${JSON.stringify({ seq: this.#seq, topics: ['model', 'sync'] })}\n\n`);
    this.#clients.add(res);
    req.on('close', () => this.#clients.delete(res));
  }

  /** Open event streams. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Ends every stream (the server is stopping). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }

  #flush(): void {
    this.#timer = undefined;
    const topics = [...this.#pending].sort();
    this.#pending = new Set();
    this.#seq += 1;
    const frame = `event: change\ndata: ${JSON.stringify({ seq: this.#seq, topics })}\n\n`;
    for (const res of this.#clients) res.write(frame);
  }
}
