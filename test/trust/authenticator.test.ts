// The Authenticator: a verified certificate's SPIFFE URI of our trust domain, else a ServiceAccount token the
// TokenReview API vouches for, for our audience; answers cached by token hash for a bounded time (never past the
// token's own expiry) and count; everything else refused UNAUTHENTICATED with the reason.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { KubeConfig, kubeTokenReviewer } from '../../src/sources/kube/index.ts';
import { WorkloadAuthenticator, callCredentials, uriSans } from '../../src/trust/authenticator.ts';
import type { TokenReviewer } from '../../src/trust/authenticator.ts';
import { AuthError } from '../../src/trust/identity.ts';
import { x509 } from '../../src/trust/x509.ts';
import { FakeApiServer } from '../kube/fake-apiserver.ts';
import { TestCa } from '../support/pki.ts';

type Review = Awaited<ReturnType<TokenReviewer['review']>>;

/** A reviewer answering from a table, counting what it was asked. */
function table(answers: Record<string, Review>): TokenReviewer & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    review: async (token, audience) => {
      asked.push(`${token}@${audience}`);
      return answers[token] ?? { authenticated: false, audiences: [], error: 'unknown token' };
    },
  };
}

const APP: Review = { authenticated: true, username: 'system:serviceaccount:e2e:app', audiences: ['istio-ca'] };

async function refusal(p: Promise<unknown>): Promise<AuthError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof AuthError, `an AuthError, not ${String(err)}`);
  assert.equal(err.code, grpc.status.UNAUTHENTICATED);
  return err;
}

test('a certificate with a SPIFFE URI of our trust domain is that workload; another trust domain or a non-SPIFFE URI is refused', async () => {
  const auth = new WorkloadAuthenticator();
  assert.deepEqual(await auth.authenticate({ peerUris: ['spiffe://cluster.local/ns/e2e/sa/app'] }), { trustDomain: 'cluster.local', namespace: 'e2e', serviceAccount: 'app' });
  assert.match((await refusal(auth.authenticate({ peerUris: ['spiffe://other.domain/ns/e2e/sa/app'] }))).message, /no workload of trust domain cluster\.local/);
  await refusal(auth.authenticate({ peerUris: ['https://example.com/ns/e2e/sa/app'] }));
  const custom = new WorkloadAuthenticator({ trustDomain: 'mesh.example' });
  assert.equal((await custom.authenticate({ peerUris: ['spiffe://mesh.example/ns/a/sa/b'] })).namespace, 'a');
});

test('no credentials, or a token where no TokenReview API is configured, are refused with the reason', async () => {
  const auth = new WorkloadAuthenticator({ noReviewerReason: 'serving manifests' });
  assert.match((await refusal(auth.authenticate({ peerUris: [] }))).message, /no credentials/);
  assert.match((await refusal(auth.authenticate({ peerUris: [], bearerToken: 't' }))).message, /cannot be verified here: serving manifests/);
});

test('a reviewed token is its ServiceAccount; other users, missing audiences and unauthenticated tokens are refused', async () => {
  const reviewer = table({
    app: APP,
    user: { authenticated: true, username: 'alice', audiences: ['istio-ca'] },
    apiAudience: { authenticated: true, username: 'system:serviceaccount:e2e:app', audiences: [] },
  });
  const auth = new WorkloadAuthenticator({ tokenReviewer: reviewer });
  assert.deepEqual(await auth.authenticate({ peerUris: [], bearerToken: 'app' }), { trustDomain: 'cluster.local', namespace: 'e2e', serviceAccount: 'app' });
  assert.match((await refusal(auth.authenticate({ peerUris: [], bearerToken: 'user' }))).message, /not a ServiceAccount's \(user alice\)/);
  assert.match((await refusal(auth.authenticate({ peerUris: [], bearerToken: 'apiAudience' }))).message, /not for audience istio-ca/);
  assert.match((await refusal(auth.authenticate({ peerUris: [], bearerToken: 'nope' }))).message, /not valid: unknown token/);
  assert.deepEqual(reviewer.asked, ['app@istio-ca', 'user@istio-ca', 'apiAudience@istio-ca', 'nope@istio-ca']);
});

test('review answers are reused until the cache time or the token’s own expiry passes, and the cache keeps a bounded count', async () => {
  let now = 1_000_000;
  const exp = (seconds: number): string => `h.${Buffer.from(JSON.stringify({ exp: seconds })).toString('base64url')}.s`;
  const shortLived = exp(1_000_000 / 1000 + 5); // expires 5 s after "now"
  const reviewer = table({ app: APP, [shortLived]: APP, other: APP });
  const auth = new WorkloadAuthenticator({ tokenReviewer: reviewer, cacheMs: 60_000, cacheSize: 2, now: () => now });
  const as = (token: string): Promise<unknown> => auth.authenticate({ peerUris: [], bearerToken: token });
  await as('app');
  await as('app');
  assert.equal(auth.reviews, 1, 'the second call is answered from the cache');
  await refusal(as('nope'));
  await refusal(as('nope'));
  assert.equal(auth.reviews, 2, 'refusals are cached too');
  now += 60_001;
  await as('app');
  assert.equal(auth.reviews, 3, 'past the cache time the token is reviewed again');
  await as(shortLived);
  now += 6_000;
  await as(shortLived);
  assert.equal(auth.reviews, 5, 'never cached past the token’s exp');
  // cacheSize 2: app, shortLived are cached; a third token evicts the oldest (app).
  await as('other');
  await as('app');
  assert.equal(auth.reviews, 7);
});

test('a reviewer that cannot be reached rejects with a plain error, not a refusal of the caller', async () => {
  const auth = new WorkloadAuthenticator({ tokenReviewer: { review: () => Promise.reject(new Error('TokenReview failed: connection refused')) } });
  const err = await auth.authenticate({ peerUris: [], bearerToken: 't' }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof Error && !(err instanceof AuthError));
  assert.match(err.message, /connection refused/);
});

test('callCredentials reads the Bearer token and the verified peer certificate’s URI SANs', async () => {
  const ca = await TestCa.create();
  const w = await ca.workload('e2e', 'app');
  const der = Buffer.from(new x509.X509Certificate(w.certPem).rawData);
  assert.deepEqual(uriSans(der), ['spiffe://cluster.local/ns/e2e/sa/app']);
  const md = new grpc.Metadata();
  md.set('authorization', 'Bearer abc.def');
  const call = { metadata: md, getAuthContext: () => ({ transportSecurityType: 'ssl', sslPeerCertificate: { raw: der } as never }) };
  assert.deepEqual(callCredentials(call), { bearerToken: 'abc.def', peerUris: ['spiffe://cluster.local/ns/e2e/sa/app'] });
  const bare = { metadata: new grpc.Metadata(), getAuthContext: () => ({}) };
  assert.deepEqual(callCredentials(bare), { peerUris: [] });
  const basic = new grpc.Metadata();
  basic.set('authorization', 'Basic abc');
  assert.deepEqual(callCredentials({ metadata: basic, getAuthContext: () => ({}) }), { peerUris: [] });
});

let fake: FakeApiServer;
before(async () => {
  fake = await FakeApiServer.start({ host: '::1' });
});
after(async () => {
  await fake?.close();
});

test('kubeTokenReviewer creates TokenReviews with our audience and reads the API server’s answer (over IPv6)', async () => {
  fake.tokens.register('good', { namespace: 'e2e', serviceAccount: 'app', audiences: ['istio-ca', 'other'] });
  const kc = new KubeConfig();
  kc.loadFromString(fake.kubeconfigYaml());
  const reviewer = kubeTokenReviewer(kc);
  assert.deepEqual(await reviewer.review('good', 'istio-ca'), { authenticated: true, username: 'system:serviceaccount:e2e:app', audiences: ['istio-ca'] });
  const bad = await reviewer.review('bad', 'istio-ca');
  assert.equal(bad.authenticated, false);
  assert.match(bad.error ?? '', /invalid bearer token/);
  assert.deepEqual(fake.tokens.reviews.map((r) => r.audiences), [['istio-ca'], ['istio-ca']]);
  fake.faults.rejectCredentials = true;
  await assert.rejects(reviewer.review('good', 'istio-ca'), /TokenReview failed: .*401/);
  fake.faults.rejectCredentials = false;
});
