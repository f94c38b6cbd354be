// ServiceAccount tokens checked by the API server: one `TokenReview` create (authentication.k8s.io/v1) per token,
// with the audience the caller expects. The only write biplane makes to the API, and it stores nothing there.
import { AuthenticationV1Api, type KubeConfig } from './client.ts';
import { describeError } from './errors.ts';

/** What the API server said of a token (its `status`), or why it could not say. */
export interface TokenReviewAnswer {
  readonly authenticated: boolean;
  /** `system:serviceaccount:<namespace>:<name>` for a ServiceAccount token. */
  readonly username?: string;
  /** The audiences the token is valid for, among those asked for. */
  readonly audiences: readonly string[];
  /** The API server's reason when it did not authenticate the token. */
  readonly error?: string;
}

/** Reviews tokens through a cluster's TokenReview API; rejects when the API server cannot be asked. */
export function kubeTokenReviewer(kc: KubeConfig): { review(token: string, audience: string): Promise<TokenReviewAnswer> } {
  const reviews = kc.makeApiClient(AuthenticationV1Api);
  return {
    async review(token, audience) {
      let status;
      try {
        const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [audience] } };
        status = (await reviews.createTokenReview({ body })).status;
      } catch (err) {
        throw new Error(`TokenReview failed: ${describeError(err)}`);
      }
      return {
        authenticated: status?.authenticated === true,
        ...(status?.user?.username ? { username: status.user.username } : {}),
        audiences: status?.audiences ?? [],
        ...(status?.error ? { error: status.error } : {}),
      };
    },
  };
}
