// A real Envoy fetches its configuration from the TLS port: its bootstrap's xDS cluster presents a workload
// certificate (demo/default, the pod's own identity) and trusts the test CA, and Envoy accepts everything it gets;
// an Envoy presenting another namespace's certificate for the same node is refused and never gets a cluster.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { requireOrSkip } from '../support/requirements.ts';
import { startEnvoy, waitFor } from '../support/envoy.ts';
import { TestCa, type Issued } from '../support/pki.ts';
import { ServeProcess } from '../support/serve.ts';
import { bootstrapFor, envoyHealth, waitConverged } from './sidecar.ts';

const skip = requireOrSkip('Envoy over the TLS xDS port', ['envoy', 'unshare']);
const DEMO = path.join(import.meta.dirname, '../../examples/demo');

type Json = Record<string, any>;

/** The bootstrap of demo/client-dual with its xDS cluster over TLS: `cert` as client certificate, `ca` trusted. */
async function tlsBootstrap(socket: string, ca: TestCa, cert: Issued): Promise<Json> {
  const bootstrap = JSON.parse(await bootstrapFor(DEMO, 'demo/client-dual', socket, 'sotw')) as Json;
  const xds = (bootstrap['static_resources']['clusters'] as Json[]).find((c) => c['name'] === 'xds-grpc');
  assert.ok(xds, 'the bootstrap has the xds-grpc cluster');
  xds['transport_socket'] = {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      common_tls_context: {
        alpn_protocols: ['h2'],
        tls_certificates: [{ certificate_chain: { inline_string: cert.certPem }, private_key: { inline_string: cert.keyPem } }],
        validation_context: { trusted_ca: { inline_string: ca.certPem } },
      },
    },
  };
  return bootstrap;
}

test('Envoy with its pod’s workload certificate loads its configuration from the TLS port; another namespace’s certificate gets none', { skip, timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'biplane-envoy-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ca = await TestCa.create();
  const server = await ca.server();
  await writeFile(path.join(dir, 'tls.crt'), server.certPem);
  await writeFile(path.join(dir, 'tls.key'), server.keyPem);
  await writeFile(path.join(dir, 'ca.crt'), ca.certPem);
  const socket = path.join(dir, 'xds-tls.sock');
  const serve = ServeProcess.start([
    '--manifests', DEMO, '--tls-cert', path.join(dir, 'tls.crt'), '--tls-key', path.join(dir, 'tls.key'), '--client-ca', path.join(dir, 'ca.crt'),
    '--tls-address', `unix:${socket}`, '--plaintext', 'none', '--admin-address', '127.0.0.1:0',
  ]);
  t.after(() => serve.kill());
  const listening = await serve.listening;
  assert.deepEqual(listening.xds, []);
  assert.deepEqual(listening.xdsTls, [`unix:${socket}`]);

  const own = await startEnvoy(t, { bootstrap: await tlsBootstrap(socket, ca, await ca.workload('demo', 'default')), isolated: true, name: 'envoy-own', logLevel: 'warning' });
  const health = await waitConverged(own);
  assert.deepEqual(health.rejected, {});
  assert.ok(health.cdsSuccess > 0 && health.ldsSuccess > 0);

  const stranger = await startEnvoy(t, { bootstrap: await tlsBootstrap(socket, ca, await ca.workload('shop', 'default')), isolated: true, name: 'envoy-stranger', logLevel: 'warning' });
  await waitFor(() => /refused: spiffe:\/\/cluster\.local\/ns\/shop\/sa\/default may not stream node/.test(serve.stderr), 30_000, 'biplane to refuse the stranger');
  const refused = await envoyHealth(stranger);
  assert.equal(refused.cdsSuccess, 0);
  assert.equal(refused.ldsSuccess, 0);
});
