// Who is calling: a gRPC call's credentials (a verified client certificate's URI SANs, a bearer token) turned into a
// workload identity. A certificate must carry `spiffe://<trust domain>/ns/<ns>/sa/<sa>`; a token is a Kubernetes
// ServiceAccount token the API server vouches for through TokenReview, for our audience. Token answers are cached by
// the token's hash, for a bounded time (never past the token's own expiry) and a bounded count.
//
// Other gRPC services on the TLS port (the workload CA) use the same two calls: `callCredentials(call)` and
// `authenticator.authenticate(credentials)`, which resolves to a `WorkloadIdentity` or rejects with an `AuthError`
// (UNAUTHENTICATED), or with a plain Error when the API server could not be asked.
import { createHash } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { AuthError, DEFAULT_TRUST_DOMAIN, parseSpiffeUri } from './identity.ts';
import type { Authenticator, CallCredentials, WorkloadIdentity } from './identity.ts';
import { x509 } from './x509.ts';

/** The token audience when none is configured, as in Istio. */
export const DEFAULT_TOKEN_AUDIENCE = 'istio-ca';

/** What a TokenReview says of a token (see src/sources/kube/token-review.ts). */
export interface TokenReviewer {
  review(token: string, audience: string): Promise<{
    readonly authenticated: boolean;
    readonly username?: string;
    readonly audiences: readonly string[];
    readonly error?: string;
  }>;
}

/** How tokens and certificates are judged. */
export interface AuthenticatorOptions {
  /** The trust domain identities must belong to (default cluster.local). */
  readonly trustDomain?: string;
  /** Where tokens are reviewed; without one every token is refused with the reason `noReviewerReason`. */
  readonly tokenReviewer?: TokenReviewer;
  /** Why tokens cannot be checked when there is no reviewer (shown to the caller). */
  readonly noReviewerReason?: string;
  /** The audience a token must be valid for (default istio-ca). */
  readonly audience?: string;
  /** How long a review's answer is reused (default 60 s) and how many answers are kept (default 10,000). */
  readonly cacheMs?: number;
  readonly cacheSize?: number;
  /** The clock (ms), for tests. */
  readonly now?: () => number;
}

/** The credentials of a grpc-js server call: its `authorization: Bearer` token and its verified peer certificate's URI SANs. */
export function callCredentials(call: Pick<ServerDuplexStream<unknown, unknown>, 'metadata' | 'getAuthContext'>): CallCredentials {
  const header = call.metadata.get('authorization')[0];
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  const cert = call.getAuthContext()?.sslPeerCertificate;
  return { ...(match ? { bearerToken: match[1]! } : {}), peerUris: cert?.raw ? uriSans(cert.raw) : [] };
}

/** The URI SANs of a DER certificate (none when it has no SAN extension or cannot be read). */
export function uriSans(der: Uint8Array): string[] {
  try {
    const cert = new x509.X509Certificate(der);
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    return san ? san.names.items.filter((n) => n.type === 'url').map((n) => n.value) : [];
  } catch {
    return [];
  }
}

interface CachedAnswer {
  readonly until: number;
  readonly identity?: WorkloadIdentity;
  readonly refusal?: string;
}

/** The real Authenticator: SPIFFE client certificates, else ServiceAccount tokens through TokenReview. */
export class WorkloadAuthenticator implements Authenticator {
  readonly trustDomain: string;
  readonly audience: string;
  readonly #options: AuthenticatorOptions;
  readonly #cache = new Map<string, CachedAnswer>();
  /** TokenReviews sent (cache misses), for tests and metrics. */
  reviews = 0;

  constructor(options: AuthenticatorOptions = {}) {
    this.#options = options;
    this.trustDomain = options.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    this.audience = options.audience ?? DEFAULT_TOKEN_AUDIENCE;
  }

  /** The identity of a call, from its certificate when it has one, else from its token. */
  async authenticate(credentials: CallCredentials): Promise<WorkloadIdentity> {
    if (credentials.peerUris.length > 0) return this.#fromCertificate(credentials.peerUris);
    if (credentials.bearerToken !== undefined) return this.#fromToken(credentials.bearerToken);
    throw new AuthError(GrpcStatus.UNAUTHENTICATED, 'no credentials: present a client certificate signed by the mesh CA, or a ServiceAccount token as "authorization: Bearer <token>"');
  }

  #fromCertificate(uris: readonly string[]): WorkloadIdentity {
    const ids = uris.map(parseSpiffeUri).filter((id): id is WorkloadIdentity => id !== undefined);
    const ours = ids.find((id) => id.trustDomain === this.trustDomain);
    if (ours) return ours;
    throw new AuthError(GrpcStatus.UNAUTHENTICATED, `the client certificate names no workload of trust domain ${this.trustDomain} (URI SANs: ${uris.join(', ')})`);
  }

  async #fromToken(token: string): Promise<WorkloadIdentity> {
    const reviewer = this.#options.tokenReviewer;
    if (!reviewer) throw new AuthError(GrpcStatus.UNAUTHENTICATED, `bearer tokens cannot be verified here: ${this.#options.noReviewerReason ?? 'no TokenReview API configured'}`);
    const key = createHash('sha256').update(token).digest('base64url');
    const now = (this.#options.now ?? Date.now)();
    let answer = this.#cache.get(key);
    if (!answer || answer.until <= now) {
      this.reviews += 1;
      const review = await reviewer.review(token, this.audience);
      answer = { until: Math.min(now + (this.#options.cacheMs ?? 60_000), tokenExpiry(token) ?? Infinity), ...this.#judge(review) };
      this.#remember(key, answer);
    }
    if (answer.identity) return answer.identity;
    throw new AuthError(GrpcStatus.UNAUTHENTICATED, answer.refusal ?? 'token refused');
  }

  /** A review's answer as an identity or the reason the token is refused. */
  #judge(review: Awaited<ReturnType<TokenReviewer['review']>>): { identity: WorkloadIdentity } | { refusal: string } {
    if (!review.authenticated) return { refusal: `the token is not valid${review.error ? `: ${review.error}` : ''}` };
    if (!review.audiences.includes(this.audience)) {
      return { refusal: `the token is not for audience ${this.audience} (it is for ${review.audiences.join(', ') || 'the API server'})` };
    }
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(review.username ?? '');
    if (!m) return { refusal: `the token is not a ServiceAccount's (user ${review.username ?? 'unknown'})` };
    return { identity: { trustDomain: this.trustDomain, namespace: m[1]!, serviceAccount: m[2]! } };
  }

  #remember(key: string, answer: CachedAnswer): void {
    this.#cache.delete(key);
    const max = this.#options.cacheSize ?? 10_000;
    while (this.#cache.size >= max) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(key, answer);
  }
}

/** The `exp` of a JWT (ms), read without verifying (only to stop caching a review past it); undefined if unreadable. */
function tokenExpiry(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
