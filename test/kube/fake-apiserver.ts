// A small Kubernetes API server of our own that speaks the list/watch protocol over plain HTTP on loopback, so the
// real @kubernetes/client-node talks to it. One global resourceVersion, a bounded event history, discovery, paginated
// lists (`limit`/`continue`), a ServiceEntry CRD that can come and go, and fault injection: 410 Gone, ERROR events,
// bookmarks, stalled and dropped watches, and through `faults` (fake-faults.ts) 401, 403 per RBAC rule, 429 with
// Retry-After, 504 too large resource version, cut lists, malformed, cut and reordered watch lines. TokenReviews are
// answered from the tokens a test registers in `tokens` (fake-tokens.ts).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { compareStrings } from '../../src/compare-strings.ts';
import { FakeFaults, type Verb } from './fake-faults.ts';
import { Pager } from './fake-pages.ts';
import { FakeNamespacedStore } from './fake-namespaced.ts';
import { FakeTokens, TOKEN_REVIEW_PATH } from './fake-tokens.ts';
import {
  FAKE_RESOURCES,
  apiGroups,
  continueExpired,
  identity,
  keyPrefix,
  kubeconfigFor,
  status,
  tooLargeResourceVersion,
  type FakeResource,
} from './fake-protocol.ts';
import { OpenWatches, matches, type HistoryEvent, type OpenWatch } from './fake-watches.ts';

export { FAKE_RESOURCES, type FakeResource };

type Json = Record<string, unknown>;
/** One request as the fake saw it, for assertions about what the client asked. */
export interface SeenRequest {
  /** The HTTP method: GET for list and watch; POST/PUT only for TokenReviews and the CA's Secret and ConfigMaps. */
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly watch: boolean;
  readonly status: number;
  /** When it was answered (Date.now()), to check that waits the server asked for were kept. */
  readonly at: number;
}

/** Options of a fake server. */
export interface FakeApiServerOptions {
  readonly host?: '127.0.0.1' | '::1';
  readonly serviceEntryCrd?: boolean;
  /** Whether the PeerAuthentication CRD (security.istio.io/v1) is installed. */
  readonly peerAuthenticationCrd?: boolean;
  /** Events kept for watches that resume from an older resourceVersion. */
  readonly historyLimit?: number;
  /** How a watch from a compacted resourceVersion fails: HTTP 410, or 200 followed by an ERROR event with code 410. */
  readonly goneStyle?: 'http' | 'event';
}

/** The fake API server: start it, mutate objects, inject faults, close it. */
export class FakeApiServer {
  readonly #server: http.Server;
  readonly #objects = new Map<string, Json>();
  readonly #history: HistoryEvent[] = [];
  readonly #watches = new OpenWatches();
  readonly #sockets = new Set<Socket>();
  readonly #pager = new Pager();
  readonly #historyLimit: number;
  readonly #goneStyle: 'http' | 'event';
  #rv = 100;
  #compactedRv = 0;
  #stallNext = 0;
  /** Whether the ServiceEntry CRD is installed (discovery and the serviceentries endpoints). */
  serviceEntryCrd: boolean;
  /** Tokens TokenReview knows (see fake-tokens.ts). */
  readonly tokens = new FakeTokens();
  /** Whether the PeerAuthentication CRD is installed (discovery and the peerauthentications endpoints). */
  peerAuthenticationCrd: boolean;
  /** What the server is told to break (see fake-faults.ts). */
  readonly faults = new FakeFaults();
  /** Called before each list request (page) is answered, to change the server between pages. */
  onListPage: ((path: string, query: Readonly<Record<string, string>>) => void) | undefined;
  /** Every request served, in order. */
  readonly requests: SeenRequest[] = [];
  /** Secrets and ConfigMaps (get, create, replace one), for the CA's root store and root ConfigMaps. */
  readonly secrets = new FakeNamespacedStore('Secret', 'secrets');
  readonly configMaps = new FakeNamespacedStore('ConfigMap', 'configmaps');

  private constructor(server: http.Server, options: FakeApiServerOptions) {
    this.#server = server;
    this.serviceEntryCrd = options.serviceEntryCrd ?? false;
    this.peerAuthenticationCrd = options.peerAuthenticationCrd ?? false;
    this.#historyLimit = options.historyLimit ?? 1000;
    this.#goneStyle = options.goneStyle ?? 'http';
  }

  /** Starts a server on an ephemeral loopback port. */
  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    let self: FakeApiServer | undefined;
    const server = http.createServer((req, res) => self && !self.#namespaced(req, res) && self.handle(req, res));
    self = new FakeApiServer(server, options);
    const fake = self;
    server.on('connection', (socket) => {
      fake.#sockets.add(socket);
      socket.on('close', () => fake.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, options.host ?? '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** `http://host:port` of the server (IPv6 in brackets). */
  get url(): string {
    const a = this.#server.address() as AddressInfo;
    return a.family === 'IPv6' ? `http://[${a.address}]:${a.port}` : `http://${a.address}:${a.port}`;
  }

  /** The current global resourceVersion. */
  get resourceVersion(): number {
    return this.#rv;
  }

  /** A kubeconfig (YAML) whose current context points at this server. */
  kubeconfigYaml(): string {
    return kubeconfigFor(this.url);
  }

  /** Creates or replaces an object (ADDED or MODIFIED), stamping a new resourceVersion; returns the stored copy. */
  apply(object: Json): Json {
    const { kind, namespace, name } = identity(object);
    const key = `${kind}/${namespace}/${name}`;
    const existed = this.#objects.has(key);
    const rv = ++this.#rv;
    const meta = { ...(object['metadata'] as Json), ...(namespace ? { namespace } : {}), resourceVersion: String(rv) };
    const stored = { ...object, metadata: meta };
    this.#objects.set(key, stored);
    this.#emit({ rv, type: existed ? 'MODIFIED' : 'ADDED', kind, namespace, object: stored });
    return stored;
  }

  /** Deletes an object (DELETED carries its last state with the deletion's resourceVersion); false if absent. */
  delete(kind: string, namespace: string, name: string): boolean {
    const key = `${kind}/${namespace}/${name}`;
    const old = this.#objects.get(key);
    if (!old) return false;
    this.#objects.delete(key);
    const rv = ++this.#rv;
    const object = { ...old, metadata: { ...(old['metadata'] as Json), resourceVersion: String(rv) } };
    this.#emit({ rv, type: 'DELETED', kind, namespace, object });
    return true;
  }

  /** `Kind/namespace/name` → resourceVersion of every stored object (namespace '' when cluster-scoped). */
  snapshot(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [key, obj] of this.#objects) out.set(key, String((obj['metadata'] as Json)['resourceVersion']));
    return out;
  }

  /** Forgets the event history: watches from any resourceVersion older than now get 410 Gone. */
  compact(): void {
    this.#history.length = 0;
    this.#compactedRv = this.#rv;
    this.#pager.expireAll();
  }

  /** Every continue token handed out so far expires (its next page answers 410 Expired). */
  expireContinueTokens(): void {
    this.#pager.expireAll();
  }

  /** The next `count` list requests for `kind` answer with `status` (500 by default). */
  failNextLists(kind: string, count = 1, status = 500): void {
    this.faults.failNext('list', kind, count, status);
  }

  /** Lists (and watches) answer normally again. */
  clearListFailures(): void {
    this.faults.clearPlanned();
  }

  /** Installs the ServiceEntry CRD: discovery lists networking.istio.io/v1 and its collections are served. */
  installServiceEntryCrd(): void {
    this.serviceEntryCrd = true;
  }

  /**
   * Removes the ServiceEntry CRD as kube-apiserver does: every ServiceEntry is deleted first (DELETED events), then
   * the open ServiceEntry watches end and the group leaves discovery (its paths answer 404).
   */
  removeServiceEntryCrd(): void {
    for (const key of [...this.#objects.keys()].filter((k) => k.startsWith('ServiceEntry/'))) {
      const [, namespace = '', name = ''] = key.split('/');
      this.delete('ServiceEntry', namespace, name);
    }
    this.#watches.endKind('ServiceEntry');
    this.serviceEntryCrd = false;
  }

  /** Sends a BOOKMARK at the current resourceVersion to every open watch that asked for bookmarks. */
  bookmark(): number {
    return this.#watches.bookmark(this.#rv);
  }

  /** Sends an ERROR event (Status `code`: 410 by default, 504 too large resource version) to every open watch and ends them. */
  errorWatches(code = 410): number {
    return this.#watches.error(code, this.#rv);
  }

  /** Destroys the connection of every open watch mid-stream (no clean end). */
  dropWatches(): number {
    return this.#watches.drop();
  }

  /** Every open watch stays open but receives nothing more. */
  stallWatches(): number {
    return this.#watches.stall();
  }

  /** The next `count` watch requests get headers and then nothing at all. */
  stallNextWatches(count = 1): void {
    this.#stallNext = count;
  }

  /** Number of watches currently streaming (not stalled). */
  liveWatches(kind?: string): number {
    return this.#watches.live(kind);
  }

  /** Closes the server and every connection. */
  async close(): Promise<void> {
    this.#watches.clear();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Answers a Secret or ConfigMap request (see fake-namespaced.ts); false when the request is for something else. */
  #namespaced(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://fake');
    const store = [this.secrets, this.configMaps].find((s) => s.matches(url.pathname));
    if (!store || req.headers.authorization !== 'Bearer fake-token') return false;
    store.handle(req, url.pathname, (code, body) => {
      this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: {}, watch: false, status: code, at: Date.now() });
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    return true;
  }

  #emit(event: HistoryEvent): void {
    this.#history.push(event);
    if (this.#history.length > this.#historyLimit) {
      const dropped = this.#history.splice(0, this.#history.length - this.#historyLimit);
      this.#compactedRv = dropped[dropped.length - 1]?.rv ?? this.#compactedRv;
    }
    for (const e of this.faults.order(event)) this.#watches.deliver(e, this.faults.nextDelivery());
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams.entries());
    const watch = query['watch'] === 'true' || query['watch'] === '1';
    const answer = (code: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void => {
      this.requests.push({ method: req.method ?? '', path: url.pathname, query, watch, status: code, at: Date.now() });
      res.writeHead(code, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const post = req.method === 'POST' && url.pathname === TOKEN_REVIEW_PATH;
    if (req.method !== 'GET' && !post) return answer(405, status(405, 'MethodNotAllowed'));
    if (this.faults.rejectCredentials || req.headers.authorization !== 'Bearer fake-token') {
      return answer(401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
    if (post) return this.#tokenReview(req, answer);
    if (url.pathname === '/api') return answer(200, { kind: 'APIVersions', versions: ['v1'] });
    if (url.pathname === '/apis') {
      const refusal = this.faults.discoveryRefusal();
      return refusal ? answer(refusal.code, refusal.body) : answer(200, apiGroups(this.serviceEntryCrd, this.peerAuthenticationCrd));
    }
    const target = this.#route(url.pathname);
    if (!target) return answer(404, status(404, 'NotFound'));
    const verb: Verb = watch ? 'watch' : 'list';
    const asked = Number(query['resourceVersion'] ?? '0') || 0;
    const refusal = this.faults.refusal(verb, target.resource, target.namespace, asked, this.#rv);
    if (refusal) return answer(refusal.code, refusal.body, refusal.headers);
    if (watch && asked > this.#rv) {
      return answer(504, tooLargeResourceVersion(asked, this.#rv));
    }
    if (!watch) {
      this.onListPage?.(url.pathname, query);
      return this.#list(target.resource, target.namespace, query, answer, res);
    }
    const seen = (code: number): void => void this.requests.push({ method: req.method ?? '', path: url.pathname, query, watch, status: code, at: Date.now() });
    this.#watch(target.resource, target.namespace, query, res, seen);
  }

  /** Answers a TokenReview create (201 with its status) from the registered tokens. */
  #tokenReview(req: http.IncomingMessage, answer: (code: number, body: unknown) => void): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Json;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
      } catch {
        return answer(400, status(400, 'BadRequest'));
      }
      answer(201, this.tokens.review(body));
    });
  }

  #route(path: string): { resource: FakeResource; namespace: string | undefined } | undefined {
    for (const resource of FAKE_RESOURCES) {
      if (resource.kind === 'ServiceEntry' && !this.serviceEntryCrd) continue;
      if (resource.kind === 'PeerAuthentication' && !this.peerAuthenticationCrd) continue;
      if (path === `${resource.prefix}/${resource.plural}`) return { resource, namespace: undefined };
      const m = /^\/namespaces\/([^/]+)\/([^/]+)$/.exec(path.slice(resource.prefix.length));
      if (resource.namespaced && path.startsWith(`${resource.prefix}/`) && m?.[2] === resource.plural) {
        return { resource, namespace: m[1] };
      }
    }
    return undefined;
  }

  #list(
    resource: FakeResource,
    namespace: string | undefined,
    query: Record<string, string>,
    answer: (code: number, body: unknown) => void,
    res: http.ServerResponse,
  ): void {
    const limit = Number(query['limit'] ?? '0') || 0;
    const token = query['continue'];
    const page = token
      ? this.#pager.next(token, limit)
      : this.#pager.first(this.#items(resource.kind, namespace), this.#rv, limit);
    if (!page) return answer(410, continueExpired(this.#pager.inconsistent(token ?? '')));
    const metadata = {
      resourceVersion: String(page.rv),
      ...(page.continueToken ? { continue: page.continueToken, remainingItemCount: page.remaining } : {}),
    };
    const body = { kind: `${resource.kind}List`, apiVersion: resource.apiVersion, metadata, items: page.items };
    if (!this.faults.cutThisList(resource.kind)) return answer(200, body);
    // Half the body, then a reset: the client sees a list cut in the middle of a chunk.
    this.requests.push({ method: 'GET', path: `${resource.prefix}/${resource.plural}`, query, watch: false, status: 200, at: Date.now() });
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    res.write(text.slice(0, Math.floor(text.length / 2)));
    setImmediate(() => res.socket?.destroy());
  }

  /** The current objects of a collection in key order, without kind and apiVersion as a real list sends them. */
  #items(kind: string, namespace: string | undefined): Json[] {
    return [...this.#objects.entries()]
      .filter(([key]) => key.startsWith(keyPrefix(kind, namespace)))
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([, { kind: _k, apiVersion: _a, ...rest }]) => rest);
  }

  #watch(
    resource: FakeResource,
    namespace: string | undefined,
    query: Record<string, string>,
    res: http.ServerResponse,
    seen: (code: number) => void,
  ): void {
    const from = Number(query['resourceVersion'] ?? '0');
    if (from !== 0 && from < this.#compactedRv && this.#goneStyle === 'http') {
      seen(410);
      res.writeHead(410, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status(410, 'Expired')));
      return;
    }
    seen(200);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const w: OpenWatch = {
      res,
      kind: resource.kind,
      namespace,
      bookmarks: query['allowWatchBookmarks'] === 'true',
      stalled: this.#stallNext > 0,
    };
    if (this.#stallNext > 0) this.#stallNext--;
    this.#watches.add(w, Number(query['timeoutSeconds'] ?? '0'));
    if (w.stalled) return;
    if (from !== 0 && from < this.#compactedRv) {
      this.#watches.write(w, { type: 'ERROR', object: status(410, 'Expired') });
      return this.#watches.end(w);
    }
    if (from === 0) {
      for (const [key, object] of this.#objects) {
        if (key.startsWith(keyPrefix(resource.kind, namespace))) this.#watches.write(w, { type: 'ADDED', object });
      }
      return;
    }
    // Replayed events go through the same faults as live ones (a damaged line stays damaged on every try).
    for (const e of this.#history) if (e.rv > from && matches(w, e)) this.#watches.send(w, e, this.faults.nextDelivery());
  }
}
