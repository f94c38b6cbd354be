// The namespace mesh under TPROXY interception: every pod is annotated `sidecar.istio.io/interceptionMode: TPROXY`,
// captured by `biplane capture --mode tproxy` (mangle TPROXY rules and policy routing for each family), bootstrapped
// by `biplane bootstrap` (which reads the annotation into node metadata `INTERCEPTION_MODE: TPROXY`), and its Envoy
// runs as uid 1337 with CAP_NET_ADMIN. Scenarios 1, 3 and 5 of the REDIRECT mesh run again, and the point of TPROXY
// is checked everywhere a server app answers: it sees the real client pod address of the upstream connection's
// family, never 127.0.0.6 / ::6 (nor its own address). One mesh serves every scenario; each restores what it changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireOrSkip } from '../support/requirements.ts';
import { clusterStat, deltas, fqdn, grew, listenerStat, outcomes, target } from './expect.ts';
import { refuseFamily, startMesh, type ClientRequest, type Mesh, type MeshPodSpec, type MeshSpec } from './mesh.ts';

const skip = requireOrSkip('the namespace mesh under TPROXY', ['root', 'ip', 'iptables', 'ip6tables', 'envoy']);

/** Pod addresses, primary first: dual clients and dual servers of both orders, and a host outside the mesh. */
const IPS = {
  cd4: ['198.18.0.51', '2001:db8::51'],
  cd6: ['2001:db8::52', '198.18.0.52'],
  sd4: ['198.18.0.61', '2001:db8::61'],
  sd6: ['2001:db8::62', '198.18.0.62'],
  outside: ['198.18.0.210', '2001:db8::210'],
} as const;

type Family = 'IPv4' | 'IPv6';
type PodName = Exclude<keyof typeof IPS, 'outside'>;

/** Service VIPs, primary first. */
const VIP = {
  web: ['198.19.0.110', '2001:db8:96::110'],
  db: ['198.19.0.111', '2001:db8:96::111'],
  he4: ['198.19.0.150', '2001:db8:96::150'],
  he6: ['198.19.0.151', '2001:db8:96::151'],
} as const;

const HE_PORT = 7001;
/** The HTTP port the mesh service `web` uses, and a port no service uses; the outside host listens on both. */
const MESH_HTTP_PORT = 80;
const FREE_PORT = 9999;

function pod(name: PodName, appPorts: number[] = []): MeshPodSpec {
  return { name, ips: IPS[name], labels: { app: name }, appPorts, interception: 'TPROXY' };
}

const SPEC: MeshSpec = {
  pods: [pod('cd4'), pod('cd6'), pod('sd4', [8080, HE_PORT]), pod('sd6', [9000, HE_PORT])],
  outside: [{ name: 'outside', ips: IPS.outside, appPorts: [MESH_HTTP_PORT, FREE_PORT] }],
  services: [
    { name: 'web', vips: VIP.web, selector: { app: 'sd4' }, ports: [{ name: 'http-web', port: MESH_HTTP_PORT, targetPort: 8080 }] },
    { name: 'db', vips: VIP.db, selector: { app: 'sd6' }, ports: [{ name: 'tcp-db', port: 9000, targetPort: 9000 }] },
    { name: 'he4', vips: VIP.he4, selector: { app: 'sd4' }, ports: [{ name: 'tcp-he', port: HE_PORT, targetPort: HE_PORT }] },
    { name: 'he6', vips: VIP.he6, selector: { app: 'sd6' }, ports: [{ name: 'tcp-he', port: HE_PORT, targetPort: HE_PORT }] },
  ],
};

function familyOf(ip: string): Family {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

/** The address of `family` that pod (or host) `name` has. */
function ipOf(name: keyof typeof IPS, family: Family): string {
  const ip = (IPS[name] as readonly string[]).find((a) => familyOf(a) === family);
  if (!ip) throw new Error(`${name} has no ${family} address`);
  return ip;
}

/** `<app> <family> from <client's own address of that family>`: what an app sees of a TPROXY-intercepted connection. */
function seenFrom(app: string, family: Family, client: PodName): string {
  return `${app} ${family} from ${ipOf(client, family)}`;
}

function wildcard(ip: string | undefined): string {
  return ip?.includes(':') ? '::' : '0.0.0.0';
}

/** A listener of an Envoy's /config_dump, as much of it as these tests read. */
interface DumpedListener {
  readonly name: string;
  readonly transparent?: boolean;
  readonly listener_filters?: readonly { readonly name: string }[];
}

/** The active listeners Envoy itself holds (not what biplane meant to send). */
async function activeListeners(mesh: Mesh, name: PodName): Promise<DumpedListener[]> {
  const reply = await mesh.pod(name).envoy.admin('/config_dump?resource=dynamic_listeners');
  const dump = JSON.parse(reply.body) as { configs: { active_state?: { listener: DumpedListener } }[] };
  return dump.configs.flatMap((c) => (c.active_state ? [c.active_state.listener] : []));
}

async function sidecarsRunTproxy(mesh: Mesh): Promise<void> {
  for (const name of ['cd4', 'cd6', 'sd4', 'sd6'] as const) {
    assert.equal(mesh.pod(name).metadata['INTERCEPTION_MODE'], 'TPROXY', `${name}'s bootstrap follows its annotation`);
    const listeners = await activeListeners(mesh, name);
    const capture = listeners.filter((l) => l.name === 'virtualInbound' || l.name === 'virtualOutbound');
    assert.deepEqual(capture.map((l) => [l.name, l.transparent]).sort(), [['virtualInbound', true], ['virtualOutbound', true]], `${name}'s capture listeners`);
    const inbound = capture.find((l) => l.name === 'virtualInbound');
    assert.ok(inbound?.listener_filters?.some((f) => f.name === 'envoy.filters.listener.original_src'), `${name}'s virtualInbound keeps the client's source`);
  }
}

async function dualPodsReachDualServices(mesh: Mesh): Promise<void> {
  for (const client of ['cd4', 'cd6'] as const) {
    const requests: ClientRequest[] = [
      ...VIP.web.map((host) => ({ kind: 'http' as const, host, port: MESH_HTTP_PORT })),
      ...VIP.db.map((host) => ({ kind: 'tcp' as const, host, port: 9000 })),
    ];
    const c = mesh.pod(client);
    const { value, delta } = await deltas(
      {
        httpListener: { pod: c, stat: listenerStat(wildcard(IPS[client][0]), MESH_HTTP_PORT, 'downstream_cx_total') },
        tcpListener: { pod: c, stat: listenerStat(VIP.db[0], 9000, 'downstream_cx_total') },
        webRequests: { pod: c, stat: clusterStat(`outbound|${MESH_HTTP_PORT}||${fqdn('web')}`, 'upstream_rq_total') },
        dbConnections: { pod: c, stat: clusterStat(`outbound|9000||${fqdn('db')}`, 'upstream_cx_total') },
        sd4Inbound: { pod: mesh.pod('sd4'), stat: listenerStat('0.0.0.0', 15006, 'downstream_cx_total') },
        sd6Inbound: { pod: mesh.pod('sd6'), stat: listenerStat('::', 15006, 'downstream_cx_total') },
      },
      () => mesh.request(client, requests),
    );
    // Both VIPs of a service lead to its endpoint's primary address: web's IPv4, db's IPv6. The app sees the
    // client pod's own address of that family, the one the client's Envoy connected from.
    assert.deepEqual(outcomes(value), {
      [target(requests[0] as ClientRequest)]: seenFrom('sd4', 'IPv4', client),
      [target(requests[1] as ClientRequest)]: seenFrom('sd4', 'IPv4', client),
      [target(requests[2] as ClientRequest)]: seenFrom('sd6', 'IPv6', client),
      [target(requests[3] as ClientRequest)]: seenFrom('sd6', 'IPv6', client),
    }, `from ${client}`);
    // HTTP upstream connections may be pooled, so sd4's Envoy sees one or two; each TCP connection is its own.
    const { sd4Inbound, ...exact } = delta;
    assert.deepEqual(exact, { httpListener: 2, tcpListener: 2, webRequests: 2, dbConnections: 2, sd6Inbound: 2 }, `counters from ${client}`);
    assert.ok(sd4Inbound === 1 || sd4Inbound === 2, `sd4's Envoy took the HTTP requests on 15006 (${sd4Inbound})`);
  }
}

async function happyEyeballsFallsBack(mesh: Mesh): Promise<void> {
  const requests: ClientRequest[] = [
    { kind: 'tcp', host: VIP.he4[0], port: HE_PORT },
    { kind: 'tcp', host: VIP.he6[0], port: HE_PORT },
  ];
  const [he4, he6] = requests.map(target) as [string, string];
  const primary = { [he4]: seenFrom('sd4', 'IPv4', 'cd4'), [he6]: seenFrom('sd6', 'IPv6', 'cd4') };
  // The client's Envoy counts every connection attempt of a Happy Eyeballs race in upstream_cx_total,
  // and each server's Envoy counts what its transparent 15006 listener (both families' addresses) accepted.
  const cd4 = mesh.pod('cd4');
  const watched = {
    he4Attempts: { pod: cd4, stat: clusterStat(`outbound|${HE_PORT}||${fqdn('he4')}`, 'upstream_cx_total') },
    he6Attempts: { pod: cd4, stat: clusterStat(`outbound|${HE_PORT}||${fqdn('he6')}`, 'upstream_cx_total') },
    lds: { pod: cd4, stat: /^listener_manager\.lds\.update_success$/ },
    cds: { pod: cd4, stat: /^cluster_manager\.cds\.update_success$/ },
    sd4Inbound: { pod: mesh.pod('sd4'), stat: listenerStat('0.0.0.0', 15006, 'downstream_cx_total') },
    sd6Inbound: { pod: mesh.pod('sd6'), stat: listenerStat('::', 15006, 'downstream_cx_total') },
  };
  const before = await deltas(watched, () => mesh.request('cd4', requests));
  assert.deepEqual(outcomes(before.value), primary, 'before');
  const once = { he4Attempts: 1, he6Attempts: 1, lds: 0, cds: 0, sd4Inbound: 1, sd6Inbound: 1 };
  assert.deepEqual(before.delta, once, 'one attempt each before');
  // sd4 (IPv4 first) stops accepting IPv4, and the reverse: sd6 (IPv6 first) stops accepting IPv6.
  const undo = [await refuseFamily(mesh, 'sd4', 'IPv4', HE_PORT), await refuseFamily(mesh, 'sd6', 'IPv6', HE_PORT)];
  try {
    const { value, delta } = await deltas(watched, () => mesh.request('cd4', requests));
    // The endpoint's additional address, the other family: the server's Envoy takes it on its other transparent
    // address and the app sees the client's own address of that family. The refused attempt never reached it.
    assert.deepEqual(outcomes(value), { [he4]: seenFrom('sd4', 'IPv6', 'cd4'), [he6]: seenFrom('sd6', 'IPv4', 'cd4') }, 'while refused');
    const twice = { ...once, he4Attempts: 2, he6Attempts: 2 };
    assert.deepEqual(delta, twice, 'a refused attempt and a second one through the server Envoy, no configuration change');
  } finally {
    for (const u of undo) await u();
  }
  assert.deepEqual(outcomes(await mesh.request('cd4', requests)), primary, 'after');
}

async function outsideTrafficPassesThrough(mesh: Mesh): Promise<void> {
  const requests: ClientRequest[] = IPS.outside.flatMap((host) =>
    [MESH_HTTP_PORT, FREE_PORT].flatMap((port) => [{ kind: 'tcp' as const, host, port }, { kind: 'tls' as const, host, port }]),
  );
  for (const client of ['cd4', 'cd6'] as const) {
    const passthrough = clusterStat('PassthroughCluster', 'upstream_cx_total');
    const { value, delta } = await grew(mesh.pod(client), { passthrough }, () => mesh.request(client, requests));
    const want = (r: ClientRequest): string => seenFrom('outside', familyOf(r.host), client);
    assert.deepEqual(outcomes(value), Object.fromEntries(requests.map((r) => [target(r), want(r)])), `from ${client}`);
    assert.equal(delta['passthrough'], requests.length, `every connection from ${client} went out through PassthroughCluster`);
  }
}

test('real sidecars under TPROXY interception carry dual-stack traffic and keep the client address', { skip, timeout: 300_000 }, async (t) => {
  const mesh = await startMesh(t, SPEC);
  await t.test('every annotated pod is bootstrapped for TPROXY and its Envoy holds transparent capture listeners keeping the client source', () =>
    sidecarsRunTproxy(mesh),
  );
  await t.test(
    "a dual pod reaches a dual-stack HTTP and a dual-stack TCP service through both VIPs and both Envoys, and the server app sees the client pod's own address of the upstream family",
    () => dualPodsReachDualServices(mesh),
  );
  await t.test(
    "Happy Eyeballs reaches a server through the endpoint's other address when its primary family refuses, in both directions, without a configuration change",
    () => happyEyeballsFallsBack(mesh),
  );
  await t.test(
    'plain TCP and TLS from a TPROXY-captured pod reach an outside host over both families, on a mesh HTTP port and on a free port',
    () => outsideTrafficPassesThrough(mesh),
  );
});
