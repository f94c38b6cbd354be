// ADS on the TLS port over real gRPC on 127.0.0.1 and [::1]: a workload certificate (SPIFFE URI SAN) or a
// ServiceAccount token (reviewed by the fake API server's TokenReview) authenticates; the node a stream claims must
// be of the identity's namespace and, when the model knows the pod, its service account. Every refusal ends the
// stream with its status before any resource is sent; certificate files rotated under a live stream leave it alone
// while new connections get the new certificate.
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { KubeConfig, kubeTokenReviewer } from '../../src/sources/kube/index.ts';
import { WorkloadAuthenticator } from '../../src/trust/authenticator.ts';
import { TypeUrl } from '../../src/xds/index.ts';
import { FakeApiServer } from '../kube/fake-apiserver.ts';
import { TestCa, type Issued } from '../support/pki.ts';
import { adsClientWith, sotwNames, type AdsClient, type DeltaResponse, RawStream, type SotwResponse } from '../xds/raw-client.ts';
import { serveFolder, type ServedFolder } from './served-folder.ts';

const CLUSTER = 'outbound|7070||who.e2e.svc.cluster.local';

/** Pods the model knows: app-0 runs as service account `app`, db-0 as `db` (both in e2e). */
function pod(name: string, sa: string, ip: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'e2e', labels: { app: name } },
    spec: { serviceAccountName: sa, containers: [{ name: 'app', image: 'example/app:1' }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] },
  };
}
const PODS = `${[pod('app-0', 'app', '10.244.0.20'), pod('db-0', 'db', '10.244.0.21')].map((p) => JSON.stringify(p)).join('\n---\n')}\n`;

/** An Istio-style sidecar node for `pod` of `namespace` (metadata as a protobuf Struct, as proto-loader sends it). */
function node(podName: string, namespace = 'e2e', ip = '10.244.0.20'): object {
  return {
    id: `sidecar~${ip}~${podName}.${namespace}~${namespace}.svc.cluster.local`,
    metadata: { fields: { NAMESPACE: { stringValue: namespace }, INSTANCE_IPS: { stringValue: ip } } },
  };
}

interface Pki {
  readonly ca: TestCa;
  readonly stranger: TestCa;
  readonly server: Issued;
  readonly app: Issued;
  readonly db: Issued;
  readonly otherNs: Issued;
  readonly strangerApp: Issued;
}

let pki: Pki;
let fake: FakeApiServer;
let dir: string;

before(async () => {
  const ca = await TestCa.create();
  const stranger = await TestCa.create('an unrelated root');
  pki = {
    ca,
    stranger,
    server: await ca.server(),
    app: await ca.workload('e2e', 'app'),
    db: await ca.workload('e2e', 'db'),
    otherNs: await ca.workload('shop', 'app'),
    strangerApp: await stranger.workload('e2e', 'app'),
  };
  fake = await FakeApiServer.start();
  fake.tokens.register('token-app', { namespace: 'e2e', serviceAccount: 'app' });
  fake.tokens.register('token-db', { namespace: 'e2e', serviceAccount: 'db' });
  fake.tokens.register('token-expired', { namespace: 'e2e', serviceAccount: 'app', expiresAt: Date.now() - 1000 });
  fake.tokens.register('token-api-audience', { namespace: 'e2e', serviceAccount: 'app', audiences: ['https://kubernetes.default.svc'] });
  dir = await mkdtemp(path.join(tmpdir(), 'biplane-tls-'));
});

after(async () => {
  await fake?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Writes the server's certificate files (by rename, as a rotation would) and returns their paths. */
async function writeServerFiles(sub: string, issued: Issued): Promise<{ certFile: string; keyFile: string; clientCaFile: string }> {
  const base = path.join(dir, sub);
  await writeFile(`${base}.ca.pem`, pki.ca.certPem);
  await writeFile(`${base}.key.tmp`, issued.keyPem);
  await writeFile(`${base}.crt.tmp`, issued.certPem);
  await rename(`${base}.key.tmp`, `${base}.key.pem`);
  await rename(`${base}.crt.tmp`, `${base}.crt.pem`);
  return { certFile: `${base}.crt.pem`, keyFile: `${base}.key.pem`, clientCaFile: `${base}.ca.pem` };
}

/** A server with the TLS port on both loopback families, tokens reviewed by the fake API server. */
async function serveTls(t: TestContext, sub: string): Promise<ServedFolder> {
  const files = await writeServerFiles(sub, pki.server);
  const kc = new KubeConfig();
  kc.loadFromString(fake.kubeconfigYaml());
  const authenticator = new WorkloadAuthenticator({ tokenReviewer: kubeTokenReviewer(kc) });
  return serveFolder(t, {
    podIps: false,
    files: { 'pods.yaml': PODS },
    server: { tls: { ...files, addresses: ['127.0.0.1:0', '[::1]:0'], authenticator, pollMs: 50 } },
  });
}

/** Who the client is: a certificate, a token, or nothing; and which server certificates it saw (by serial). */
interface ClientAs {
  readonly cert?: Issued;
  readonly token?: string;
  readonly seen?: string[];
}

function tlsClient(f: ServedFolder, address: string, as: ClientAs): AdsClient {
  const seen = as.seen;
  const creds = grpc.credentials.createSsl(
    Buffer.from(pki.ca.certPem),
    as.cert ? Buffer.from(as.cert.keyPem) : null,
    as.cert ? Buffer.from(as.cert.certPem) : null,
    {
      checkServerIdentity: (_host, cert) => {
        seen?.push(new X509Certificate(cert.raw).serialNumber.toLowerCase());
        return undefined;
      },
    },
  );
  return f.track(adsClientWith(address, creds));
}

function metadata(token: string | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  if (token !== undefined) md.set('authorization', `Bearer ${token}`);
  return md;
}

function sotw(f: ServedFolder, address: string, as: ClientAs): RawStream<SotwResponse> {
  const client = tlsClient(f, address, as);
  return f.track(new RawStream(client, client.StreamAggregatedResources(metadata(as.token))));
}

function delta(f: ServedFolder, address: string, as: ClientAs): RawStream<DeltaResponse> {
  const client = tlsClient(f, address, as);
  return f.track(new RawStream(client, client.DeltaAggregatedResources(metadata(as.token))));
}

/** Opens a SotW stream as `as` for `claimed` and asks for clusters; resolves to the first response or the status. */
async function ask(f: ServedFolder, address: string, as: ClientAs, claimed: object): Promise<{ response?: SotwResponse; status?: grpc.StatusObject }> {
  const s = sotw(f, address, as);
  s.send({ node: claimed, type_url: TypeUrl.Cluster });
  try {
    return { response: await s.next(10_000) };
  } catch {
    return { status: await s.status() };
  }
}

test('a workload certificate of the node’s namespace and service account gets its config on 127.0.0.1 and [::1]', { timeout: 60_000 }, async (t) => {
  const f = await serveTls(t, 'cert-ok');
  assert.equal(f.server.tlsAddresses.length, 2);
  for (const address of f.server.tlsAddresses) {
    const { response, status } = await ask(f, address, { cert: pki.app }, node('app-0'));
    assert.ok(response, `config over ${address}, not ${status?.code} ${status?.details}`);
    assert.ok(sotwNames(response).includes(CLUSTER));
  }
});

test('a certificate claiming another namespace’s node, or a pod of another service account, gets PERMISSION_DENIED and no resource', { timeout: 60_000 }, async (t) => {
  const f = await serveTls(t, 'cert-deny');
  const [v4, v6] = f.server.tlsAddresses as [string, string];
  const foreign = await ask(f, v4, { cert: pki.otherNs }, node('app-0'));
  assert.equal(foreign.response, undefined);
  assert.equal(foreign.status?.code, grpc.status.PERMISSION_DENIED);
  assert.match(foreign.status?.details ?? '', /spiffe:\/\/cluster\.local\/ns\/shop\/sa\/app .*claims namespace e2e/);
  const otherSa = await ask(f, v6, { cert: pki.app }, node('db-0', 'e2e', '10.244.0.21'));
  assert.equal(otherSa.response, undefined);
  assert.equal(otherSa.status?.code, grpc.status.PERMISSION_DENIED);
  assert.match(otherSa.status?.details ?? '', /pod e2e\/db-0 runs as service account db/);
  const d = delta(f, v4, { cert: pki.otherNs });
  d.send({ node: node('app-0'), type_url: TypeUrl.Cluster });
  await assert.rejects(d.next(10_000), /stream ended: 7 /);
  assert.equal((await d.status()).code, grpc.status.PERMISSION_DENIED);
});

test('a ServiceAccount token gets its own pod’s config; another account’s token, an expired one or one for another audience is refused', { timeout: 60_000 }, async (t) => {
  const f = await serveTls(t, 'tokens');
  const [v4, v6] = f.server.tlsAddresses as [string, string];
  const ok = await ask(f, v6, { token: 'token-app' }, node('app-0'));
  assert.ok(ok.response && sotwNames(ok.response).includes(CLUSTER), `token-app: ${ok.status?.details}`);
  const other = await ask(f, v4, { token: 'token-db' }, node('app-0'));
  assert.equal(other.status?.code, grpc.status.PERMISSION_DENIED);
  assert.match(other.status?.details ?? '', /sa\/db .*pod e2e\/app-0 runs as service account app/);
  const expired = await ask(f, v4, { token: 'token-expired' }, node('app-0'));
  assert.equal(expired.status?.code, grpc.status.UNAUTHENTICATED);
  assert.match(expired.status?.details ?? '', /expired/);
  const audience = await ask(f, v6, { token: 'token-api-audience' }, node('app-0'));
  assert.equal(audience.status?.code, grpc.status.UNAUTHENTICATED);
  assert.match(audience.status?.details ?? '', /audience/);
  const unknown = await ask(f, v4, { token: 'made-up' }, node('app-0'));
  assert.equal(unknown.status?.code, grpc.status.UNAUTHENTICATED);
  assert.ok(fake.tokens.reviews.every((r) => r.audiences.length === 1 && r.audiences[0] === 'istio-ca'), 'every review asks for istio-ca');
});

test('no credentials, or a certificate from another CA, get UNAUTHENTICATED and no resource', { timeout: 60_000 }, async (t) => {
  const f = await serveTls(t, 'anon');
  for (const address of f.server.tlsAddresses) {
    const none = await ask(f, address, {}, node('app-0'));
    assert.equal(none.response, undefined);
    assert.equal(none.status?.code, grpc.status.UNAUTHENTICATED, `${address}: ${none.status?.details}`);
    assert.match(none.status?.details ?? '', /no credentials/);
    const stranger = await ask(f, address, { cert: pki.strangerApp }, node('app-0'));
    assert.equal(stranger.response, undefined);
    assert.equal(stranger.status?.code, grpc.status.UNAUTHENTICATED, `${address}: ${stranger.status?.details}`);
  }
});

test('rotated certificate files: new connections get the new certificate while a live stream keeps receiving pushes', { timeout: 60_000 }, async (t) => {
  const f = await serveTls(t, 'rotate');
  const v4 = f.server.tlsAddresses[0] as string;
  const firstSeen: string[] = [];
  const live = sotw(f, v4, { cert: pki.app, seen: firstSeen });
  live.send({ node: node('app-0'), type_url: TypeUrl.Cluster });
  const cds = await live.next(10_000);
  live.send({ type_url: TypeUrl.Cluster, version_info: cds.version_info, response_nonce: cds.nonce });
  assert.deepEqual(firstSeen, [pki.server.serial.toLowerCase()]);

  const rotated = await pki.ca.server();
  await writeServerFiles('rotate', rotated);
  const reloads = f.server.tls?.certificates.reloads ?? 0;
  for (let i = 0; i < 200 && (f.server.tls?.certificates.reloads ?? 0) === reloads; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(f.server.tls?.certificates.reloads, reloads + 1, 'the files were reloaded');

  const laterSeen: string[] = [];
  const fresh = await ask(f, v4, { cert: pki.app, seen: laterSeen }, node('app-0'));
  assert.ok(fresh.response, `a new connection is served: ${fresh.status?.details}`);
  assert.deepEqual(laterSeen, [rotated.serial.toLowerCase()]);

  // A new service changes the old stream's clusters: it is pushed over the connection made before the rotation.
  await writeFile(path.join(f.manifests.dir, 'extra.yaml'), JSON.stringify({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'extra', namespace: 'e2e' },
    spec: { clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'], ipFamilies: ['IPv4'], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
  }));
  const pushed = await live.next(10_000);
  assert.ok(sotwNames(pushed).includes('outbound|8080||extra.e2e.svc.cluster.local'));
  assert.deepEqual(firstSeen, [pki.server.serial.toLowerCase()], 'the old connection never handshook again');
});

test('a stream allowed for a pod the model did not know ends PERMISSION_DENIED once the pod appears with another service account', { timeout: 60_000 }, async (t) => {
  const f = await serveTls(t, 'late-pod');
  const v6 = f.server.tlsAddresses[1] as string;
  const s = sotw(f, v6, { cert: pki.app });
  s.send({ node: node('late-0', 'e2e', '10.244.0.30'), type_url: TypeUrl.Cluster });
  const cds = await s.next(10_000);
  s.send({ type_url: TypeUrl.Cluster, version_info: cds.version_info, response_nonce: cds.nonce });
  await writeFile(path.join(f.manifests.dir, 'late.yaml'), JSON.stringify(pod('late-0', 'db', '10.244.0.30')));
  const status = await s.status(15_000);
  assert.equal(status.code, grpc.status.PERMISSION_DENIED);
  assert.match(status.details, /pod e2e\/late-0 runs as service account db/);
  assert.equal(f.server.xds.streams().length, 0);
});
