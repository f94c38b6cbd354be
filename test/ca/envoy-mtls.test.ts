// A real Envoy takes what the CA issues: a listener on each loopback family serving a certificate the CA signed for
// one identity, requiring client certificates that chain to the CA's root and name another identity. A client with
// that identity's issued certificate gets through (and sees the server's SPIFFE URI); a client holding a certificate
// for a third identity is refused by Envoy's SAN check.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import { test } from 'node:test';
import { CertificateAuthority, createRoot } from '../../src/ca/authority.ts';
import { generateKeyPair, privateKeyPem } from '../../src/ca/keys.ts';
import { spiffeUri } from '../../src/trust/identity.ts';
import type { WorkloadIdentity } from '../../src/trust/identity.ts';
import { startEnvoy, waitFor } from '../support/envoy.ts';
import { requireOrSkip } from '../support/requirements.ts';
import { ALICE, BOB, makeCsr } from './helpers.ts';

const skip = requireOrSkip('a real Envoy loading CA-issued certificates', ['envoy']);
const SERVER: WorkloadIdentity = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'server' };

/** A certificate (chain without the root) and key the CA issues for `who`. */
async function issue(ca: CertificateAuthority, who: WorkloadIdentity): Promise<{ chain: string; key: string }> {
  const keys = await generateKeyPair();
  const chain = await ca.sign(await makeCsr([spiffeUri(who)], keys), who, 3600);
  return { chain: chain.slice(0, -1).join(''), key: await privateKeyPem(keys.privateKey) };
}

function listener(name: string, address: string, server: { chain: string; key: string }, rootPem: string): Record<string, unknown> {
  return {
    name,
    stat_prefix: name,
    address: { socket_address: { address, port_value: 0 } },
    filter_chains: [{
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
          require_client_certificate: true,
          common_tls_context: {
            tls_certificates: [{ certificate_chain: { inline_string: server.chain }, private_key: { inline_string: server.key } }],
            validation_context: {
              trusted_ca: { inline_string: rootPem },
              match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: spiffeUri(ALICE) } }],
            },
          },
        },
      },
      filters: [{
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          stat_prefix: name,
          route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'hello over mTLS' } } }] }] },
          http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
        },
      }],
    }],
  };
}

/** GET / over TLS with a client certificate: the body and the server's URI SAN, or the error. */
function get(host: string, port: number, rootPem: string, client: { chain: string; key: string }): Promise<{ body: string; serverSan: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = https.get({ host, port, path: '/', ca: rootPem, cert: client.chain, key: client.key, agent: false, timeout: 10_000,
      // Workload certificates name a SPIFFE URI, not a host: check that instead.
      checkServerIdentity: (_host, cert) => (cert.subjectaltname === `URI:${spiffeUri(SERVER)}` ? undefined : new Error(`server is ${cert.subjectaltname}`)),
    }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ body, serverSan: (res.socket as import('node:tls').TLSSocket).getPeerCertificate().subjectaltname ?? '' }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve({ error: err.message }));
  });
}

test('Envoy serves and verifies CA-issued certificates on both families, refusing a client of the wrong identity', { skip }, async (t) => {
  const ca = await CertificateAuthority.load(await createRoot('cluster.local'));
  const [server, alice, bob] = await Promise.all([issue(ca, SERVER), issue(ca, ALICE), issue(ca, BOB)]);
  const bootstrap = { static_resources: { listeners: [listener('v4', '127.0.0.1', server, ca.rootPem), listener('v6', '::1', server, ca.rootPem)] } };
  const envoy = await startEnvoy(t, { bootstrap, name: 'envoy with CA certificates', logLevel: 'warning' });
  const reply = await envoy.admin('/listeners?format=json');
  const bound = (JSON.parse(reply.body) as { listener_statuses: { name: string; local_address: { socket_address: { port_value: number } } }[] }).listener_statuses;
  for (const [name, host] of [['v4', '127.0.0.1'], ['v6', '::1']] as const) {
    const port = bound.find((l) => l.name === name)!.local_address.socket_address.port_value;
    const ok = await get(host, port, ca.rootPem, alice);
    assert.deepEqual(ok, { body: 'hello over mTLS', serverSan: `URI:${spiffeUri(SERVER)}` }, `${name}: ${JSON.stringify(ok)}`);
    const refused = await get(host, port, ca.rootPem, bob);
    assert.ok('error' in refused, `${name}: Bob must not get through: ${JSON.stringify(refused)}`);
    let counters = '';
    const sanMismatches = async (): Promise<number> => {
      const stats = await envoy.stats('fail_verify_san');
      counters = JSON.stringify([...stats]);
      return stats.get(`listener.${name}.ssl.fail_verify_san`) ?? 0;
    };
    await waitFor(async () => (await sanMismatches()) === 1, 10_000, () => `${name}: Envoy counts Bob's certificate as a SAN mismatch (${counters})`);
  }
  assert.equal(new X509Certificate(server.chain).subjectAltName, `URI:${spiffeUri(SERVER)}`);
});
