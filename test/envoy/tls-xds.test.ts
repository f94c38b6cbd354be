// A real Envoy fetches its configuration from the TLS port, bootstrapped by `biplane bootstrap --xds-tls`: its xDS
// cluster presents the workload certificate the agent's SDS server gives it (demo/default, the pod's own identity) and
// verifies biplane by the root file and the name localhost, and Envoy accepts everything it gets;
// an Envoy presenting another namespace's certificate for the same node is refused and never gets a cluster.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { SdsServer } from '../../src/agent/sds.ts';
import { requireOrSkip } from '../support/requirements.ts';
import { startEnvoy, waitFor } from '../support/envoy.ts';
import { SettableCertificateSource, TestCa, type Issued } from '../support/pki.ts';
import { ServeProcess } from '../support/serve.ts';
import { bootstrapFor, envoyHealth, waitConverged } from './sidecar.ts';

const skip = requireOrSkip('Envoy over the TLS xDS port', ['envoy', 'unshare']);
const DEMO = path.join(import.meta.dirname, '../../examples/demo');

/**
 * The bootstrap of demo/client-dual from `biplane bootstrap --xds-tls`: biplane verified by `rootFile` (its certificate
 * names localhost, the default for a Unix socket), and the client certificate `cert` from a real SDS server (the
 * agent's) on a socket in `dir`, closed when the test ends.
 */
async function tlsBootstrap(t: TestContext, dir: string, name: string, socket: string, rootFile: string, ca: TestCa, cert: Issued): Promise<Record<string, unknown>> {
  const sds = new SdsServer(new SettableCertificateSource({ certChainPem: cert.certPem, privateKeyPem: cert.keyPem, rootCertPem: ca.certPem, notAfter: new Date(Date.now() + 3600_000) }));
  t.after(() => sds.close());
  const sdsSocket = path.join(dir, `${name}-sds.sock`);
  await sds.listen(sdsSocket);
  return JSON.parse(await bootstrapFor(DEMO, 'demo/client-dual', socket, 'sotw', ['--sds-socket', sdsSocket, '--xds-tls', '--xds-root', rootFile])) as Record<string, unknown>;
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

  const rootFile = path.join(dir, 'ca.crt');
  const own = await startEnvoy(t, { bootstrap: await tlsBootstrap(t, dir, 'own', socket, rootFile, ca, await ca.workload('demo', 'default')), isolated: true, name: 'envoy-own', logLevel: 'warning' });
  const health = await waitConverged(own);
  assert.deepEqual(health.rejected, {});
  assert.ok(health.cdsSuccess > 0 && health.ldsSuccess > 0);

  const stranger = await startEnvoy(t, {
    bootstrap: await tlsBootstrap(t, dir, 'stranger', socket, rootFile, ca, await ca.workload('shop', 'default')),
    isolated: true,
    name: 'envoy-stranger',
    logLevel: 'warning',
  });
  await waitFor(() => /refused: spiffe:\/\/cluster\.local\/ns\/shop\/sa\/default may not stream node/.test(serve.stderr), 30_000, 'biplane to refuse the stranger');
  const refused = await envoyHealth(stranger);
  assert.equal(refused.cdsSuccess, 0);
  assert.equal(refused.ldsSuccess, 0);
});
