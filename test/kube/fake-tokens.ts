// The fake API server's TokenReview (authentication.k8s.io/v1): tokens the test registers with the ServiceAccount
// they belong to, their audiences and expiry, judged as kube-apiserver judges them (unknown, expired, or for none of
// the requested audiences: not authenticated, with a reason; else the ServiceAccount's username and the audiences
// both sides share).
type Json = Record<string, unknown>;

/** A token as the test registers it. */
export interface FakeToken {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Default: ['istio-ca']. */
  readonly audiences?: readonly string[];
  /** Date.now() after which the token is expired (default: never). */
  readonly expiresAt?: number;
}

/** The path a TokenReview is created at. */
export const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

/** Registered tokens and the reviews asked of them. */
export class FakeTokens {
  readonly #tokens = new Map<string, FakeToken>();
  /** Every review asked: the token and the audiences requested. */
  readonly reviews: { token: string; audiences: readonly string[] }[] = [];

  /** Registers (or replaces) a token. */
  register(token: string, entry: FakeToken): void {
    this.#tokens.set(token, entry);
  }

  /** The TokenReview kube-apiserver would answer to a created `body`. */
  review(body: Json): Json {
    const spec = (body['spec'] ?? {}) as { token?: string; audiences?: string[] };
    const token = spec.token ?? '';
    const wanted = spec.audiences ?? [];
    this.reviews.push({ token, audiences: wanted });
    const entry = this.#tokens.get(token);
    const answer = (status: Json): Json => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: { creationTimestamp: null }, spec, status });
    if (!entry) return answer({ authenticated: false, error: 'invalid bearer token' });
    if (entry.expiresAt !== undefined && Date.now() >= entry.expiresAt) return answer({ authenticated: false, error: 'invalid bearer token, Token has expired.' });
    const has = entry.audiences ?? ['istio-ca'];
    const shared = wanted.length === 0 ? [...has] : wanted.filter((a) => has.includes(a));
    if (shared.length === 0) return answer({ authenticated: false, error: `invalid bearer token, token audiences ${JSON.stringify(has)} is invalid for the target audiences ${JSON.stringify(wanted)}` });
    const username = `system:serviceaccount:${entry.namespace}:${entry.serviceAccount}`;
    return answer({ authenticated: true, user: { username, groups: ['system:serviceaccounts', `system:serviceaccounts:${entry.namespace}`] }, audiences: shared });
  }
}
