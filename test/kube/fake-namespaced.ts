// Secrets and ConfigMaps in the fake API server: get one, create one (201, or 409 AlreadyExists as kube-apiserver
// answers a second creator) and replace one, enough for the CA's root store and its root ConfigMaps. A hook runs
// before each create, so a test can play a replica that wins the race between our get and our create.
import type http from 'node:http';

type Json = Record<string, unknown>;
type Answer = (code: number, body: unknown) => void;

/** One namespaced collection the fake keeps by `namespace/name` (Secret data base64, as the API has it). */
export class FakeNamespacedStore {
  readonly #stored = new Map<string, Json>();
  readonly #path: RegExp;
  #rv = 1;
  /** Runs before a create is applied (e.g. to store a racing replica's object first). */
  beforeCreate: ((namespace: string, name: string) => void) | undefined;
  /** Every create and replace request seen, as `namespace/name`. */
  readonly creates: string[] = [];
  readonly replaces: string[] = [];
  /** The next `count` requests of any verb answer 500. */
  failNext = 0;

  constructor(
    readonly kind: 'Secret' | 'ConfigMap',
    readonly plural: 'secrets' | 'configmaps',
  ) {
    this.#path = new RegExp(`^/api/v1/namespaces/([^/]+)/${plural}(?:/([^/]+))?$`);
  }

  /** The stored object, or undefined. */
  get(namespace: string, name: string): Json | undefined {
    return this.#stored.get(`${namespace}/${name}`);
  }

  /** Plain-text data of a stored object (Secret data decoded from base64). */
  data(namespace: string, name: string): Record<string, string> | undefined {
    const data = this.get(namespace, name)?.['data'] as Record<string, string> | undefined;
    if (!data) return undefined;
    return this.kind === 'Secret' ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])) : { ...data };
  }

  /** Stores an object as if someone else wrote it (`data` in plain text). */
  put(namespace: string, name: string, data: Readonly<Record<string, string>>): void {
    const stored = this.kind === 'Secret' ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) : { ...data };
    this.#stored.set(`${namespace}/${name}`, { apiVersion: 'v1', kind: this.kind, metadata: { name, namespace, resourceVersion: String(++this.#rv) }, data: stored });
  }

  /** Whether this request is for this collection (then `handle` answers it). */
  matches(pathname: string): boolean {
    return this.#path.test(pathname);
  }

  /** Answers GET and PUT of one object and POST of a new one; anything else is 405. */
  handle(req: http.IncomingMessage, pathname: string, answer: Answer): void {
    const [, namespace = '', name] = this.#path.exec(pathname) ?? [];
    if (this.failNext > 0) {
      this.failNext--;
      return answer(500, failure(500, 'InternalError', 'fake failure'));
    }
    if (req.method === 'GET' && name !== undefined) {
      const found = this.get(namespace, name);
      return found ? answer(200, found) : answer(404, failure(404, 'NotFound', `${this.plural} "${name}" not found`));
    }
    const creating = req.method === 'POST' && name === undefined;
    const replacing = req.method === 'PUT' && name !== undefined;
    if (!creating && !replacing) return answer(405, failure(405, 'MethodNotAllowed', 'method not allowed'));
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const body = JSON.parse(text) as Json;
      const metadata = (body['metadata'] ?? {}) as Json;
      const target = name ?? String(metadata['name'] ?? '');
      const key = `${namespace}/${target}`;
      (creating ? this.creates : this.replaces).push(key);
      if (creating) this.beforeCreate?.(namespace, target);
      if (creating && this.#stored.has(key)) return answer(409, failure(409, 'AlreadyExists', `${this.plural} "${target}" already exists`));
      if (replacing && !this.#stored.has(key)) return answer(404, failure(404, 'NotFound', `${this.plural} "${target}" not found`));
      const stored = { ...body, metadata: { ...metadata, namespace, resourceVersion: String(++this.#rv) } };
      this.#stored.set(key, stored);
      answer(creating ? 201 : 200, stored);
    });
  }
}

function failure(code: number, reason: string, message: string): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
