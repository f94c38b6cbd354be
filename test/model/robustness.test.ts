import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel, checkObject, indexModel, parseProxy, validate } from '../../src/model/index.ts';
import type { SourceObject } from '../../src/model/index.ts';
import { dualService, ep, node, pod, serviceEntry, slice } from './fixtures.ts';

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

const JUNK: readonly unknown[] = [null, 0, -1, 70000, 'x', '', '10.0.0.1', 'fd00::1', [], [1, 'a'], {}, { a: 1 }, true, 'None'];

/** Replaces one randomly chosen value anywhere inside `value` with junk. */
function mutate(value: unknown, next: () => number): unknown {
  if (Array.isArray(value)) {
    if (value.length === 0 || next() < 0.2) return JUNK[Math.floor(next() * JUNK.length)];
    const i = Math.floor(next() * value.length);
    return value.map((v, j) => (j === i ? mutate(v, next) : v));
  }
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    if (keys.length === 0 || next() < 0.2) return JUNK[Math.floor(next() * JUNK.length)];
    const key = keys[Math.floor(next() * keys.length)] as string;
    return { ...value, [key]: mutate((value as Record<string, unknown>)[key], next) };
  }
  return JUNK[Math.floor(next() * JUNK.length)];
}

const VALID: readonly SourceObject[] = [
  dualService('shop', 'web', ['10.96.0.10', 'fd00:10:96::a']),
  pod('shop', 'web-1', ['10.244.0.5', 'fd00:10:244::5'], { node: 'n1' }),
  node('n1', 'eu', 'eu-1a', ['192.168.0.1']),
  slice('shop', 'web-v4', 'web', 'IPv4', [ep('10.244.0.5', { pod: 'web-1', node: 'n1' })]),
  slice('shop', 'web-v6', 'web', 'IPv6', [ep('fd00:10:244::5', { pod: 'web-1', node: 'n1' })]),
  serviceEntry('ext', 'apis', {
    hosts: ['a.example.com'],
    ports: [{ number: 443, name: 'tls', protocol: 'TLS' }],
    resolution: 'DNS',
    endpoints: [{ address: 'a1.example.net', ports: { tls: 8443 }, locality: 'eu/eu-1' }],
  }),
];

test('malformed objects never make the model stage throw, and every problem names its file', () => {
  const next = random(42);
  for (let round = 0; round < 400; round++) {
    const objects = VALID.map((o) => (next() < 0.5 ? { ...o, object: mutate(o.object, next) as SourceObject['object'] } : o));
    for (const object of objects) {
      const { problems } = checkObject(object.object, object.origin);
      for (const p of problems) {
        assert.equal(p.origin.file, 'test.yaml', p.message);
        assert.ok(p.message.length > 0);
      }
    }
    const { model, problems } = buildModel(objects);
    for (const p of problems) assert.equal(p.origin.file, 'test.yaml', p.message);
    validate(model);
    indexModel(model);
    parseProxy({ id: String(mutate('sidecar~1~p.shop~shop', next)), metadata: { INSTANCE_IPS: mutate('10.0.0.1', next) } }, model);
  }
});
