// Mesh mTLS through real sidecars: every pod's Envoy gets its certificate (a SPIFFE identity from a test root) from a
// real SDS server over a Unix socket, biplane gives the sidecars auto-mTLS outbound and the PeerAuthentication mode
// inbound. Under a mesh-wide STRICT policy, calls between sidecars over IPv4 and over IPv6 are TLS (Envoy's
// ssl.handshake counters on both sides), the server app only ever sees its own Envoy as the peer, and a plaintext
// client without a sidecar is refused on both families; under PERMISSIVE that client is accepted, and sidecars still
// speak mTLS.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireOrSkip } from '../support/requirements.ts';
import { createTestPki, SettableCertificateSource } from '../support/pki.ts';
import { waitFor } from '../support/envoy.ts';
import { deltas, outcomes, target } from './expect.ts';
import { refuseFamily, startMesh, type ClientRequest, type Mesh, type MeshSpec } from './mesh.ts';
import { APP_PORT, cluster, FROM, HANDSHAKES, IPS, PLAIN, plaintextRefused, sidecarsSpeakMtls, strictMesh, TCP_PORT, VIP } from './mtls-cases.ts';

const skip = requireOrSkip('the namespace mesh', ['root', 'ip', 'iptables', 'ip6tables', 'envoy']);

async function spec(): Promise<MeshSpec> {
  const pki = await createTestPki();
  return {
    ...strictMesh(),
    certificates: async (p) => new SettableCertificateSource(await pki.issue({ trustDomain: 'cluster.local', namespace: 'mesh', serviceAccount: p.name })),
  };
}

async function plaintextAccepted(mesh: Mesh): Promise<void> {
  const want = Object.fromEntries(PLAIN.map((r) => [target(r), `${IPS.s4.includes(r.host as never) ? 's4' : 's6'} ${r.host.includes(':') ? 'IPv6' : 'IPv4'} from ${r.host.includes(':') ? FROM.IPv6 : FROM.IPv4}`]));
  assert.deepEqual(outcomes(await mesh.request('plain', PLAIN)), want);
}

async function happyEyeballsKeepsTls(mesh: Mesh): Promise<void> {
  const call: ClientRequest = { kind: 'tcp', host: VIP.srv4[0], port: TCP_PORT };
  const undo = await refuseFamily(mesh, 's4', 'IPv4', APP_PORT);
  try {
    const { value, delta } = await deltas({ tls: { pod: mesh.pod('client'), stat: HANDSHAKES.clientTcp4 }, s4: { pod: mesh.pod('s4'), stat: HANDSHAKES.inbound } }, () =>
      mesh.request('client', [call]),
    );
    assert.deepEqual(outcomes(value), { [target(call)]: `s4 IPv6 from ${FROM.IPv6}` }, 'the endpoint’s IPv6 address, after IPv4 was refused');
    assert.deepEqual(delta, { tls: 1, s4: 1 }, 'the IPv6 attempt was TLS, as the IPv4 one would have been');
  } finally {
    await undo();
  }
}

test('sidecars with SDS certificates speak mTLS over both families; STRICT refuses plaintext, PERMISSIVE accepts it', { skip, timeout: 420_000 }, async (t) => {
  const mesh = await startMesh(t, await spec());
  await t.test('under STRICT, sidecar-to-sidecar calls over IPv4 and IPv6 are TLS on both Envoys and the apps see only their own Envoy', () =>
    sidecarsSpeakMtls(mesh),
  );
  await t.test('under STRICT, a plaintext client without a sidecar is refused on both families and never reaches an app', () => plaintextRefused(mesh));
  await t.test('when Happy Eyeballs falls back to the endpoint’s IPv6 address, the connection is still mTLS', () => happyEyeballsKeepsTls(mesh));
  await t.test('under PERMISSIVE, the plaintext client is accepted on both families and sidecars still speak mTLS', async () => {
    mesh.rewrite(cluster('PERMISSIVE'));
    // The server picks the change up and pushes it; wait (bounded) until the first plaintext call gets through.
    await waitFor(async () => (await mesh.request('plain', PLAIN.slice(0, 1)))[0]?.reply !== undefined, 30_000, 'PERMISSIVE to reach s4');
    await waitFor(async () => (await mesh.request('plain', PLAIN.slice(2, 3)))[0]?.reply !== undefined, 30_000, 'PERMISSIVE to reach s6');
    await plaintextAccepted(mesh);
    await sidecarsSpeakMtls(mesh);
  });
});
