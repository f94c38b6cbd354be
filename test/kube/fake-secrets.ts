// Secrets in the fake API server: get one and create one (201, or 409 AlreadyExists as kube-apiserver answers a
// second creator), enough for the CA's root store. A hook runs before each create, so a test can play a replica that
// wins the race between our get and our create.
import type http from 'node:http';

type Json = Record<string, unknown>;
type Answer = (code: number, body: unknown) => void;

/** The Secrets the fake holds, by `namespace/name`. */
export class FakeSecrets {
  readonly #stored = new Map<string, Json>();
  /** Runs before a create is applied (e.g. to store a racing replica's Secret first). */
  beforeCreate: ((namespace: string, name: string) => void) | undefined;
  /** Every create request seen, as `namespace/name`. */
  readonly creates: string[] = [];

  /** The stored Secret, or undefined. */
  get(namespace: string, name: string): Json | undefined {
    return this.#stored.get(`${namespace}/${name}`);
  }

  /** Stores a Secret as if someone else created it (`data` values are plain text, stored base64). */
  put(namespace: string, name: string, data: Readonly<Record<string, string>>): void {
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    this.#stored.set(`${namespace}/${name}`, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, resourceVersion: '1' }, type: 'Opaque', data: encoded });
  }

  /** Whether this request is about Secrets (then `handle` answers it). */
  static matches(pathname: string): boolean {
    return /^\/api\/v1\/namespaces\/[^/]+\/secrets(\/[^/]+)?$/.test(pathname);
  }

  /** Answers GET of one Secret and POST of a new one; anything else is 405. */
  handle(req: http.IncomingMessage, pathname: string, answer: Answer): void {
    const [, namespace = '', name] = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/.exec(pathname) ?? [];
    if (req.method === 'GET' && name !== undefined) {
      const secret = this.get(namespace, name);
      return secret ? answer(200, secret) : answer(404, failure(404, 'NotFound', `secrets "${name}" not found`));
    }
    if (req.method !== 'POST' || name !== undefined) return answer(405, failure(405, 'MethodNotAllowed', 'method not allowed'));
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const body = JSON.parse(text) as Json;
      const metadata = (body['metadata'] ?? {}) as Json;
      const wanted = String(metadata['name'] ?? '');
      this.creates.push(`${namespace}/${wanted}`);
      this.beforeCreate?.(namespace, wanted);
      if (this.#stored.has(`${namespace}/${wanted}`)) return answer(409, failure(409, 'AlreadyExists', `secrets "${wanted}" already exists`));
      const stored = { ...body, metadata: { ...metadata, namespace, resourceVersion: '1' } };
      this.#stored.set(`${namespace}/${wanted}`, stored);
      answer(201, stored);
    });
  }
}

function failure(code: number, reason: string, message: string): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
