// Traffic that is not plain service-by-VIP, through real sidecars: connections to a host outside the mesh (plain TCP,
// TLS and h2c, also on a port an HTTP mesh service uses), connections a pod makes to its own proxy ports (which
// must end instead of looping through Envoy), headless TCP services addressed by pod IP, and DNS-resolved
// destinations (a ServiceEntry and an ExternalName Service). Names resolve without any DNS server: every pod's
// namespace has its own /etc/hosts (/etc/netns/<ns>/hosts, which `ip netns exec` mounts over /etc/hosts), and Envoy's
// resolver reads it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireOrSkip } from '../support/requirements.ts';
import { clusterStat, fqdn, grew, outcome, outcomes, target } from './expect.ts';
import { startMesh, type ClientRequest, type Mesh, type MeshPodSpec, type MeshSpec } from './mesh.ts';

const skip = requireOrSkip('the namespace mesh', ['root', 'ip', 'iptables', 'ip6tables', 'envoy']);

const IPS = {
  cd: ['198.18.0.41', '2001:db8::41'],
  c4: ['198.18.0.42'],
  c6: ['2001:db8::43'],
  web: ['198.18.0.44', '2001:db8::44'],
  hl0: ['198.18.0.45', '2001:db8::45'],
  lp: ['198.18.0.46', '2001:db8::46'],
  outside: ['198.18.0.200', '2001:db8::200'],
} as const;

/** The HTTP port a mesh service uses, and a port no service uses; the outside host listens on both. */
const MESH_HTTP_PORT = 80;
const FREE_PORT = 9999;
const DNS_PORT = 7070;
const HEADLESS_PORT = 9000;
const DNS_VIPS = ['198.19.0.81', '2001:db8:96::81'] as const;

function pod(name: keyof typeof IPS, appPorts: number[] = []): MeshPodSpec {
  return { name, ips: IPS[name], labels: { app: name === 'hl0' ? 'hl' : name }, appPorts };
}

const SPEC: MeshSpec = {
  pods: [pod('cd'), pod('c4'), pod('c6'), pod('lp'), pod('web', [8080]), pod('hl0', [HEADLESS_PORT])],
  outside: [{ name: 'outside', ips: IPS.outside, appPorts: [MESH_HTTP_PORT, FREE_PORT, DNS_PORT] }],
  podEtcHosts: IPS.outside.flatMap((ip) => [`${ip} outside.mesh.test`, `${ip} dns.mesh.test`]),
  services: [
    { name: 'web', vips: ['198.19.0.90', '2001:db8:96::90'], selector: { app: 'web' }, ports: [{ name: 'http-web', port: MESH_HTTP_PORT, targetPort: 8080 }] },
    { name: 'hl', headlessFamilies: ['IPv4', 'IPv6'], selector: { app: 'hl' }, ports: [{ name: 'tcp-hl', port: HEADLESS_PORT, targetPort: HEADLESS_PORT }] },
    { name: 'extname', externalName: 'outside.mesh.test', ports: [{ name: 'http-ext', port: MESH_HTTP_PORT, targetPort: MESH_HTTP_PORT }] },
  ],
  serviceEntries: [
    { name: 'dns', host: 'dns.mesh.test', addresses: DNS_VIPS, resolution: 'DNS', ports: [{ name: 'tcp-dns', number: DNS_PORT, protocol: 'TCP' }] },
  ],
};

/** `outside <family> from <client IP of that family>`: what the outside host sees of a passthrough connection. */
function fromPod(client: keyof typeof IPS, family: 'IPv4' | 'IPv6'): string {
  const ip = IPS[client].find((a) => a.includes(':') === (family === 'IPv6'));
  return `outside ${family} from ${ip}`;
}

function familyOf(ip: string): 'IPv4' | 'IPv6' {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

async function outsideTrafficPassesThrough(mesh: Mesh): Promise<void> {
  const requests: ClientRequest[] = IPS.outside.flatMap((host) =>
    [MESH_HTTP_PORT, FREE_PORT].flatMap((port) => [{ kind: 'tcp' as const, host, port }, { kind: 'tls' as const, host, port }]),
  );
  const { value, delta } = await grew(mesh.pod('cd'), { passthrough: clusterStat('PassthroughCluster', 'upstream_cx_total') }, () => mesh.request('cd', requests));
  assert.deepEqual(outcomes(value), Object.fromEntries(requests.map((r) => [target(r), fromPod('cd', familyOf(r.host))])));
  assert.equal(delta['passthrough'], requests.length, 'every connection went out through PassthroughCluster');
}

/** Every connection accepted by any listener of the pod's Envoy (admin and per-worker copies left out). */
const ACCEPTED = /^listener\.(?!admin\.)(?!.*\.worker_\d+\.).*\.downstream_cx_total$/;

async function ownPortsEndAtOnce(mesh: Mesh): Promise<void> {
  const hosts = ['127.0.0.1', '::1', ...IPS.lp];
  const requests: ClientRequest[] = hosts.flatMap((host) => [15001, 15006].map((port) => ({ kind: 'hold' as const, host, port, timeoutMs: 3000 })));
  for (const r of requests) {
    const { value, delta } = await grew(mesh.pod('lp'), { accepted: ACCEPTED }, () => mesh.request('lp', [r]));
    const [result] = value;
    assert.ok(result, 'a result');
    assert.ok(result.ended !== undefined && result.ended !== 'timeout' && !result.data, `${target(r)}: ${outcome(result)}`);
    assert.ok((delta['accepted'] ?? 0) <= 1, `${target(r)} went round Envoy ${delta['accepted']} times`);
  }
}

async function headlessReachedByPodIp(mesh: Mesh): Promise<void> {
  const cluster = clusterStat(`outbound|${HEADLESS_PORT}||${fqdn('hl')}`, 'upstream_cx_total');
  for (const client of ['cd', 'c4', 'c6'] as const) {
    const requests: ClientRequest[] = IPS.hl0
      .filter((ip) => IPS[client].some((own) => familyOf(own) === familyOf(ip)))
      .map((host) => ({ kind: 'tcp', host, port: HEADLESS_PORT }));
    const { value, delta } = await grew(mesh.pod(client), { cluster }, () => mesh.request(client, requests));
    const want = (ip: string): string => `hl0 ${familyOf(ip)} from ${familyOf(ip) === 'IPv4' ? '127.0.0.6' : '::6'}`;
    assert.deepEqual(outcomes(value), Object.fromEntries(requests.map((r) => [target(r), want(r.host)])), `from ${client}`);
    assert.equal(delta['cluster'], requests.length, `${client} used the headless service's cluster`);
  }
}

async function dnsDestinationsReached(mesh: Mesh): Promise<void> {
  const ext = clusterStat(`outbound|${MESH_HTTP_PORT}||${fqdn('extname')}`, 'upstream_rq_total');
  const se = clusterStat(`outbound|${DNS_PORT}||dns.mesh.test`, 'upstream_cx_total');
  for (const client of ['c4', 'c6'] as const) {
    const family = familyOf(IPS[client][0]);
    const requests: ClientRequest[] = [
      { kind: 'tcp', host: DNS_VIPS.find((v) => familyOf(v) === family) as string, port: DNS_PORT },
      // What cluster DNS would give for the ExternalName: the outside host's address, asked for by the service's name.
      { kind: 'http', host: IPS.outside.find((v) => familyOf(v) === family) as string, port: MESH_HTTP_PORT, authority: fqdn('extname') },
    ];
    const { value, delta } = await grew(mesh.pod(client), { ext, se }, () => mesh.request(client, requests));
    assert.deepEqual(outcomes(value), Object.fromEntries(requests.map((r) => [target(r), fromPod(client, family)])), `from ${client}`);
    assert.deepEqual(delta, { ext: 1, se: 1 }, `${client} used the DNS clusters`);
  }
  const dual = await mesh.request('cd', DNS_VIPS.map((host) => ({ kind: 'tcp', host, port: DNS_PORT })));
  for (const r of dual) assert.ok(r.reply?.app === 'outside' && (IPS.cd as readonly string[]).includes(r.reply.remote), `from cd: ${outcome(r)}`);
}

async function h2cStaysHttp2(mesh: Mesh): Promise<void> {
  const requests: ClientRequest[] = IPS.outside.map((host) => ({ kind: 'h2c', host, port: MESH_HTTP_PORT, authority: 'grpc.outside.test' }));
  const value = await mesh.request('cd', requests);
  const seen = Object.fromEntries(value.map((r) => [target(r), r.reply ? `${r.reply.app} ${r.reply.proto} ${r.reply.localFamily}` : outcome(r)]));
  assert.deepEqual(seen, Object.fromEntries(requests.map((r) => [target(r), `outside h2 ${familyOf(r.host)}`])));
}

test('real sidecars in a namespace mesh carry traffic that is not service-by-VIP', { skip, timeout: 300_000 }, async (t) => {
  const mesh = await startMesh(t, SPEC);
  await t.test(
    'plain TCP and TLS from a captured pod reach an outside host over both families, on a mesh HTTP port and on a free port',
    () => outsideTrafficPassesThrough(mesh),
  );
  await t.test(
    'gRPC (h2c) through the passthrough route reaches its outside upstream as HTTP/2 over both families',
    () => h2cStaysHttp2(mesh),
  );
  await t.test(
    'headless TCP services are reached by pod IP through their own cluster over every family the proxy has',
    () => headlessReachedByPodIp(mesh),
  );
  await t.test("a DNS ServiceEntry and an ExternalName service are resolved by the sidecar and reached over the proxy's family", () =>
    dnsDestinationsReached(mesh),
  );
  // Last: without the loop guards each attempt loops inside this pod's Envoy, which must not disturb the others.
  await t.test(
    "connections to the pod's own 15001 and 15006 (loopback or pod IP, both families) end at once instead of looping through Envoy",
    () => ownPortsEndAtOnce(mesh),
  );
});
