// `--manifests DIR --pod NS/NAME`: IPs and annotations come from the pod through the real file source and model
// builder, and the CLI prints the same rules as the equivalent explicit flags.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { podCaptureFromManifests } from '../../src/capture/manifests.ts';

const REPO = path.join(import.meta.dirname, '../..');
const DIR = path.join(REPO, 'testdata/capture/manifests');

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bin/biplane.js'), 'capture', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a pod in a manifest folder gives its podIPs (primary first) and its capture annotations', async () => {
  const { capture, problems } = await podCaptureFromManifests(DIR, { namespace: 'shop', name: 'cart-1' });
  assert.deepEqual(problems, []);
  assert.deepEqual(capture, {
    ips: [{ ip: '2001:db8::21', family: 'IPv6' }, { ip: '198.18.0.21', family: 'IPv4' }],
    excludeCidrs: ['198.18.9.0/24', '2001:db8:9::/48'],
    excludeInboundPorts: [8081],
    excludeOutboundPorts: [9090],
  });
});

test('a missing pod, a pod without IPs and a bad annotation are errors naming the pod and where it is', async () => {
  const missing = await podCaptureFromManifests(DIR, { namespace: 'shop', name: 'nope' });
  assert.match(missing.problems[0]?.message ?? '', /pod shop\/nope not found/);
  const pending = await podCaptureFromManifests(DIR, { namespace: 'shop', name: 'pending-1' });
  assert.match(pending.problems[0]?.message ?? '', /pod shop\/pending-1 has no IPs/);
  const broken = await podCaptureFromManifests(DIR, { namespace: 'shop', name: 'broken-1' });
  assert.match(broken.problems[0]?.message ?? '', /includeOutboundIPRanges: '198\.18\.0\.0\/40' is not a valid CIDR/);
  assert.equal(path.basename(broken.problems[0]?.origin.file ?? ''), 'pods.yaml');
  assert.equal(typeof broken.problems[0]?.origin.line, 'number');
});

test('the CLI prints the same rules for --manifests --pod as for the equivalent flags, and flags win', () => {
  const fromPod = cli(['--manifests', DIR, '--pod', 'shop/cart-1', '--exclude-outbound-ports', '9091']);
  const fromFlags = cli([
    '--ips', '2001:db8::21,198.18.0.21',
    '--exclude-cidrs', '198.18.9.0/24,2001:db8:9::/48',
    '--exclude-inbound-ports', '8081',
    '--exclude-outbound-ports', '9091',
  ]);
  assert.equal(fromPod.code, 0, fromPod.stderr);
  assert.equal(fromFlags.code, 0, fromFlags.stderr);
  assert.equal(fromPod.stdout, fromFlags.stdout);
  assert.match(fromPod.stdout, /--dport 9091 -j RETURN/);
  assert.doesNotMatch(fromPod.stdout, /--dport 9090 -j RETURN/);
});

test('a pod annotated with interceptionMode TPROXY gets the same rules and routes as --mode tproxy, and flags win', () => {
  const fromPod = cli(['--manifests', DIR, '--pod', 'shop/tproxy-1']);
  const fromFlags = cli(['--ips', '198.18.0.23,2001:db8::23', '--exclude-inbound-ports', '8081', '--mode', 'tproxy']);
  assert.equal(fromPod.code, 0, fromPod.stderr);
  assert.equal(fromPod.stdout, fromFlags.stdout);
  assert.match(fromPod.stdout, /-j TPROXY --on-port 15006/);
  assert.match(fromPod.stdout, /^ip -6 route add local ::\/0 dev lo table 133$/m);
  const overridden = cli(['--manifests', DIR, '--pod', 'shop/tproxy-1', '--mode', 'redirect']);
  assert.doesNotMatch(overridden.stdout, /TPROXY|fwmark/);
});

test('the CLI exits non-zero with the reason for bad input and never prints rules then', () => {
  const broken = cli(['--manifests', DIR, '--pod', 'shop/broken-1']);
  assert.equal(broken.code, 1);
  assert.equal(broken.stdout, '');
  assert.match(broken.stderr, /pods\.yaml:\d+: pod shop\/broken-1/);
  const badFlag = cli(['--ips', '198.18.0.1', '--exclude-cidrs', '2001:db8::/200']);
  assert.equal(badFlag.code, 1);
  assert.match(badFlag.stderr, /excludeCidrs: '2001:db8::\/200'/);
  const usage = cli(['--ips']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /usage: biplane capture/);
});
