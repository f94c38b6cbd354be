// Issue 15's chain end to end, nothing from a test PKI: a real `biplane serve` runs the workload CA (`--ca-dir`),
// issues its own TLS port's certificate from it, and answers CreateCertificate on that port, checking the pods' ServiceAccount tokens through the
// fake API server's TokenReview; each dual-stack pod's sidecar is the real `biplane agent --ca-address --ca-root
// --token-file --xds-tls`, which gets the pod's certificate from that CA and serves it (and the CA's root) to its
// Envoy over SDS, and that Envoy fetches its configuration from the same TLS port presenting that certificate.
// Under a mesh-wide STRICT policy the sidecars' calls over IPv4 and over IPv6 are TLS on both Envoys, the certificates
// in Envoy are the CA's, and a plaintext client without a sidecar is refused on both families.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { spiffeUri } from '../../src/trust/identity.ts';
import { FakeApiServer } from '../kube/fake-apiserver.ts';
import { requireOrSkip } from '../support/requirements.ts';
import { NAMESPACE } from './manifests.ts';
import { startMesh, type Mesh, type MeshSpec } from './mesh.ts';
import { plaintextRefused, sidecarsSpeakMtls, strictMesh } from './mtls-cases.ts';

const skip = requireOrSkip('the namespace mesh with biplane agents', ['root', 'ip', 'iptables', 'ip6tables', 'envoy', 'curl']);

/** A folder every user reads (the agents run as the proxy user), removed when the test ends. */
function sharedDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-mtls-ca-'));
  chmodSync(dir, 0o755);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The mesh under STRICT with serve's CA and each pod's agent: serve's TLS port on a Unix socket (the pods reach it
 * from their namespaces; its certificate from another PKI, for localhost), tokens the fake API server knows.
 */
async function chainSpec(t: TestContext, dir: string, fake: FakeApiServer): Promise<MeshSpec> {
  const file = (name: string, text: string): string => {
    writeFileSync(path.join(dir, name), text, { mode: 0o644 });
    return path.join(dir, name);
  };
  const kubeconfig = file('kubeconfig', fake.kubeconfigYaml());
  const tlsSocket = path.join(dir, 'xds-tls.sock');
  const caRoot = path.join(dir, 'ca', 'root-cert.pem');
  const strict = strictMesh();
  // Each pod runs as its own service account, which biplane checks against the identity streaming its node.
  const base = { ...strict, pods: strict.pods.map((p) => ({ ...p, serviceAccount: p.name })) };
  for (const p of base.pods) fake.tokens.register(`token-${p.name}`, { namespace: NAMESPACE, serviceAccount: p.name });
  t.diagnostic(`serve's TLS port: unix:${tlsSocket}`);
  return {
    ...base,
    // No --tls-cert: serve issues its serving certificate (localhost among its names) from the CA, whose root is
    // then also the default --client-ca; the CA's root-cert.pem is all a pod needs to trust.
    serveArgs: ['--ca-dir', path.join(dir, 'ca'), '--tls-address', `unix:${tlsSocket}`, '--token-review-kubeconfig', kubeconfig],
    // xDS over the TLS port too, the sidecar presenting the certificate the agent got (this --xds-address wins).
    agent: (p) => [
      // The CA folder is private (it holds the key): pods get a copy of the root, as from the ConfigMap in a cluster.
      '--ca-address', `unix:${tlsSocket}`, '--ca-root', file('root-cert.pem', readFileSync(caRoot, 'utf8')), '--token-file', file(`token-${p.name}`, `token-${p.name}\n`),
      '--service-account', p.name, '--xds-address', `unix:${tlsSocket}`, '--xds-tls',
    ],
  };
}

/** Envoy's /certs of `pod`: the workload certificates' URI SANs and the CA certificates' serial numbers. */
async function envoyCerts(mesh: Mesh, pod: string): Promise<{ uris: string[]; caSerials: string[] }> {
  const parsed = JSON.parse((await mesh.pod(pod).envoy.admin('/certs')).body || '{}') as {
    certificates?: { ca_cert?: { serial_number: string }[]; cert_chain?: { subject_alt_names?: { uri?: string }[] }[] }[];
  };
  const all = parsed.certificates ?? [];
  return {
    uris: all.flatMap((c) => c.cert_chain ?? []).flatMap((c) => c.subject_alt_names ?? []).flatMap((s) => (s.uri ? [s.uri] : [])),
    caSerials: all.flatMap((c) => c.ca_cert ?? []).map((c) => c.serial_number.toLowerCase().replace(/^0+/, '')),
  };
}

test('pods whose agents get certificates from biplane serve’s CA speak mTLS over both families under STRICT', { skip, timeout: 420_000 }, async (t) => {
  const fake = await FakeApiServer.start();
  t.after(() => fake.close());
  const dir = sharedDir(t);
  const mesh = await startMesh(t, await chainSpec(t, dir, fake));
  await t.test('each Envoy holds its own SPIFFE identity, issued by serve’s CA, and trusts that CA’s root', async () => {
    const root = new X509Certificate(readFileSync(path.join(dir, 'ca', 'root-cert.pem'), 'utf8'));
    const rootSerial = root.serialNumber.toLowerCase().replace(/^0+/, '');
    for (const name of ['client', 's4', 's6']) {
      const certs = await envoyCerts(mesh, name);
      assert.ok(certs.uris.includes(spiffeUri({ trustDomain: 'cluster.local', namespace: NAMESPACE, serviceAccount: name })), `${name}: ${JSON.stringify(certs)}`);
      assert.ok(certs.caSerials.includes(rootSerial), `${name} trusts serve's root: ${JSON.stringify(certs)}`);
      assert.ok(fake.tokens.reviews.some((r) => r.token === `token-${name}`), `${name}'s token was reviewed`);
    }
  });
  await t.test('every sidecar streams xDS over the TLS port (a TLS handshake on xds-grpc) and biplane refuses none of them', async () => {
    for (const name of ['client', 's4', 's6']) {
      const stats = await mesh.pod(name).envoy.stats();
      assert.ok((stats.get('cluster.xds-grpc.ssl.handshake') ?? 0) > 0, `${name}'s xds-grpc connection is TLS`);
      assert.equal(stats.get('cluster.xds-grpc.ssl.connection_error') ?? 0, 0);
    }
    assert.doesNotMatch(mesh.served.proc.stderr, /refused:/, 'biplane refused no stream');
  });
  await t.test('under STRICT, sidecar-to-sidecar calls over IPv4 and IPv6 are TLS on both Envoys', () => sidecarsSpeakMtls(mesh));
  await t.test('under STRICT, a plaintext client without a sidecar is refused on both families', () => plaintextRefused(mesh));
});
