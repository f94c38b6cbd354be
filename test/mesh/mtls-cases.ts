// The mesh mTLS cases both mTLS tests share: a dual client, a dual server of each primary family and a host without a
// sidecar; the cluster under a mesh-wide PeerAuthentication mode; and the checks that sidecar calls over IPv4 and
// IPv6 are TLS on both Envoys while a plaintext client is refused. Where the certificates come from is the test's.
import assert from 'node:assert/strict';
import { clusterStat, deltas, fqdn, outcome, outcomes, target } from './expect.ts';
import type { ClientRequest, Mesh, MeshPodSpec, MeshSpec } from './mesh.ts';
import type { ClusterSpec } from './manifests.ts';

/** The mesh under STRICT with its servers' app ports and the outside host: add where certificates come from. */
export function strictMesh(): Omit<MeshSpec, 'certificates'> {
  return {
    ...cluster('STRICT'),
    pods: cluster('STRICT').pods.map((p) => ({ ...p, appPorts: p.name === 'client' ? [] : [APP_PORT] })),
    outside: [{ name: 'plain', ips: IPS.plain, appPorts: [] }],
  };
}

/** A dual client, a dual server of each primary family, and a host without a sidecar on the same network. */
export const IPS = {
  client: ['198.18.0.61', '2001:db8::61'],
  s4: ['198.18.0.62', '2001:db8::62'],
  s6: ['2001:db8::63', '198.18.0.63'],
  plain: ['198.18.0.250', '2001:db8::250'],
} as const;

/** The services' VIPs, primary family first: srv4 IPv4-first, srv6 IPv6-first. */
export const VIP = { srv4: ['198.19.0.61', '2001:db8:96::61'], srv6: ['2001:db8:96::62', '198.19.0.62'] } as const;
/** The servers' app port, and the services' TCP and HTTP ports in front of it. */
export const APP_PORT = 8080;
export const TCP_PORT = 9000;
const HTTP_PORT = 80;
const SIDECAR = { 'security.istio.io/tlsMode': 'istio' };

/** A sidecar pod of IPS (labelled for auto-mTLS) serving `appPorts`. */
export function pod(name: keyof typeof IPS, appPorts: number[] = []): MeshPodSpec {
  return { name, ips: IPS[name], labels: { app: name, ...SIDECAR }, appPorts };
}

/** The cluster: the three sidecar pods, srv4 and srv6, and a mesh-wide PeerAuthentication in `mode`. */
export function cluster(mode: 'STRICT' | 'PERMISSIVE'): ClusterSpec {
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

/** The source a server app sees when its own Envoy forwards inbound, per family. */
export const FROM = { IPv4: '127.0.0.6', IPv6: '::6' } as const;

/** The client's calls: each service by each VIP, TCP and HTTP. */
export const CALLS: ClientRequest[] = (['srv4', 'srv6'] as const).flatMap((name) =>
  VIP[name].flatMap((host) => [
    { kind: 'tcp' as const, host, port: TCP_PORT },
    { kind: 'http' as const, host, port: HTTP_PORT },
  ]),
);

/** Which server and family each call reaches: the endpoint's primary family, from the server Envoy's own source. */
function expectedCalls(): Record<string, string> {
  return Object.fromEntries(CALLS.map((r) => [target(r), (VIP.srv4 as readonly string[]).includes(r.host) ? `s4 IPv4 from ${FROM.IPv4}` : `s6 IPv6 from ${FROM.IPv6}`]));
}

/** Envoy counters that count TLS handshakes and connections, client side and inbound. */
export const HANDSHAKES = {
  clientTcp4: clusterStat(`outbound|${TCP_PORT}||${fqdn('srv4')}`, 'ssl.handshake'),
  clientTcp6: clusterStat(`outbound|${TCP_PORT}||${fqdn('srv6')}`, 'ssl.handshake'),
  clientHttp: /^cluster\.outbound\|80\|\|srv[46]\.mesh\.svc\.cluster\.local\.ssl\.handshake$/,
  clientHttpConnections: /^cluster\.outbound\|80\|\|srv[46]\.mesh\.svc\.cluster\.local\.upstream_cx_total$/,
  inbound: /^listener\..*_15006\.ssl\.handshake$/,
  inboundConnections: /^listener\..*_15006\.downstream_cx_total$/,
};

/** Every client call reaches its server app, and every connection on both Envoys was a TLS handshake. */
export async function sidecarsSpeakMtls(mesh: Mesh): Promise<void> {
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
export const PLAIN: ClientRequest[] = [...IPS.s4, ...IPS.s6].map((host) => ({ kind: 'tcp' as const, host, port: APP_PORT, timeoutMs: 5000 }));

/** The host without a sidecar reaches no app on either family. */
export async function plaintextRefused(mesh: Mesh): Promise<void> {
  const results = await mesh.request('plain', PLAIN);
  for (const r of results) assert.equal(r.reply, undefined, `${target(r)} reached the app in plaintext: ${outcome(r)}`);
  assert.ok(results.every((r) => ['closed without a reply', 'refused'].includes(outcome(r)) || outcome(r).startsWith('ended')), JSON.stringify(outcomes(results)));
}
