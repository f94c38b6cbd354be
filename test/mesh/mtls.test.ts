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
import { clusterStat, deltas, fqdn, outcome, outcomes, target } from './expect.ts';
import { refuseFamily, startMesh, type ClientRequest, type Mesh, type MeshPodSpec, type MeshSpec } from './mesh.ts';
import type { ClusterSpec } from './manifests.ts';

const skip = requireOrSkip('the namespace mesh', ['root', 'ip', 'iptables', 'ip6tables', 'envoy']);

/** A dual client, a dual server of each primary family, and a host without a sidecar on the same network. */
const IPS = {
  client: ['198.18.0.61', '2001:db8::61'],
  s4: ['198.18.0.62', '2001:db8::62'],
  s6: ['2001:db8::63', '198.18.0.63'],
  plain: ['198.18.0.250', '2001:db8::250'],
} as const;

const VIP = { srv4: ['198.19.0.61', '2001:db8:96::61'], srv6: ['2001:db8:96::62', '198.19.0.62'] } as const;
const APP_PORT = 8080;
const TCP_PORT = 9000;
const HTTP_PORT = 80;
const SIDECAR = { 'security.istio.io/tlsMode': 'istio' };

function pod(name: keyof typeof IPS, appPorts: number[] = []): MeshPodSpec {
  return { name, ips: IPS[name], labels: { app: name, ...SIDECAR }, appPorts };
}

function cluster(mode: 'STRICT' | 'PERMISSIVE'): ClusterSpec {
  return {
    pods: [pod('client'), pod('s4', [APP_PORT]), pod('s6', [APP_PORT])],
    services: (['srv4', 'srv6'] as const).map((name) => ({
      name,
      vips: VIP[name],
      selector: { app: name === 'srv4' ? 's4' : 's6' },
      ports: [
        { name: 'tcp-echo', port: TCP_PORT, targetPort: APP_PORT },
        { name: 'http-web', port: HTTP_PORT, targetPort: APP_PORT },
      ],
    })),
    // Mesh-wide, in the root namespace.
    peerAuthentications: [{ name: 'default', namespace: 'istio-system', mode }],
  };
}

async function spec(): Promise<MeshSpec> {
  const pki = await createTestPki();
  return {
    ...cluster('STRICT'),
    pods: cluster('STRICT').pods.map((p) => ({ ...p, appPorts: p.name === 'client' ? [] : [APP_PORT] })),
    outside: [{ name: 'plain', ips: IPS.plain, appPorts: [] }],
    certificates: async (p) => new SettableCertificateSource(await pki.issue({ trustDomain: 'cluster.local', namespace: 'mesh', serviceAccount: p.name })),
  };
}

const FROM = { IPv4: '127.0.0.6', IPv6: '::6' } as const;

/** The client's calls: each service by each VIP, TCP and HTTP. */
const CALLS: ClientRequest[] = (['srv4', 'srv6'] as const).flatMap((name) =>
  VIP[name].flatMap((host) => [
    { kind: 'tcp' as const, host, port: TCP_PORT },
    { kind: 'http' as const, host, port: HTTP_PORT },
  ]),
);

/** Which server and family each call reaches: the endpoint's primary family, from the server Envoy's own source. */
function expectedCalls(): Record<string, string> {
  return Object.fromEntries(CALLS.map((r) => [target(r), (VIP.srv4 as readonly string[]).includes(r.host) ? `s4 IPv4 from ${FROM.IPv4}` : `s6 IPv6 from ${FROM.IPv6}`]));
}

const HANDSHAKES = {
  clientTcp4: clusterStat(`outbound|${TCP_PORT}||${fqdn('srv4')}`, 'ssl.handshake'),
  clientTcp6: clusterStat(`outbound|${TCP_PORT}||${fqdn('srv6')}`, 'ssl.handshake'),
  clientHttp: /^cluster\.outbound\|80\|\|srv[46]\.mesh\.svc\.cluster\.local\.ssl\.handshake$/,
  clientHttpConnections: /^cluster\.outbound\|80\|\|srv[46]\.mesh\.svc\.cluster\.local\.upstream_cx_total$/,
  inbound: /^listener\..*_15006\.ssl\.handshake$/,
  inboundConnections: /^listener\..*_15006\.downstream_cx_total$/,
};

async function sidecarsSpeakMtls(mesh: Mesh): Promise<void> {
  const client = mesh.pod('client');
  const { value, delta } = await deltas(
    {
      tcp4: { pod: client, stat: HANDSHAKES.clientTcp4 },
      tcp6: { pod: client, stat: HANDSHAKES.clientTcp6 },
      http: { pod: client, stat: HANDSHAKES.clientHttp },
      httpConnections: { pod: client, stat: HANDSHAKES.clientHttpConnections },
      s4: { pod: mesh.pod('s4'), stat: HANDSHAKES.inbound },
      s6: { pod: mesh.pod('s6'), stat: HANDSHAKES.inbound },
      s4Connections: { pod: mesh.pod('s4'), stat: HANDSHAKES.inboundConnections },
      s6Connections: { pod: mesh.pod('s6'), stat: HANDSHAKES.inboundConnections },
    },
    () => mesh.request('client', CALLS),
  );
  assert.deepEqual(outcomes(value), expectedCalls(), 'every call reached its server app, from that server’s own Envoy');
  // Each TCP call is its own connection; HTTP upstream connections are pooled, so an earlier one may be reused.
  assert.equal(delta['tcp4'], 2, 'two TLS handshakes to srv4 (by its IPv4 and its IPv6 VIP), IPv4 upstream');
  assert.equal(delta['tcp6'], 2, 'two TLS handshakes to srv6, IPv6 upstream');
  assert.equal(delta['http'], delta['httpConnections'], `every new HTTP upstream connection was TLS: ${JSON.stringify(delta)}`);
  assert.ok((delta['s4'] ?? 0) >= 2 && (delta['s6'] ?? 0) >= 2, `both servers' Envoys completed TLS handshakes inbound: ${JSON.stringify(delta)}`);
  assert.equal(delta['s4'], delta['s4Connections'], 's4 took no connection without TLS');
  assert.equal(delta['s6'], delta['s6Connections'], 's6 took no connection without TLS');
}

/** Direct connections from the host without a sidecar to both servers' pod IPs, both families. */
const PLAIN: ClientRequest[] = [...IPS.s4, ...IPS.s6].map((host) => ({ kind: 'tcp' as const, host, port: APP_PORT, timeoutMs: 5000 }));

async function plaintextRefused(mesh: Mesh): Promise<void> {
  const results = await mesh.request('plain', PLAIN);
  for (const r of results) assert.equal(r.reply, undefined, `${target(r)} reached the app in plaintext: ${outcome(r)}`);
  assert.ok(results.every((r) => ['closed without a reply', 'refused'].includes(outcome(r)) || outcome(r).startsWith('ended')), JSON.stringify(outcomes(results)));
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
