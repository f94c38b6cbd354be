import assert from 'node:assert/strict';
import { isIPv4, isIPv6 } from 'node:net';
import { test } from 'node:test';
import { expandIPv6, parseAddress } from '../../src/model/index.ts';

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What parseAddress must answer, from independent parts: node:net decides validity, the WHATWG URL parser spells IPv6. */
function oracle(text: string): { ip: string; family: string } | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIPv4(bare)) return { ip: bare, family: 'IPv4' };
  if (isIPv6(bare) && !bare.includes('%')) return { ip: new URL(`http://[${bare}]/`).hostname.slice(1, -1), family: 'IPv6' };
  return undefined;
}

const TOKENS = ['0', '1', '00', '01', 'a', 'F', 'ffff', 'FfFf', '0000', '12345', 'g', '255', '256', '999', '10', ':', ':', '::', '.', '%eth0', '[', ']', ' ', '-', '1.2.3.4', '0.0.0.0', '001.2.3.4'];

/** A random string from address-like tokens, or a valid address with one random edit. */
function candidate(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  if (next() < 0.5) {
    let out = '';
    const length = 1 + Math.floor(next() * 12);
    for (let i = 0; i < length; i++) out += pick(TOKENS);
    return out;
  }
  const groups = Array.from({ length: 8 }, () => (next() < 0.5 ? 0 : Math.floor(next() * 65536)).toString(16));
  const v4 = Array.from({ length: 4 }, () => String(Math.floor(next() * 300))).join('.');
  const text = pick([groups.join(':'), groups.slice(0, 6).join(':') + ':' + v4, v4, groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')]);
  const at = Math.floor(next() * (text.length + 1));
  return pick([text, text.toUpperCase(), text.slice(0, at) + pick(TOKENS) + text.slice(at), text.slice(0, at) + text.slice(at + 1)]);
}

test('parseAddress agrees with node:net and the URL parser on 20,000 random literals, memoized or not', () => {
  const next = random(7);
  let valid = 0;
  for (let i = 0; i < 20_000; i++) {
    const text = candidate(next);
    const want = oracle(text);
    if (want) valid++;
    assert.deepEqual(parseAddress(text), want, text);
    assert.deepEqual(parseAddress(text), want, `${text} (second, memoized call)`);
  }
  assert.ok(valid > 2_000, `only ${valid} valid literals generated`);
});

test('IPv6 literals are spelled canonically whichever form they come in', () => {
  const cases: readonly [string, string][] = [
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['fd00:0010:0244:0000:0000:0000:0000:0005', 'fd00:10:244::5'],
  ];
  for (const [text, ip] of cases) assert.deepEqual(parseAddress(text), { ip, family: 'IPv6' }, text);
  for (const text of ['fe80::1%eth0', '1::2::3', '1:2:3:4:5:6:7:8:9', '01.2.3.4', '1.2.3.256', '']) {
    assert.equal(parseAddress(text), undefined, text);
  }
});

test('expandIPv6 gives the eight groups of hex-only and dotted-tail literals', () => {
  assert.deepEqual(expandIPv6('fd00:10:244::5'), [0xfd00, 0x10, 0x244, 0, 0, 0, 0, 5]);
  assert.deepEqual(expandIPv6('::'), [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(expandIPv6('::ffff:192.0.2.1'), [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x201]);
  assert.deepEqual(expandIPv6('1:2:3:4:5:6:7:8'), [1, 2, 3, 4, 5, 6, 7, 8]);
});
