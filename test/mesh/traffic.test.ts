// Real traffic through real sidecars in a mesh of network namespaces (test/mesh/mesh.ts): client pods of every IP mode
// reach dual-stack and single-stack services by VIP through their Envoy (captured to 15001) and the server's Envoy
// (captured to 15006); Happy Eyeballs falls back to an endpoint's other address; natively forwarded services keep
// the client's family. One mesh serves every scenario of this file; each scenario restores what it changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireOrSkip } from '../support/requirements.ts';
import { clusterStat, deltas, fqdn, grew, listenerStat, outcomes, target } from './expect.ts';
import { refuseFamily, startMesh, type ClientRequest, type Mesh, type MeshSpec } from './mesh.ts';

const skip = requireOrSkip('the namespace mesh', ['root', 'ip', 'iptables', 'ip6tables', 'envoy']);

/** Pod addresses, primary first: clients of every IP mode, dual servers of both orders, single-family servers. */
const IPS = {
  c4: ['198.18.0.11'],
  c6: ['2001:db8::12'],
  cd4: ['198.18.0.13', '2001:db8::13'],
  cd6: ['2001:db8::14', '198.18.0.14'],
  sd4: ['198.18.0.21', '2001:db8::21'],
  sd6: ['2001:db8::22', '198.18.0.22'],
  s4: ['198.18.0.23'],
  s6: ['2001:db8::24'],
} as const;

/** Service VIPs, primary first. */
const VIP = {
  web: ['198.19.0.10', '2001:db8:96::10'],
  db: ['198.19.0.11', '2001:db8:96::11'],
  api6: ['2001:db8:96::20', '198.19.0.20'],
  legacy4: ['198.19.0.30'],
  metrics6: ['2001:db8:96::40'],
  he4: ['198.19.0.50', '2001:db8:96::50'],
  he6: ['198.19.0.51', '2001:db8:96::51'],
  native: ['198.19.0.60', '2001:db8:96::60'],
} as const;

const HE_PORT = 7001;

function pod(name: keyof typeof IPS, appPorts: number[] = []) {
  return { name, ips: IPS[name], labels: { app: name }, appPorts };
}

const SPEC: MeshSpec = {
  pods: [pod('c4'), pod('c6'), pod('cd4'), pod('cd6'), pod('sd4', [8080, 9000, HE_PORT]), pod('sd6', [8080, 9000, HE_PORT]), pod('s4', [8080]), pod('s6', [8080])],
  services: [
    { name: 'web', vips: VIP.web, selector: { app: 'sd4' }, ports: [{ name: 'http-web', port: 80, targetPort: 8080 }] },
    { name: 'db', vips: VIP.db, selector: { app: 'sd6' }, ports: [{ name: 'tcp-db', port: 9000, targetPort: 9000 }] },
    { name: 'api6', vips: VIP.api6, selector: { app: 'sd6' }, ports: [{ name: 'http-api', port: 80, targetPort: 8080 }] },
    { name: 'legacy4', vips: VIP.legacy4, selector: { app: 's4' }, ports: [{ name: 'tcp-pg', port: 5432, targetPort: 8080 }] },
    { name: 'metrics6', vips: VIP.metrics6, selector: { app: 's6' }, ports: [{ name: 'http-metrics', port: 9090, targetPort: 8080 }] },
    { name: 'he4', vips: VIP.he4, selector: { app: 'sd4' }, ports: [{ name: 'tcp-he', port: HE_PORT, targetPort: HE_PORT }] },
    { name: 'he6', vips: VIP.he6, selector: { app: 'sd6' }, ports: [{ name: 'tcp-he', port: HE_PORT, targetPort: HE_PORT }] },
    {
      name: 'native',
      vips: VIP.native,
      selector: { app: 'sd4' },
      annotations: { 'biplane.io/ip-family-forwarding': 'native' },
      ports: [
        { name: 'http-native', port: 8090, targetPort: 8080 },
        { name: 'tcp-native', port: 9100, targetPort: 9000 },
      ],
    },
  ],
};

/** The passthrough source a server's Envoy uses towards its app over `family`. */
const FROM = { IPv4: '127.0.0.6', IPv6: '::6' } as const;

function wildcard(ip: string | undefined): string {
  return ip?.includes(':') ? '::' : '0.0.0.0';
}

async function dualPodsReachDualServices(mesh: Mesh): Promise<void> {
  for (const client of ['cd4', 'cd6'] as const) {
    const requests: ClientRequest[] = [
      ...VIP.web.map((host) => ({ kind: 'http' as const, host, port: 80 })),
      ...VIP.db.map((host) => ({ kind: 'tcp' as const, host, port: 9000 })),
    ];
    const c = mesh.pod(client);
    const { value, delta } = await deltas(
      {
        httpListener: { pod: c, stat: listenerStat(wildcard(IPS[client][0]), 80, 'downstream_cx_total') },
        tcpListener: { pod: c, stat: listenerStat(VIP.db[0], 9000, 'downstream_cx_total') },
        webRequests: { pod: c, stat: clusterStat(`outbound|80||${fqdn('web')}`, 'upstream_rq_total') },
        dbConnections: { pod: c, stat: clusterStat(`outbound|9000||${fqdn('db')}`, 'upstream_cx_total') },
        sd4Inbound: { pod: mesh.pod('sd4'), stat: listenerStat('0.0.0.0', 15006, 'downstream_cx_total') },
        sd6Inbound: { pod: mesh.pod('sd6'), stat: listenerStat('::', 15006, 'downstream_cx_total') },
      },
      () => mesh.request(client, requests),
    );
    assert.deepEqual(outcomes(value), {
      [target(requests[0] as ClientRequest)]: `sd4 IPv4 from ${FROM.IPv4}`,
      [target(requests[1] as ClientRequest)]: `sd4 IPv4 from ${FROM.IPv4}`,
      [target(requests[2] as ClientRequest)]: `sd6 IPv6 from ${FROM.IPv6}`,
      [target(requests[3] as ClientRequest)]: `sd6 IPv6 from ${FROM.IPv6}`,
    }, `from ${client}`);
    // The VIP listeners never bind (bind_to_port false): only virtualOutbound on 15001 hands connections to them.
    // HTTP upstream connections may be pooled, so sd4's Envoy sees one or two; each TCP connection is its own.
    const { sd4Inbound, ...exact } = delta;
    assert.deepEqual(exact, { httpListener: 2, tcpListener: 2, webRequests: 2, dbConnections: 2, sd6Inbound: 2 }, `counters from ${client}`);
    assert.ok(sd4Inbound === 1 || sd4Inbound === 2, `sd4's Envoy took the HTTP requests on 15006 (${sd4Inbound})`);
  }
}

/** What each client mode should get from the IPv6-primary and single-stack services. */
function modeMatrix(): { client: keyof typeof IPS; requests: ClientRequest[]; expected: Record<string, string> }[] {
  const rows: [keyof typeof IPS, string, string, string, string][] = [
    // client, api6 by IPv6 VIP, api6 by IPv4 VIP, legacy4 (IPv4 only), metrics6 (IPv6 only)
    ['c4', 'no route', `sd6 IPv4 from ${FROM.IPv4}`, `s4 IPv4 from ${FROM.IPv4}`, 'no route'],
    ['c6', `sd6 IPv6 from ${FROM.IPv6}`, 'no route', 'no route', `s6 IPv6 from ${FROM.IPv6}`],
    ['cd4', `sd6 IPv6 from ${FROM.IPv6}`, `sd6 IPv6 from ${FROM.IPv6}`, `s4 IPv4 from ${FROM.IPv4}`, `s6 IPv6 from ${FROM.IPv6}`],
    ['cd6', `sd6 IPv6 from ${FROM.IPv6}`, `sd6 IPv6 from ${FROM.IPv6}`, `s4 IPv4 from ${FROM.IPv4}`, `s6 IPv6 from ${FROM.IPv6}`],
  ];
  return rows.map(([client, ...want]) => {
    const requests: ClientRequest[] = [
      { kind: 'http', host: VIP.api6[0], port: 80 },
      { kind: 'http', host: VIP.api6[1], port: 80 },
      { kind: 'tcp', host: VIP.legacy4[0], port: 5432 },
      { kind: 'http', host: VIP.metrics6[0], port: 9090 },
    ];
    return { client, requests, expected: Object.fromEntries(requests.map((r, i) => [target(r), want[i] as string])) };
  });
}

async function everyModeReachesWhatItCan(mesh: Mesh): Promise<void> {
  // Envoy counts every attempt of a Happy Eyeballs race: a single-family proxy given an address of the other family
  // would spend an attempt on it before the one that works.
  const api6 = clusterStat(`outbound|80||${fqdn('api6')}`, 'upstream_cx_total');
  for (const { client, requests, expected } of modeMatrix()) {
    const { value, delta } = await grew(mesh.pod(client), { attempts: api6 }, () => mesh.request(client, requests));
    assert.deepEqual(outcomes(value), expected, `from ${client} (${IPS[client].join(', ')})`);
    if (IPS[client].length === 1) assert.equal(delta['attempts'], 1, `${client} made one connection attempt to api6, to its own family`);
  }
}

async function happyEyeballsFallsBack(mesh: Mesh): Promise<void> {
  const requests: ClientRequest[] = [
    { kind: 'tcp', host: VIP.he4[0], port: HE_PORT },
    { kind: 'tcp', host: VIP.he6[0], port: HE_PORT },
  ];
  const [he4, he6] = requests.map(target) as [string, string];
  const primary = { [he4]: `sd4 IPv4 from ${FROM.IPv4}`, [he6]: `sd6 IPv6 from ${FROM.IPv6}` };
  // Envoy counts every connection attempt of a Happy Eyeballs race in upstream_cx_total.
  const watched = {
    he4Attempts: clusterStat(`outbound|${HE_PORT}||${fqdn('he4')}`, 'upstream_cx_total'),
    he6Attempts: clusterStat(`outbound|${HE_PORT}||${fqdn('he6')}`, 'upstream_cx_total'),
    lds: /^listener_manager\.lds\.update_success$/,
    cds: /^cluster_manager\.cds\.update_success$/,
  };
  const before = await grew(mesh.pod('cd4'), watched, () => mesh.request('cd4', requests));
  assert.deepEqual(outcomes(before.value), primary, 'before');
  assert.deepEqual(before.delta, { he4Attempts: 1, he6Attempts: 1, lds: 0, cds: 0 }, 'one attempt each before');
  const undo = [await refuseFamily(mesh, 'sd4', 'IPv4', HE_PORT), await refuseFamily(mesh, 'sd6', 'IPv6', HE_PORT)];
  try {
    const { value, delta } = await grew(mesh.pod('cd4'), watched, () => mesh.request('cd4', requests));
    // Primary family refused → the endpoint's additional address, the other family, with its passthrough source.
    assert.deepEqual(outcomes(value), { [he4]: `sd4 IPv6 from ${FROM.IPv6}`, [he6]: `sd6 IPv4 from ${FROM.IPv4}` }, 'while refused');
    assert.deepEqual(delta, { he4Attempts: 2, he6Attempts: 2, lds: 0, cds: 0 }, 'a refused attempt and a second one, no configuration change');
  } finally {
    for (const u of undo) await u();
  }
  assert.deepEqual(outcomes(await mesh.request('cd4', requests)), primary, 'after');
}

async function nativeKeepsTheFamily(mesh: Mesh): Promise<void> {
  for (const client of ['cd4', 'cd6'] as const) {
    const requests: ClientRequest[] = VIP.native.flatMap((host) => [
      { kind: 'http' as const, host, port: 8090 },
      { kind: 'tcp' as const, host, port: 9100 },
    ]);
    const results = await mesh.request(client, requests);
    const want = (host: string): string => (host.includes(':') ? `sd4 IPv6 from ${FROM.IPv6}` : `sd4 IPv4 from ${FROM.IPv4}`);
    assert.deepEqual(outcomes(results), Object.fromEntries(requests.map((r) => [target(r), want(r.host)])), `from ${client}`);
  }
}

test('real sidecars in a namespace mesh carry dual-stack service traffic', { skip, timeout: 420_000 }, async (t) => {
  const mesh = await startMesh(t, SPEC);
  await t.test(
    'a dual pod reaches a dual-stack HTTP and a dual-stack TCP service through both VIPs, through both Envoys, from the passthrough source of the upstream family',
    () => dualPodsReachDualServices(mesh),
  );
  await t.test(
    'pods of every IP mode reach IPv6-primary and single-stack services where their families allow, and fail at once where not',
    () => everyModeReachesWhatItCan(mesh),
  );
  await t.test(
    "Happy Eyeballs reaches a server through the endpoint's other address when its primary family refuses, without a configuration change",
    () => happyEyeballsFallsBack(mesh),
  );
  await t.test('a natively forwarded service carries IPv4 requests over IPv4 and IPv6 requests over IPv6 to the same pod', () =>
    nativeKeepsTheFamily(mesh),
  );
});
