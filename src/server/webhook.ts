// The injection webhook over HTTPS: `POST /inject` with an AdmissionReview v1 answers what `admit` decides. The
// serving certificate and key are read again whenever their files change (a renewed Secret), without a restart.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { admit } from '../inject/admission.ts';
import type { InjectOptions } from '../inject/containers.ts';
import { splitAddress } from './admin.ts';

/** The path the API server posts AdmissionReviews to (the MutatingWebhookConfiguration's clientConfig path). */
export const WEBHOOK_PATH = '/inject';

/** The largest AdmissionReview accepted by default; the API server sends at most 3 MiB objects. */
export const DEFAULT_WEBHOOK_MAX_BODY = 4 * 1024 * 1024;

/** How the webhook is served. */
export interface WebhookOptions {
  /** "host:port" or "[v6]:port" (port 0: any). */
  readonly address: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly inject: InjectOptions;
  readonly maxBodyBytes?: number;
  /** How often the cert files are checked for a change (default 2000 ms). */
  readonly reloadMs?: number;
  readonly log?: (line: string) => void;
}

/** A running webhook server. */
export interface WebhookServer {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly digest: string;
}

/** Reads the pair and checks it makes a TLS context (a key that does not match its certificate is refused here). */
async function readPair(certFile: string, keyFile: string): Promise<KeyPair> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  tls.createSecureContext({ cert, key });
  return { cert, key, digest: createHash('sha256').update(cert).update(key).digest('hex') };
}

/** Starts the webhook; rejects with a clear error when the cert files are unusable or the address cannot be bound. */
export async function startWebhook(options: WebhookOptions): Promise<WebhookServer> {
  const log = options.log ?? ((): void => undefined);
  const { host, port } = splitAddress(options.address);
  let pair = await readPair(options.certFile, options.keyFile).catch((err: Error) => {
    throw new Error(`webhook: cannot use ${options.certFile} and ${options.keyFile}: ${err.message}`);
  });
  const server = https.createServer({ cert: pair.cert, key: pair.key }, (req, res) => void handle(req, res, options, log));
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  let failed = '';
  const reload = async (): Promise<void> => {
    const next = await readPair(options.certFile, options.keyFile).catch((err: Error) => err);
    if (next instanceof Error) {
      // Mid-update (cert written, key not yet) or broken: keep serving the last good pair, say so once.
      if (failed !== next.message) log(`webhook: keeping the current certificate: ${next.message}`);
      failed = next.message;
      return;
    }
    failed = '';
    if (next.digest === pair.digest) return;
    server.setSecureContext({ cert: next.cert, key: next.key });
    pair = next;
    log('webhook: serving certificate reloaded');
  };
  let reloading = Promise.resolve();
  const timer = setInterval(() => (reloading = reloading.then(reload)), options.reloadMs ?? 2000);
  timer.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      clearInterval(timer);
      reject(new Error(`webhook: cannot listen on ${options.address}: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`));
    });
    server.listen({ host, port }, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    address: host.includes(':') ? `[${host}]:${bound}` : `${host}:${bound}`,
    port: bound,
    close: async () => {
      clearInterval(timer);
      await reloading;
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The body, or undefined once a 413 was sent (over `limit` bytes, declared or read). */
function readBody(req: http.IncomingMessage, res: http.ServerResponse, limit: number): Promise<Buffer | undefined> {
  const tooLarge = (): undefined => {
    send(res, 413, 'text/plain', `request body over ${limit} bytes\n`);
    req.resume();
    return undefined;
  };
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? tooLarge() : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, options: WebhookOptions, log: (line: string) => void): Promise<void> {
  const path = new URL(req.url ?? '/', 'https://webhook').pathname;
  if (path !== WEBHOOK_PATH) return send(res, 404, 'text/plain', `no page ${path}; the webhook serves POST ${WEBHOOK_PATH}\n`);
  if (req.method !== 'POST') return send(res, 405, 'text/plain', `POST an AdmissionReview v1 to ${WEBHOOK_PATH}\n`);
  try {
    const body = await readBody(req, res, options.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY);
    if (body === undefined) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return send(res, 400, 'text/plain', `malformed AdmissionReview: the body is not JSON: ${(err as Error).message}\n`);
    }
    const outcome = admit(parsed, options.inject);
    if (!outcome.ok) return send(res, 400, 'text/plain', `malformed AdmissionReview: ${outcome.message}\n`);
    log(`webhook: ${outcome.summary}`);
    return send(res, 200, 'application/json', JSON.stringify(outcome.review));
  } catch (err) {
    if (!res.headersSent) send(res, 500, 'text/plain', `${(err as Error).message}\n`);
  }
}
