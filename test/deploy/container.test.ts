// The image and the Deployment agree with the CLI: the container's arguments are flags `biplane serve` accepts, its
// ports are the ones serve binds, and run for real (manifests instead of the cluster, ephemeral ports, a test
// certificate) they serve /ready, xDS, TLS xDS (its certificate issued by the CA) and the injection webhook on both families. The Dockerfile is multi-stage, non-root, and ships only the compiled dist/.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { readFlags } from '../../src/cli/serve.ts';
import { spiffeUri } from '../../src/trust/identity.ts';
import { ALICE, createCertificate, makeCsr } from '../ca/helpers.ts';
import { ServeProcess } from '../support/serve.ts';
import { loopbackCert } from '../support/tls-certs.ts';
import { dockerStages, one } from './manifests.ts';

const container = (): Record<string, any> => one('Deployment')['spec']['template']['spec']['containers'][0];

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

test("the container's arguments are valid `biplane serve` flags binding the ports the pod declares", () => {
  const args = container()['args'] as string[];
  assert.equal(args[0], 'serve');
  const flags = readFlags(args.slice(1));
  assert.ok(typeof flags === 'object', `serve rejects the Deployment's args: ${String(flags)}`);
  assert.match(flags.origin, /in-cluster/);
  assert.deepEqual(flags.ca?.store, { kind: 'secret', cluster: { inCluster: true }, namespace: process.env['POD_NAMESPACE'] ?? 'biplane-system' });
  assert.deepEqual(flags.ca?.cluster, { inCluster: true }, 'the root is published to the watched cluster');
  const env = (container()['env'] ?? []) as { name: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }[];
  assert.equal(env.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace', "the CA's Secret lives in the pod's own namespace");
  const ports = new Map<string, number>(container()['ports'].map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
  assert.deepEqual(flags.xdsAddresses.map(portOf), [ports.get('grpc-xds')]);
  const tls = flags.security.tls;
  assert.ok(tls && 'issue' in tls, 'the TLS port with a certificate serve issues from its CA');
  assert.deepEqual(tls.addresses.map(portOf), [ports.get('grpc-xds-tls')]);
  assert.ok(tls.issue.dns.includes('biplane.biplane-system.svc'), 'the name injected sidecars dial (DEFAULT_INJECT.caAddress)');
  // The issued certificate's files go under the temp folder, which must be writable beside a read-only root.
  assert.equal(container()['securityContext']['readOnlyRootFilesystem'], true);
  const tmp = (container()['volumeMounts'] as { name: string; mountPath: string }[]).find((m) => m.mountPath === '/tmp'); // Node's tmpdir() in the image (no TMPDIR)
  const volumes = one('Deployment')['spec']['template']['spec']['volumes'] as { name: string; emptyDir?: object }[];
  assert.ok(tmp && volumes.find((v) => v.name === tmp.name)?.emptyDir, 'an emptyDir at /tmp');
  assert.equal(flags.adminAddress && portOf(flags.adminAddress), ports.get('http-admin'));
  assert.equal(container()['command'], undefined, "the image's ENTRYPOINT runs biplane; the Deployment only passes args");
});

test("run with the Deployment's args (demo manifests, ephemeral ports, a test cert, a token file), serve answers /ready, xDS and the webhook over IPv4 and IPv6, admin pages only with the token", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-deploy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cert = await loopbackCert();
  writeFileSync(path.join(dir, 'tls.crt'), cert.cert);
  writeFileSync(path.join(dir, 'tls.key'), cert.key);
  const token = 'deploy-test-token-0123456789';
  writeFileSync(path.join(dir, 'token'), `${token}\n`);
  // The cluster's stand-ins: demo manifests for the API server's objects, a folder for the CA's Secret.
  const standIn: Record<string, string[]> = { '--in-cluster': ['--manifests', 'examples/demo'], '--ca-secret': ['--ca-dir', path.join(dir, 'ca')] };
  const mounted = container()['volumeMounts'].find((m: { name: string }) => m.name === 'admin-token')['mountPath'] as string;
  const args = (container()['args'] as string[]).slice(1).flatMap((a) =>
    standIn[a] ?? [a.replace(/:150\d\d$/, ':0').replace(/^\/etc\/biplane\/webhook\//, `${dir}/`).replace(mounted, dir)],
  );
  const serve = ServeProcess.start(args);
  t.after(() => serve.kill());
  const listening = await serve.listening;
  const admin = portOf(listening.admin);
  for (const host of ['127.0.0.1', '[::1]']) {
    const res = await fetch(`http://${host}:${admin}/ready`);
    assert.equal(res.status, 200, `/ready over ${host}`);
    assert.equal((await fetch(`http://${host}:${admin}/debug/syncz`)).status, 401, `/debug/syncz without the token over ${host}`);
    const syncz = await fetch(`http://${host}:${admin}/debug/syncz`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(syncz.status, 200, `/debug/syncz with the token over ${host}`);
  }
  assert.equal(listening.xds.length, 1);
  const net = await import('node:net');
  for (const host of ['127.0.0.1', '::1']) {
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host, port: portOf(listening.xds[0]!) }, () => {
        socket.destroy();
        resolve();
      });
      socket.on('error', reject);
    });
  }
  // The TLS port: its certificate issued by the CA (root in the CA folder, the Secret's stand-in), on both families;
  // with manifests no token can be reviewed, so a call gets as far as UNAUTHENTICATED after the TLS handshake.
  assert.equal(listening.xdsTls.length, 1, serve.stderr);
  const root = readFileSync(path.join(dir, 'ca', 'root-cert.pem'), 'utf8');
  for (const host of ['127.0.0.1', '[::1]']) {
    const r = await createCertificate(`${host}:${portOf(listening.xdsTls[0]!)}`, root, 'a-token', { csr: await makeCsr([spiffeUri(ALICE)]), validitySeconds: 0 });
    assert.ok('code' in r && r.code === grpc.status.UNAUTHENTICATED, `TLS xDS over ${host}: ${JSON.stringify(r)}`);
  }
  const webhook = portOf(listening.webhook ?? '');
  for (const host of ['127.0.0.1', '::1']) {
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request({ host, port: webhook, path: '/inject', method: 'POST', ca: cert.cert, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{}');
    });
    assert.equal(status, 400, `the webhook answers a malformed review over ${host} with 400`);
  }
});

test('the Dockerfile builds in one stage and runs the compiled dist/ as the Deployment\'s non-root user in another', () => {
  const stages = dockerStages();
  assert.ok(stages.length >= 2, 'multi-stage');
  const final = stages.at(-1)!;
  const copies = final.steps.filter(([k]) => k === 'COPY').map(([, a]) => a);
  assert.ok(copies.some((c) => /--from=\S+ \S*dist\b/.test(c)), 'dist/ comes from the build stage');
  assert.ok(!copies.some((c) => /(^|[\s/])(src|test)(\/|\s|$)|tsconfig/.test(c)), `no sources in the image: ${copies.join(' | ')}`);
  const user = final.steps.filter(([k]) => k === 'USER').at(-1)?.[1] ?? 'root';
  const uid = Number(user.split(':')[0]);
  assert.ok(Number.isInteger(uid) && uid > 0, `numeric non-root USER, not ${user}`);
  assert.equal(one('Deployment')['spec']['template']['spec']['securityContext']['runAsUser'], uid);
  const entrypoint = JSON.parse(final.steps.find(([k]) => k === 'ENTRYPOINT')?.[1] ?? '[]') as string[];
  assert.deepEqual(entrypoint.slice(-1), ['/app/bin/biplane.js']);
  assert.ok(stages[0]!.steps.some(([k, a]) => k === 'RUN' && a.includes('npm run build')), 'the build stage compiles');
});

test("the Dockerfile's proxy target has what the injected containers run: biplane, envoy, iptables, nft and ip", async () => {
  const { DEFAULT_INJECT } = await import('../../src/inject/index.ts');
  const proxy = dockerStages().find((s) => s.name === 'proxy');
  assert.ok(proxy, 'a stage named proxy');
  const text = proxy.steps.map(([k, a]) => `${k} ${a}`).join('\n');
  for (const pkg of ['iptables', 'nftables', 'iproute2']) assert.match(text, new RegExp(`apt-get install .*\\b${pkg}\\b`));
  assert.match(text, /COPY --from=\S+ \S*\/envoy \/usr\/local\/bin\/envoy/);
  assert.match(text, /ln -s \/app\/bin\/biplane\.js \/usr\/local\/bin\/biplane/);
  assert.match(text, /COPY --from=build \S*dist/);
  assert.match(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8'), new RegExp(`--target proxy -t ${DEFAULT_INJECT.image.replace(/[.]/g, '\\.')}`));
});
