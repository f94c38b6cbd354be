// Golden tests: testdata/capture/<case>/input.json → the rules for both backends. UPDATE_GOLDEN=1 rewrites the
// expected files and deletes stale ones; without it (always in CI) a difference fails the test.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { captureRules, DEFAULT_CAPTURE } from '../../src/capture/index.ts';
import type { CaptureBackend, CaptureConfig } from '../../src/capture/index.ts';
import { parseAddress } from '../../src/model/address.ts';

const ROOT = path.join(import.meta.dirname, '../../testdata/capture');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

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
  const ipt = captureRules(configOf(dir, 'iptables')).iptables;
  const nft = captureRules(configOf(dir, 'nftables')).nftables;
  if (ipt?.v4 !== undefined) out.set('iptables-v4.rules', ipt.v4);
  if (ipt?.v6 !== undefined) out.set('iptables-v6.rules', ipt.v6);
  if (nft !== undefined) out.set('nftables.nft', nft);
  return out;
}

const cases = readdirSync(ROOT).filter((name) => existsSync(path.join(ROOT, name, 'input.json'))).sort();

test('there are golden cases for IPv4-only, IPv6-only and dual-stack pods', () => {
  for (const name of ['ipv4-only', 'ipv6-only', 'dual']) assert.ok(cases.includes(name), `missing case ${name}`);
});

for (const name of cases) {
  test(`capture rules for ${name} match the golden files`, () => {
    const dir = path.join(ROOT, name);
    const generated = expectedFiles(dir);
    const onDisk = readdirSync(dir).filter((f) => f !== 'input.json').sort();
    if (UPDATE) {
      for (const f of onDisk) if (!generated.has(f)) unlinkSync(path.join(dir, f));
      for (const [f, text] of generated) writeFileSync(path.join(dir, f), text);
      return;
    }
    assert.deepEqual(onDisk, [...generated.keys()].sort(), `${name}: expected files differ`);
    for (const [f, text] of generated) {
      assert.equal(text, readFileSync(path.join(dir, f), 'utf8'), `${name}/${f} differs (UPDATE_GOLDEN=1 rewrites it)`);
    }
  });
}
