// The guards around the TLS port and the admin server: which flag combinations `serve` accepts (TLS files together,
// plaintext xDS loopback-only beside TLS unless `--plaintext any`, no non-loopback admin without a token), the admin
// token on every page but /ready, and the node policy (namespace, then the known pod's service account).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFlags } from '../../src/cli/serve.ts';
import { buildModel } from '../../src/model/index.ts';
import type { SourceObject } from '../../src/model/index.ts';
import { isLoopbackHost, startAdmin } from '../../src/server/admin.ts';
import type { AdminView } from '../../src/server/admin.ts';
import { nodeDenial } from '../../src/server/xds-auth.ts';

const TLS = ['--manifests', 'examples/demo', '--tls-cert', 'c.pem', '--tls-key', 'k.pem'];

function flagError(args: string[]): string {
  const r = readFlags(args);
  assert.equal(typeof r, 'string', `serve accepted ${args.join(' ')}`);
  return r as string;
}

function flags(args: string[]): Exclude<ReturnType<typeof readFlags>, string> {
  const r = readFlags(args);
  assert.ok(typeof r === 'object', `serve refused ${args.join(' ')}: ${String(r)}`);
  return r;
}

test('serve keeps plaintext xDS on loopback beside TLS unless told --plaintext any, and none means TLS only', () => {
  const on = flags(TLS);
  assert.deepEqual(on.xdsAddresses, ['127.0.0.1:15010', '[::1]:15010']);
  assert.equal(on.security.plaintext, 'loopback');
  assert.deepEqual(on.security.tls?.addresses, ['[::]:15012']);
  assert.match(flagError([...TLS, '--xds-address', '[::]:15010']), /--xds-address \[::\]:15010 is not loopback.*--plaintext any/);
  assert.deepEqual(flags([...TLS, '--xds-address', '[::]:15010', '--plaintext', 'any']).xdsAddresses, ['[::]:15010']);
  assert.deepEqual(flags([...TLS, '--plaintext', 'none']).xdsAddresses, []);
  assert.deepEqual(flags([...TLS, '--tls-address', '127.0.0.1:0', '--client-ca', 'ca.pem']).security.tls, { certFile: 'c.pem', keyFile: 'k.pem', clientCaFile: 'ca.pem', addresses: ['127.0.0.1:0'] });
  // Without TLS nothing changes: any plaintext address, as before.
  assert.deepEqual(flags(['--manifests', 'x', '--xds-address', '[::]:15010']).xdsAddresses, ['[::]:15010']);
});

test('serve refuses half-given TLS flags, --plaintext none without TLS, and unknown plaintext modes', () => {
  assert.match(flagError(['--manifests', 'x', '--tls-cert', 'c.pem']), /--tls-cert and --tls-key together/);
  assert.match(flagError(['--manifests', 'x', '--client-ca', 'ca.pem']), /need --tls-cert/);
  assert.match(flagError(['--manifests', 'x', '--plaintext', 'none']), /no xDS port/);
  assert.match(flagError([...TLS, '--plaintext', 'some']), /none, loopback or any/);
  assert.match(flagError([...TLS, '--plaintext', 'none', '--xds-address', '127.0.0.1:1']), /contradict/);
});

test('serve refuses a non-loopback admin address without --admin-token, and takes it with one', () => {
  assert.match(flagError(['--manifests', 'x', '--admin-address', '[::]:15014']), /not loopback.*--admin-token/);
  assert.match(flagError(['--manifests', 'x', '--admin-address', '198.18.0.1:15014']), /not loopback/);
  assert.equal(flags(['--manifests', 'x', '--admin-address', '[::]:15014', '--admin-token', '/t']).security.adminTokenFile, '/t');
  assert.equal(flags(['--manifests', 'x', '--admin-address', '[::1]:0']).adminAddress, '[::1]:0');
});

test('loopback hosts are 127.0.0.0/8, ::1 in any spelling and localhost; nothing else', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', 'localhost']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['0.0.0.0', '::', '198.18.0.1', '2001:db8::1', '::2', 'example.com']) assert.ok(!isLoopbackHost(h), h);
});

const VIEW: AdminView = {
  readiness: () => ({ ready: false, reason: 'secret reason' }),
  syncz: () => ({ proxies: [] }),
  configDump: () => undefined,
  registryz: () => ({}),
  problems: () => ({}),
  metrics: () => 'm 1\n',
};

test('the admin server refuses a non-loopback address without a token at start', async () => {
  await assert.rejects(startAdmin('[::]:0', VIEW), /not a loopback address .*--admin-token/);
});

test('with a token every admin page but /ready needs it, on both families, and /ready then gives no reason', async (t) => {
  const token = 'a-long-enough-admin-token';
  for (const address of ['127.0.0.1:0', '[::1]:0']) {
    const admin = await startAdmin(address, VIEW, { token });
    t.after(() => admin.close());
    const base = `http://${admin.address}`;
    for (const page of ['/debug/syncz', '/metrics', '/debug/registryz', '/debug/config_dump?proxyID=x', '/']) {
      assert.equal((await fetch(`${base}${page}`)).status, 401, `${page} without a token`);
      assert.equal((await fetch(`${base}${page}`, { headers: { authorization: 'Bearer wrong-token-of-some-length' } })).status, 401, `${page} with a wrong token`);
    }
    const ok = await fetch(`${base}/debug/syncz`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { proxies: [] });
    const anonymous = await fetch(`${base}/ready`);
    assert.equal(anonymous.status, 503);
    assert.equal(await anonymous.text(), 'not ready\n');
    const told = await fetch(`${base}/ready`, { headers: { authorization: `Bearer ${token}` } });
    assert.match(await told.text(), /secret reason/);
  }
});

function source(object: Record<string, unknown>): SourceObject {
  const meta = object['metadata'] as { namespace: string; name: string };
  return { object, origin: { source: 'files', file: 'pods.yaml', line: 1 }, version: '1', key: { kind: 'Pod', namespace: meta.namespace, name: meta.name } } as unknown as SourceObject;
}

test('a node may be streamed only by its namespace’s identity, and by its pod’s service account when the model knows the pod', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app-0', namespace: 'e2e' }, spec: { serviceAccountName: 'app', containers: [{ name: 'a', image: 'i' }] }, status: { podIP: '10.244.0.20', podIPs: [{ ip: '10.244.0.20' }] } };
  const { model } = buildModel([source(pod)]);
  assert.equal(model.pods[0]?.serviceAccount, 'app');
  const id = (ns: string, sa: string) => ({ trustDomain: 'cluster.local', namespace: ns, serviceAccount: sa });
  const app = { id: 'sidecar~10.244.0.20~app-0.e2e~e2e.svc.cluster.local', metadata: { NAMESPACE: 'e2e' } };
  assert.equal(nodeDenial(id('e2e', 'app'), app, model), undefined);
  assert.match(nodeDenial(id('e2e', 'db'), app, model) ?? '', /pod e2e\/app-0 runs as service account app/);
  assert.match(nodeDenial(id('shop', 'app'), app, model) ?? '', /claims namespace e2e/);
  // Metadata and node id naming different namespaces: both must be the identity's.
  const mixed = { id: 'sidecar~10.244.0.20~app-0.e2e~e2e.svc.cluster.local', metadata: { NAMESPACE: 'shop' } };
  assert.match(nodeDenial(id('shop', 'app'), mixed, model) ?? '', /claims namespace e2e/);
  // A pod the model does not know: the namespace decides.
  const unknown = { id: 'sidecar~10.244.0.30~new-0.e2e~e2e.svc.cluster.local' };
  assert.equal(nodeDenial(id('e2e', 'db'), unknown, model), undefined);
  // No namespace anywhere reads as `default`, as parseProxy does.
  assert.match(nodeDenial(id('e2e', 'app'), { id: 'plain-node' }, model) ?? '', /claims namespace default/);
  const withoutSa = buildModel([source({ ...pod, spec: { containers: [{ name: 'a', image: 'i' }] } })]).model;
  assert.equal(withoutSa.pods[0]?.serviceAccount, 'default');
});
