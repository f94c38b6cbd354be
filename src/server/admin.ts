// The admin HTTP server (node:http, loopback by default): debug pages as JSON, readiness, Prometheus metrics.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleUi, UI_PATHS } from './ui/routes.ts';
import type { AdminUi } from './ui/routes.ts';

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

/** Serves `view` on `address` ("127.0.0.1:15014", "[::1]:0"); rejects with a clear error when it cannot bind. */
export function startAdmin(address: string, view: AdminView): Promise<AdminServer> {
  const { host, port } = splitAddress(address);
  const server = http.createServer((req, res) => handle(view, req, res));
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
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(address) ?? /^([^:[\]]+):(\d{1,5})$/.exec(address);
  const port = Number(m?.[2]);
  if (!m?.[1] || !(port >= 0 && port <= 65535)) throw new Error(`address "${address}" is not host:port or [ipv6]:port`);
  return { host: m[1], port };
}
