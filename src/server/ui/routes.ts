// The web view's HTTP routes on the admin server: the page and its two assets, the live event stream, and the JSON
// pages it reads. `handleUi` answers a request or says it is not one of its paths.
import type http from 'node:http';
import type { ChangeFeed } from './events.ts';
import { UI_CSP, UI_CSS, UI_HTML } from './page.ts';
import { UI_SCRIPT } from './script.ts';
import type { UiView } from './view.ts';

/** What the admin server needs to serve the web view. */
export interface AdminUi {
  readonly view: UiView;
  readonly feed: ChangeFeed;
}

/** The web view's paths, for the admin index page and the README. */
export const UI_PATHS: readonly (readonly [string, string])[] = [
  ['/ui', 'the web view: services, pods, sync state, reachability matrix and request paths, live'],
  ['/debug/mesh', 'services with VIPs per family and policy, pods with IPs, IP mode and proxy kind'],
  ['/debug/reachability', 'per pod proxy and service: does an IPv4 / IPv6 call reach upstream addresses'],
  ['/debug/request-path?proxyID=<node id>&host=<service>[&port=N][&family=IPv4|IPv6]', 'listener → chain → route → cluster → endpoints of one call'],
];

const ASSETS: Readonly<Record<string, readonly [string, string]>> = {
  '/ui': ['text/html; charset=utf-8', UI_HTML],
  '/ui/': ['text/html; charset=utf-8', UI_HTML],
  '/ui/app.js': ['text/javascript; charset=utf-8', UI_SCRIPT],
  '/ui/app.css': ['text/css; charset=utf-8', UI_CSS],
};

/** Answers `url` when it is a web view path (true), else leaves the response alone (false). */
export function handleUi(ui: AdminUi, url: URL, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const asset = ASSETS[url.pathname];
  if (asset) {
    const [type, body] = asset;
    res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'content-security-policy': UI_CSP, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
  switch (url.pathname) {
    case '/ui/events':
      ui.feed.attach(req, res);
      return true;
    case '/debug/mesh':
      return json(res, 200, ui.view.mesh());
    case '/debug/reachability':
      return json(res, 200, ui.view.reachability());
    case '/debug/request-path': {
      const answer = ui.view.requestPath(url.searchParams);
      return json(res, answer.status, answer.body);
    }
    default:
      return false;
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): true {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
  return true;
}
