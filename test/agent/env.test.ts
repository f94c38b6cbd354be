// `biplane agent` reads the pod from the environment `biplane inject` sets (and Istio's names), and flags win.
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { test } from 'node:test';
import { OPTIONS, checkFlags, metadataFromEnv, proxyFromEnv } from '../../src/cli/agent.ts';

const INJECTED = {
  POD_NAME: 'web-7d9f',
  POD_NAMESPACE: 'shop',
  POD_IPS: '2001:db8::9,198.18.0.9',
  SERVICE_ACCOUNT: 'web',
  BIPLANE_XDS_ADDRESS: 'biplane.biplane-system.svc:15010',
  BIPLANE_INTERCEPTION: 'TPROXY',
  BIPLANE_WORK_DIR: '/var/run/biplane',
};

const flags = (argv: string[]) => parseArgs({ args: argv, options: OPTIONS }).values;

test("the injected environment names the pod, its IPs primary first, its capture mode and its service account", () => {
  const proxy = proxyFromEnv(INJECTED);
  assert.ok(typeof proxy === 'object', String(proxy));
  assert.equal(proxy.id, 'sidecar~2001:db8::9~web-7d9f.shop~shop.svc.cluster.local');
  assert.deepEqual(proxy.ips.map((a) => a.ip), ['2001:db8::9', '198.18.0.9']);
  assert.equal(proxy.primaryFamily, 'IPv6');
  assert.equal(proxy.interception, 'TPROXY');
  assert.deepEqual(metadataFromEnv(INJECTED), { SERVICE_ACCOUNT: 'web' });
  const none = proxyFromEnv({ ...INJECTED, BIPLANE_INTERCEPTION: 'NONE' });
  assert.ok(typeof none === 'object');
  assert.equal(none.interception, 'REDIRECT');
});

test("Istio's names still work when biplane's are absent, and a missing pod fact is an error naming the variables", () => {
  const istio = proxyFromEnv({ POD_NAME: 'a', POD_NAMESPACE: 'b', INSTANCE_IPS: '198.18.0.1', ISTIO_META_INTERCEPTION_MODE: 'TPROXY' });
  assert.ok(typeof istio === 'object');
  assert.equal(istio.interception, 'TPROXY');
  assert.match(String(proxyFromEnv({ POD_NAME: 'a', POD_NAMESPACE: 'b' })), /POD_IPS/);
});

test('the xDS address and work dir come from the environment unless flags say otherwise', () => {
  const fromEnv = checkFlags(flags([]), INJECTED);
  assert.ok(typeof fromEnv === 'object', String(fromEnv));
  assert.deepEqual(fromEnv.xds, { host: 'biplane.biplane-system.svc', port: 15010 });
  assert.equal(fromEnv.workDir, '/var/run/biplane');
  assert.deepEqual(fromEnv.metadata, { SERVICE_ACCOUNT: 'web' });
  const fromFlags = checkFlags(flags(['--xds-address', '[2001:db8::10]:15012', '--work-dir', '/tmp/w']), INJECTED);
  assert.ok(typeof fromFlags === 'object', String(fromFlags));
  assert.deepEqual(fromFlags.xds, { host: '2001:db8::10', port: 15012 });
  assert.equal(fromFlags.workDir, '/tmp/w');
  const istio = checkFlags(flags([]), { XDS_ADDRESS: '198.18.0.10:15010' });
  assert.ok(typeof istio === 'object');
  assert.deepEqual(istio.xds, { host: '198.18.0.10', port: 15010 });
  assert.equal(istio.workDir, undefined);
});
