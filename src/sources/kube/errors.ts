// What a failed list or watch request means for a reflector: the HTTP status and the Kubernetes Status the API server
// sent, sorted into what to do next (relist, wait as told, back off) and a message an operator can act on.

type Json = Record<string, unknown>;

/** A failed request as the reflector sees it, whatever the client library threw. */
export interface RequestFailure {
  /** HTTP status, or undefined when the connection failed or the answer could not be read. */
  readonly status: number | undefined;
  /** The Kubernetes `Status` object of the answer, when it carried one. */
  readonly body: Json | undefined;
  /** Response headers (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  /** A short cause when there is no status (connection refused, reset, malformed line). */
  readonly cause: string;
}

/** What the reflector should do about a failure. */
export type FailureAction =
  /** The resourceVersion or continue token is gone (410): list again from scratch. */
  | 'relist'
  /** The server is behind the resourceVersion asked for (504 Too large resource version): wait, then list again. */
  | 'too-large'
  /** Anything else: report and retry after a delay. */
  | 'retry';

/** A failure sorted: the action, the delay the server asked for (Retry-After), and the message to report. */
export interface Classified {
  readonly action: FailureAction;
  readonly retryAfterMs: number | undefined;
  readonly message: string;
}

/** An error thrown by our own requests (watches): it carries the parts `toFailure` reads. */
export class KubeRequestError extends Error {
  readonly statusCode: number | undefined;
  readonly body: Json | undefined;
  readonly headers: Readonly<Record<string, string>>;
  constructor(message: string, statusCode?: number, body?: Json, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.statusCode = statusCode;
    this.body = body;
    this.headers = headers;
  }
}

/** Reads status, Status body and headers out of whatever a request threw (client-node's ApiException or ours). */
export function toFailure(err: unknown): RequestFailure {
  if (err instanceof KubeRequestError) {
    return { status: err.statusCode, body: err.body, headers: err.headers, cause: err.message };
  }
  if (isRecord(err) && typeof err['code'] === 'number') {
    const cause = String(err['message'] ?? '');
    return { status: err['code'], body: parseBody(err['body']), headers: lowerCase(err['headers']), cause };
  }
  return { status: undefined, body: undefined, headers: {}, cause: err instanceof Error ? err.message : String(err) };
}

/** The reflector's verb and collection for a request, so a 401/403 can name the RBAC rule that is missing. */
export interface RequestScope {
  readonly verb: 'list' | 'watch';
  /** The resource's plural, e.g. `services`. */
  readonly resource: string;
  /** The API group, '' for the core group. */
  readonly group: string;
  /** The namespace, undefined when cluster-wide. */
  readonly namespace: string | undefined;
  /** The collection path, for messages. */
  readonly path: string;
}

/** Sorts a failure of `scope` into an action, a server-requested delay and an operator-facing message. */
export function classify(failure: RequestFailure, scope: RequestScope): Classified {
  const { status, body } = failure;
  const retryAfterMs = retryAfter(failure);
  const what = `${scope.verb === 'list' ? 'listing' : 'watching'} ${scope.path} failed`;
  const serverMessage = typeof body?.['message'] === 'string' ? `: ${body['message']}` : '';
  if (status === 410) return { action: 'relist', retryAfterMs, message: `${what}: HTTP 410 Gone${serverMessage}` };
  if (status === 504 && isTooLarge(body)) {
    return { action: 'too-large', retryAfterMs, message: `${what}: HTTP 504${serverMessage}; listing again` };
  }
  if (status === 401) {
    const why = 'the API server rejected the credentials (token or client certificate expired or invalid)';
    return { action: 'retry', retryAfterMs, message: `${what}: HTTP 401 Unauthorized: ${why}; biplane also needs ${rbacRule(scope)}` };
  }
  if (status === 403) {
    const message = `${what}: HTTP 403 Forbidden${serverMessage}; missing RBAC permission: ${rbacRule(scope)}`;
    return { action: 'retry', retryAfterMs, message };
  }
  if (status === 429) {
    const wait = retryAfterMs === undefined ? '' : `; retrying after ${retryAfterMs / 1000} s as the server asked`;
    return { action: 'retry', retryAfterMs, message: `${what}: HTTP 429 Too Many Requests${serverMessage}${wait}` };
  }
  if (status !== undefined) return { action: 'retry', retryAfterMs, message: `${what}: HTTP ${status}${serverMessage}` };
  return { action: 'retry', retryAfterMs, message: `${what}: ${failure.cause}` };
}

/** The RBAC rule a request needs, as a ClusterRole (cluster-wide) or Role (one namespace) would grant it. */
export function rbacRule(scope: Pick<RequestScope, 'verb' | 'resource' | 'group' | 'namespace'>): string {
  const where = scope.namespace === undefined ? 'a ClusterRole (cluster-wide)' : `a Role in namespace ${scope.namespace}`;
  const { verb, resource, group } = scope;
  const rule = `apiGroups: ["${group}"], resources: ["${resource}"], verbs: ["${verb}"]`;
  return `verb "${verb}" on resource "${resource}" in API group "${group}" (${rule}) through ${where}`;
}

/** A short description of a failed request: HTTP status and the Status message when there is one. */
export function describeError(err: unknown): string {
  const f = toFailure(err);
  if (f.status === undefined) return f.cause;
  return typeof f.body?.['message'] === 'string' ? `HTTP ${f.status}: ${f.body['message']}` : `HTTP ${f.status}`;
}

/** The delay the server asked for: the Retry-After header (seconds), else the Status' details.retryAfterSeconds. */
function retryAfter(failure: RequestFailure): number | undefined {
  const header = failure.headers['retry-after'];
  if (header !== undefined && /^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const details = failure.body?.['details'];
  const seconds = isRecord(details) ? details['retryAfterSeconds'] : undefined;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** A 504 Status whose causes say the resourceVersion asked for is ahead of the server. */
function isTooLarge(body: Json | undefined): boolean {
  const details = body?.['details'];
  const causes = isRecord(details) && Array.isArray(details['causes']) ? details['causes'] : [];
  if (causes.some((c) => isRecord(c) && c['reason'] === 'ResourceVersionTooLarge')) return true;
  return typeof body?.['message'] === 'string' && body['message'].includes('Too large resource version');
}

function parseBody(body: unknown): Json | undefined {
  if (isRecord(body)) return body;
  if (typeof body !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function lowerCase(headers: unknown): Record<string, string> {
  if (!isRecord(headers)) return {};
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
}

/** A plain JSON object (not an array, not null). */
export function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
