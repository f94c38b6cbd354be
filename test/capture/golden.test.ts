// Golden tests: testdata/capture/<case>/input.json → the rules for both backends, and in TPROXY mode the policy
// routing script. UPDATE_GOLDEN=1 rewrites the expected files and deletes stale ones; without it, and always under CI
// (test/support/golden.ts refuses to rewrite there), a difference fails the test.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { captureRules, DEFAULT_CAPTURE, policyRoutingScript } from '../../src/capture/index.ts';
import type { CaptureBackend, CaptureConfig } from '../../src/capture/index.ts';
import { parseAddress } from '../../src/model/address.ts';
import { matchGolden, removeStaleGoldens, updatingGoldens } from '../support/golden.ts';

const ROOT = path.join(import.meta.dirname, '../../testdata/capture');

function configOf(dir: string, backend: CaptureBackend): CaptureConfig {
  const raw = JSON.parse(readFileSync(path.join(dir, 'input.json'), 'utf8')) as Record<string, unknown>;
  const { description: _d, ips, ...rest } = raw;
  const addresses = (ips as string[]).map((ip) => {
    const a = parseAddress(ip);
    assert.ok(a, `${dir}/input.json: '${ip}' is not an IP`);
    return a;
  });
  return { ...DEFAULT_CAPTURE, ...(rest as Partial<CaptureConfig>), ips: addresses, backend };
}

function expectedFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const config = configOf(dir, 'iptables');
  const { iptables: ipt, routes } = captureRules(config);
  const nft = captureRules(configOf(dir, 'nftables'));
  if (ipt?.v4 !== undefined) out.set('iptables-v4.rules', ipt.v4);
  if (ipt?.v6 !== undefined) out.set('iptables-v6.rules', ipt.v6);
  if (nft.nftables !== undefined) out.set('nftables.nft', nft.nftables);
  assert.deepEqual(nft.routes, routes, 'policy routing does not depend on the backend');
  const all = [...(routes?.v4 ?? []), ...(routes?.v6 ?? [])];
  const routing = { mark: config.tproxyMark, table: config.tproxyRouteTable };
  if (all.length > 0) out.set('policy-routing.sh', policyRoutingScript(all, routing));
  return out;
}

const cases = readdirSync(ROOT).filter((name) => existsSync(path.join(ROOT, name, 'input.json'))).sort();

test('there are golden cases for IPv4-only, IPv6-only and dual-stack pods, in REDIRECT and TPROXY mode', () => {
  for (const name of ['ipv4-only', 'ipv6-only', 'dual', 'ipv4-only-tproxy', 'ipv6-only-tproxy', 'dual-tproxy']) {
    assert.ok(cases.includes(name), `missing case ${name}`);
  }
});

for (const name of cases) {
  test(`capture rules for ${name} match the golden files`, () => {
    const dir = path.join(ROOT, name);
    const generated = expectedFiles(dir);
    removeStaleGoldens(dir, '', ['input.json', ...generated.keys()]);
    const onDisk = readdirSync(dir).filter((f) => f !== 'input.json').sort();
    if (!updatingGoldens()) assert.deepEqual(onDisk, [...generated.keys()].sort(), `${name}: expected files differ`);
    for (const [f, text] of generated) matchGolden(path.join(dir, f), text, `${name}/${f}`);
  });
}
