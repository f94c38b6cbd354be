// A small Kubernetes API server of our own that speaks the list/watch protocol over plain HTTP on loopback, so the
// real @kubernetes/client-node talks to it. One global resourceVersion, a bounded event history, discovery, and
// fault injection (410 Gone, ERROR events, bookmarks, failing lists, stalled and dropped watches).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A served collection: where it lives and what its objects are. */
export interface FakeResource {
  readonly kind: string;
  readonly apiVersion: string;
  /** `/api/v1` or `/apis/<group>/<version>`. */
  readonly prefix: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

/** The collections the fake serves (ServiceEntries only while the CRD is installed). */
export const FAKE_RESOURCES: readonly FakeResource[] = [
  { kind: 'Service', apiVersion: 'v1', prefix: '/api/v1', plural: 'services', namespaced: true },
  { kind: 'Pod', apiVersion: 'v1', prefix: '/api/v1', plural: 'pods', namespaced: true },
  { kind: 'Node', apiVersion: 'v1', prefix: '/api/v1', plural: 'nodes', namespaced: false },
  { kind: 'Namespace', apiVersion: 'v1', prefix: '/api/v1', plural: 'namespaces', namespaced: false },
  {
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    prefix: '/apis/discovery.k8s.io/v1',
    plural: 'endpointslices',
    namespaced: true,
  },
  {
    kind: 'ServiceEntry',
    apiVersion: 'networking.istio.io/v1',
    prefix: '/apis/networking.istio.io/v1',
    plural: 'serviceentries',
    namespaced: true,
  },
];

type Json = Record<string, unknown>;
type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface HistoryEvent {
  readonly rv: number;
  readonly type: EventType;
  readonly kind: string;
  readonly namespace: string;
  readonly object: Json;
}

interface OpenWatch {
  readonly res: http.ServerResponse;
  readonly kind: string;
  readonly namespace: string | undefined;
  readonly bookmarks: boolean;
  stalled: boolean;
  timer?: NodeJS.Timeout;
}

/** One request as the fake saw it, for assertions about what the client asked. */
export interface SeenRequest {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly watch: boolean;
  readonly status: number;
}

/** Options of a fake server. */
export interface FakeApiServerOptions {
  readonly host?: '127.0.0.1' | '::1';
  readonly serviceEntryCrd?: boolean;
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
  readonly #watches = new Set<OpenWatch>();
  readonly #sockets = new Set<Socket>();
  readonly #listFailures = new Map<string, number>();
  readonly #historyLimit: number;
  readonly #goneStyle: 'http' | 'event';
  #rv = 100;
  #compactedRv = 0;
  #stallNext = 0;
  /** Whether the ServiceEntry CRD is installed (discovery and the serviceentries endpoints). */
  serviceEntryCrd: boolean;
  /** Every request served, in order. */
  readonly requests: SeenRequest[] = [];

  private constructor(server: http.Server, options: FakeApiServerOptions) {
    this.#server = server;
    this.serviceEntryCrd = options.serviceEntryCrd ?? false;
    this.#historyLimit = options.historyLimit ?? 1000;
    this.#goneStyle = options.goneStyle ?? 'http';
  }

  /** Starts a server on an ephemeral loopback port. */
  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    let self: FakeApiServer | undefined;
    const server = http.createServer((req, res) => self?.handle(req, res));
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
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: ${this.url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: tester',
      '  user:',
      '    token: fake-token',
      'contexts:',
      '- name: fake',
      '  context:',
      '    cluster: fake',
      '    user: tester',
      'current-context: fake',
      '',
    ].join('\n');
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
  }

  /** The next `count` list requests for `kind` answer with `status` (500 by default). */
  failNextLists(kind: string, count = 1, status = 500): void {
    this.#listFailures.set(kind, count * 1000 + status);
  }

  /** Lists answer normally again. */
  clearListFailures(): void {
    this.#listFailures.clear();
  }

  /** Sends a BOOKMARK at the current resourceVersion to every open watch that asked for bookmarks. */
  bookmark(): number {
    let sent = 0;
    for (const w of this.#watches) {
      if (!w.bookmarks || w.stalled) continue;
      const r = FAKE_RESOURCES.find((x) => x.kind === w.kind);
      const object = { kind: w.kind, apiVersion: r?.apiVersion, metadata: { resourceVersion: String(this.#rv) } };
      write(w, { type: 'BOOKMARK', object });
      sent++;
    }
    return sent;
  }

  /** Sends an ERROR event (a Status with `code`, 410 by default) to every open watch, then ends them. */
  errorWatches(code = 410): number {
    const n = this.#watches.size;
    for (const w of [...this.#watches]) {
      write(w, { type: 'ERROR', object: status(code, code === 410 ? 'Expired' : 'InternalError') });
      this.#endWatch(w);
    }
    return n;
  }

  /** Destroys the connection of every open watch mid-stream (no clean end). */
  dropWatches(): number {
    const n = this.#watches.size;
    for (const w of [...this.#watches]) {
      this.#watches.delete(w);
      if (w.timer) clearTimeout(w.timer);
      w.res.socket?.destroy();
    }
    return n;
  }

  /** Every open watch stays open but receives nothing more. */
  stallWatches(): number {
    for (const w of this.#watches) w.stalled = true;
    return this.#watches.size;
  }

  /** The next `count` watch requests get headers and then nothing at all. */
  stallNextWatches(count = 1): void {
    this.#stallNext = count;
  }

  /** Number of watches currently streaming (not stalled). */
  liveWatches(kind?: string): number {
    return [...this.#watches].filter((w) => !w.stalled && (kind === undefined || w.kind === kind)).length;
  }

  /** Closes the server and every connection. */
  async close(): Promise<void> {
    for (const w of this.#watches) if (w.timer) clearTimeout(w.timer);
    this.#watches.clear();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #emit(event: HistoryEvent): void {
    this.#history.push(event);
    if (this.#history.length > this.#historyLimit) {
      const dropped = this.#history.splice(0, this.#history.length - this.#historyLimit);
      this.#compactedRv = dropped[dropped.length - 1]?.rv ?? this.#compactedRv;
    }
    for (const w of this.#watches) {
      if (!w.stalled && matches(w, event)) write(w, { type: event.type, object: event.object });
    }
  }

  #endWatch(w: OpenWatch): void {
    this.#watches.delete(w);
    if (w.timer) clearTimeout(w.timer);
    w.res.end();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams.entries());
    const watch = query['watch'] === 'true' || query['watch'] === '1';
    const answer = (code: number, body: unknown): void => {
      this.requests.push({ path: url.pathname, query, watch, status: code });
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return answer(405, status(405, 'MethodNotAllowed'));
    if (url.pathname === '/api') return answer(200, { kind: 'APIVersions', versions: ['v1'] });
    if (url.pathname === '/apis') return answer(200, this.#groups());
    const target = this.#route(url.pathname);
    if (!target) return answer(404, status(404, 'NotFound'));
    if (!watch) return this.#list(target.resource, target.namespace, answer);
    const seen = (code: number): void => void this.requests.push({ path: url.pathname, query, watch, status: code });
    this.#watch(target.resource, target.namespace, query, res, seen);
  }

  #groups(): Json {
    const group = (name: string, version: string): Json => {
      const gv = { groupVersion: `${name}/${version}`, version };
      return { name, versions: [gv], preferredVersion: gv };
    };
    const groups = [group('apiextensions.k8s.io', 'v1'), group('discovery.k8s.io', 'v1')];
    if (this.serviceEntryCrd) groups.push(group('networking.istio.io', 'v1'));
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }

  #route(path: string): { resource: FakeResource; namespace: string | undefined } | undefined {
    for (const resource of FAKE_RESOURCES) {
      if (resource.kind === 'ServiceEntry' && !this.serviceEntryCrd) continue;
      if (path === `${resource.prefix}/${resource.plural}`) return { resource, namespace: undefined };
      const m = /^\/namespaces\/([^/]+)\/([^/]+)$/.exec(path.slice(resource.prefix.length));
      if (resource.namespaced && path.startsWith(`${resource.prefix}/`) && m?.[2] === resource.plural) {
        return { resource, namespace: m[1] };
      }
    }
    return undefined;
  }

  #list(resource: FakeResource, namespace: string | undefined, answer: (code: number, body: unknown) => void): void {
    const failure = this.#listFailures.get(resource.kind);
    if (failure !== undefined) {
      const left = Math.floor(failure / 1000) - 1;
      if (left > 0) this.#listFailures.set(resource.kind, left * 1000 + (failure % 1000));
      else this.#listFailures.delete(resource.kind);
      return answer(failure % 1000, status(failure % 1000, 'InternalError'));
    }
    const items = [...this.#objects.entries()]
      .filter(([key]) => key.startsWith(keyPrefix(resource.kind, namespace)))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      // A real API server omits kind and apiVersion on the items of a list.
      .map(([, { kind: _k, apiVersion: _a, ...rest }]) => rest);
    const kind = `${resource.kind}List`;
    answer(200, { kind, apiVersion: resource.apiVersion, metadata: { resourceVersion: String(this.#rv) }, items });
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
    this.#watches.add(w);
    res.on('close', () => {
      this.#watches.delete(w);
      if (w.timer) clearTimeout(w.timer);
    });
    const seconds = Number(query['timeoutSeconds'] ?? '0');
    if (seconds > 0) w.timer = setTimeout(() => this.#endWatch(w), seconds * 1000);
    if (w.stalled) return;
    if (from !== 0 && from < this.#compactedRv) {
      write(w, { type: 'ERROR', object: status(410, 'Expired') });
      return this.#endWatch(w);
    }
    if (from === 0) {
      for (const [key, object] of this.#objects) {
        if (key.startsWith(keyPrefix(resource.kind, namespace))) write(w, { type: 'ADDED', object });
      }
      return;
    }
    for (const e of this.#history) if (e.rv > from && matches(w, e)) write(w, { type: e.type, object: e.object });
  }
}

function keyPrefix(kind: string, namespace: string | undefined): string {
  return namespace === undefined ? `${kind}/` : `${kind}/${namespace}/`;
}

function matches(w: OpenWatch, e: HistoryEvent): boolean {
  return w.kind === e.kind && (w.namespace === undefined || w.namespace === e.namespace);
}

function write(w: OpenWatch, event: Json): void {
  if (!w.res.writableEnded) w.res.write(`${JSON.stringify(event)}\n`);
}

function status(code: number, reason: string): Json {
  const message = code === 410 ? 'too old resource version' : `fake failure ${code}`;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function identity(object: Json): { kind: string; namespace: string; name: string } {
  const kind = object['kind'];
  const meta = object['metadata'] as Json | undefined;
  const name = meta?.['name'];
  if (typeof kind !== 'string' || typeof name !== 'string') throw new Error('fake object needs kind and metadata.name');
  const resource = FAKE_RESOURCES.find((r) => r.kind === kind);
  if (!resource) throw new Error(`fake server does not serve kind ${kind}`);
  const namespace = resource.namespaced ? String(meta?.['namespace'] ?? 'default') : '';
  return { kind, namespace, name };
}
