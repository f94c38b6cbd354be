// The admin HTTP server (node:http, loopback by default): debug pages as JSON, readiness, Prometheus metrics.
// Config dumps and the registry reveal the mesh, so a non-loopback address is refused unless a bearer token guards
// it; with a token every page but `/ready` needs `authorization: Bearer <token>` (and `/ready` then gives no reason).
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { handleUi, UI_PATHS } from './ui/routes.ts';
import type { AdminUi } from './ui/routes.ts';
import { splitHostPort } from '../model/index.ts';

/** Whether the server is ready, and why not when it is not (the `/ready` body). */
export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: string };

/** What the admin pages show; each call reads the current state. */
export interface AdminView {
  readiness(): Readiness;
  syncz(): unknown;
  /** undefined: no connected proxy has that id. */
  configDump(proxyId: string): unknown;
  registryz(): unknown;
  problems(): unknown;
  metrics(): string;
  /** The web view (`/ui` and the JSON it reads); absent: those paths are 404. */
  readonly ui?: AdminUi;
}

/** A running admin server. */
export interface AdminServer {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The admin endpoints, for the index page and the README. */
export const ADMIN_PATHS: readonly (readonly [string, string])[] = [
  ['/debug/syncz', 'per proxy and xDS type: sent and ACKed version/nonce, SYNCED / STALE / NACKED, last push'],
  ['/debug/config_dump?proxyID=<node id>', 'what one proxy was sent, as Envoy admin ConfigDump JSON'],
  ['/debug/registryz', 'the mesh model: services, endpoints, pods'],
  ['/debug/problems', 'current input, proxy and validation problems'],
  ['/ready', '200 while the sources are synced and applying and the last model build succeeded, else 503 with the reason'],
  ['/metrics', 'Prometheus text format (istiod names: pilot_xds, pilot_xds_pushes, ...)'],
  ...UI_PATHS,
];

/** Whether a host (no brackets) is a loopback address or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return isIP(host) === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(host.toLowerCase());
}

/**
 * Serves `view` on `address` ("127.0.0.1:15014", "[::1]:0"); rejects with a clear error when it cannot bind, or when
 * the address is not loopback and no `token` guards it.
 */
export function startAdmin(address: string, view: AdminView, options: { readonly token?: string } = {}): Promise<AdminServer> {
  const { host, port } = splitAddress(address);
  if (!isLoopbackHost(host) && !options.token) {
    return Promise.reject(new Error(`admin server: ${address} is not a loopback address and its pages reveal the mesh; give a bearer token (--admin-token FILE) or a loopback address`));
  }
  const allowed = options.token ? tokenCheck(options.token) : undefined;
  const server = http.createServer((req, res) => {
    if (allowed && !allowed(req.headers.authorization)) return refuse(view, req, res);
    handle(view, req, res);
  });
  server.keepAliveTimeout = 1000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'address already in use' : err.message;
      reject(new Error(`admin server: cannot listen on ${address}: ${why}`));
    });
    server.listen({ host, port }, () => {
      const bound = (server.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]:${bound}` : `${host}:${bound}`;
      resolve({
        address: shown,
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            view.ui?.feed.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** A constant-time comparison of an `authorization` header with `Bearer <token>`. */
function tokenCheck(token: string): (header: string | undefined) => boolean {
  const want = createHash('sha256').update(token).digest();
  return (header) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return m !== null && timingSafeEqual(createHash('sha256').update(m[1]!).digest(), want);
  };
}

/** A request without the token: `/ready` still answers (status only), everything else is 401. */
function refuse(view: AdminView, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (new URL(req.url ?? '/', 'http://admin').pathname === '/ready' && (req.method === 'GET' || req.method === 'HEAD')) {
    return view.readiness().ready ? send(res, 200, 'text/plain', 'ready\n') : send(res, 503, 'text/plain', 'not ready\n');
  }
  res.setHeader('www-authenticate', 'Bearer');
  send(res, 401, 'text/plain', 'this admin server needs "authorization: Bearer <token>"\n');
}

function handle(view: AdminView, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://admin');
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET\n');
    if (view.ui && handleUi(view.ui, url, req, res)) return;
    switch (url.pathname) {
      case '/ready': {
        const state = view.readiness();
        return state.ready ? send(res, 200, 'text/plain', 'ready\n') : send(res, 503, 'text/plain', `not ready: ${state.reason}\n`);
      }
      case '/metrics':
        return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', view.metrics());
      case '/debug/syncz':
        return json(res, 200, view.syncz());
      case '/debug/registryz':
        return json(res, 200, view.registryz());
      case '/debug/problems':
        return json(res, 200, view.problems());
      case '/debug/config_dump': {
        const id = url.searchParams.get('proxyID') ?? url.searchParams.get('proxyId') ?? '';
        if (id === '') return json(res, 400, { error: 'give the node id as ?proxyID=<node id>' });
        const dump = view.configDump(id);
        return dump === undefined ? json(res, 404, { error: `no connected proxy with node id ${JSON.stringify(id)}` }) : json(res, 200, dump);
      }
      case '/':
      case '/debug':
        return send(res, 200, 'text/plain', `${ADMIN_PATHS.map(([p, what]) => `${p}\n    ${what}`).join('\n')}\n`);
      default:
        return send(res, 404, 'text/plain', `no page ${url.pathname}; see /debug\n`);
    }
  } catch (err) {
    return send(res, 500, 'text/plain', `${(err as Error).message}\n`);
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', `${JSON.stringify(body, null, 2)}\n`);
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Splits "host:port" / "[v6]:port" for net.listen (host without brackets). */
export function splitAddress(address: string): { host: string; port: number } {
  const split = splitHostPort(address, { anyPort: true });
  if (!split) throw new Error(`address "${address}" is not host:port or [ipv6]:port`);
  return split;
}
