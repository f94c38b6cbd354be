// One watch request, done by hand over the client's own authentication and HTTP dispatcher (client-node's `Watch`
// drops lines it cannot parse and the headers and Status of a refused watch, and a reflector needs all three): a line
// that is not a whole, well-formed event ends the watch as failed, so the event is fetched again when the watch
// resumes from the last resourceVersion instead of being lost; a refused watch reports its status, Status and
// Retry-After.
import { createRequire } from 'node:module';
import { HttpMethod, RequestContext, type KubeConfig } from './client.ts';
import { KubeRequestError, isRecord } from './errors.ts';

type Json = Record<string, unknown>;

// The undici client-node itself uses (nested in its folder), so its dispatcher, which carries the cluster's TLS
// settings, is always the one our requests go through.
const clientRequire = createRequire(createRequire(import.meta.url).resolve('@kubernetes/client-node'));
const fetchWithDispatcher = (clientRequire('undici') as { fetch: typeof fetch }).fetch as (
  url: URL,
  init: { method: string; headers: unknown; signal: AbortSignal; dispatcher?: unknown },
) => Promise<Response>;

/** Longest watch line accepted (a line past it ends the watch as failed). */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
/** Most of a refused watch's body read for its Status. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Receives the events of one watch, in order. */
export interface WatchHandlers {
  /** The server accepted the watch (200); events follow. */
  opened(): void;
  /** One well-formed event. */
  event(type: string, object: Json): void;
  /** The watch ended: undefined when the server closed it cleanly, else why it failed. Called once. */
  done(err: KubeRequestError | undefined): void;
}

/** Opens a watch on `path` with `params`; the returned controller aborts it (then `done` is not called again). */
export function openWatch(kc: KubeConfig, path: string, params: Record<string, string>, handlers: WatchHandlers): AbortController {
  const controller = new AbortController();
  let finished = false;
  const done = (err: KubeRequestError | undefined): void => {
    if (finished) return;
    finished = true;
    controller.abort();
    handlers.done(err);
  };
  const sink = {
    opened: () => finished || handlers.opened(),
    event: (type: string, object: Json) => finished || handlers.event(type, object),
  };
  void run(kc, path, params, controller.signal, sink).then(
    () => done(undefined),
    (err: unknown) => done(err instanceof KubeRequestError ? err : new KubeRequestError(errorText(err))),
  );
  return controller;
}

async function run(
  kc: KubeConfig,
  path: string,
  params: Record<string, string>,
  signal: AbortSignal,
  sink: { opened(): void; event(type: string, object: Json): void },
): Promise<void> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeRequestError('no current cluster in the kubeconfig');
  const url = new URL(cluster.server + path);
  url.searchParams.set('watch', 'true');
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const ctx = new RequestContext(url.toString(), HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  const dispatcher = ctx.getDispatcher();
  const init = { method: 'GET', headers: ctx.getHeaders(), signal, ...(dispatcher ? { dispatcher } : {}) };
  const response = await fetchWithDispatcher(url, init);
  if (response.status !== 200) {
    const headers = Object.fromEntries([...response.headers.entries()].map(([k, v]) => [k.toLowerCase(), v]));
    const body = await readStatus(response.body, signal);
    throw new KubeRequestError(`HTTP ${response.status}`, response.status, body, headers);
  }
  sink.opened();
  if (!response.body) return;
  await readLines(response.body as ReadableStream<Uint8Array>, (line) => {
    const event = parseEvent(line);
    if (!event) throw new KubeRequestError(`malformed watch line: ${preview(line)}`);
    sink.event(event.type, event.object);
  });
}

/** Splits the stream into lines; a last line without its newline (a cut connection) is malformed by definition. */
async function readLines(body: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') onLine(line);
      newline = pending.indexOf('\n');
    }
    if (pending.length > MAX_LINE_BYTES) throw new KubeRequestError(`watch line longer than ${MAX_LINE_BYTES} bytes`);
  }
  pending += decoder.decode();
  if (pending.trim() !== '') throw new KubeRequestError(`watch ended inside an event: ${preview(pending)}`);
}

/** A whole event: a JSON object with a string `type` and an object `object`; anything else is undefined. */
function parseEvent(line: string): { type: string; object: Json } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || typeof parsed['type'] !== 'string' || !isRecord(parsed['object'])) return undefined;
  return { type: parsed['type'], object: parsed['object'] };
}

/** The Status of a refused watch, read up to a bound; undefined when there is none. */
async function readStatus(body: ReadableStream<Uint8Array> | null, signal: AbortSignal): Promise<Json | undefined> {
  if (!body) return undefined;
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const chunk of body) {
      text += decoder.decode(chunk, { stream: true });
      if (text.length > MAX_ERROR_BODY_BYTES || signal.aborted) break;
    }
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function preview(line: string): string {
  const flat = line.replace(/\s+/g, ' ');
  return flat.length > 80 ? `${flat.slice(0, 80)}...` : flat;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
