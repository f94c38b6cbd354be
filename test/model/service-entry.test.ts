import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IPV4_POOL, IPV6_POOL, allocateVips, buildModel, parseAddress } from '../../src/model/index.ts';
import type { Address, Service, SourceObject, VipClaim, VipPool } from '../../src/model/index.ts';
import { naturalSlot } from '../../src/model/vip-alloc.ts';
import { serviceEntry } from './fixtures.ts';

function services(objects: readonly SourceObject[]): Service[] {
  return buildModel(objects).model.services.filter((s) => s.kind === 'ServiceEntry');
}

function vipMap(objects: readonly SourceObject[]): Map<string, string[]> {
  return new Map(services(objects).map((s) => [s.hostname, s.vips.map((v) => v.ip)]));
}

function dnsEntry(name: string, hosts: readonly string[], metadata: Record<string, unknown> = {}): SourceObject {
  return serviceEntry('ext', name, { hosts, ports: [{ number: 443, name: 'https', protocol: 'TLS' }], resolution: 'DNS' }, metadata);
}

test('a ServiceEntry becomes one service per host with its ports, location and resolution', () => {
  const entry = serviceEntry('ext', 'apis', {
    hosts: ['a.example.com', 'b.example.com'],
    addresses: ['192.0.2.1', '2001:db8::1/128'],
    ports: [{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 }, { number: 443, name: 'tls', protocol: 'HTTPS' }],
    resolution: 'STATIC',
    location: 'MESH_INTERNAL',
    endpoints: [{ address: '198.51.100.7', ports: { http: 9090 }, labels: { v: '1' }, locality: 'eu/eu-1/rack-3' }],
  });
  const { model, problems } = buildModel([entry]);
  assert.deepEqual(problems, []);
  assert.deepEqual(model.services.map((s) => [s.hostname, s.name, s.namespace, s.kind]), [
    ['a.example.com', 'apis', 'ext', 'ServiceEntry'],
    ['b.example.com', 'apis', 'ext', 'ServiceEntry'],
  ]);
  const a = model.services[0] as Service;
  assert.deepEqual(a.vips.map((v) => v.ip), ['192.0.2.1', '2001:db8::1']);
  assert.deepEqual(a.ipFamilies, ['IPv4', 'IPv6']);
  assert.equal(a.resolution, 'STATIC');
  assert.equal(a.location, 'MESH_INTERNAL');
  assert.deepEqual(a.ports, [
    { name: 'http', port: 80, protocol: 'HTTP', targetPort: 8080 },
    { name: 'tls', port: 443, protocol: 'TLS' },
  ]);
  const ofA = model.endpoints.filter((e) => e.service === 'a.example.com');
  assert.deepEqual(ofA.map((e) => [e.addresses.map((x) => x.ip), e.ports, e.labels, e.locality]), [
    [['198.51.100.7'], [{ name: 'http', port: 9090 }, { name: 'tls', port: 443 }], { v: '1' }, { region: 'eu', zone: 'eu-1', subzone: 'rack-3' }],
  ]);
});

test('a DNS ServiceEntry without endpoints resolves its own host', () => {
  const { model } = buildModel([dnsEntry('search', ['search.example.com'])]);
  assert.equal(model.services[0]?.resolution, 'DNS');
  assert.equal(model.services[0]?.location, 'MESH_EXTERNAL');
  assert.deepEqual(model.endpoints.map((e) => [e.service, e.hostname, e.addresses, e.ports]), [
    ['search.example.com', 'search.example.com', [], [{ name: 'https', port: 443 }]],
  ]);
});

test('a DNS endpoint given by hostname keeps the hostname', () => {
  const entry = serviceEntry('ext', 'mirror', {
    hosts: ['pkg.example.com'],
    ports: [{ number: 443, name: 'https', protocol: 'TLS' }],
    resolution: 'DNS',
    endpoints: [{ address: 'mirror-1.example.net' }],
  });
  assert.deepEqual(buildModel([entry]).model.endpoints.map((e) => e.hostname), ['mirror-1.example.net']);
});

test('a CIDR wider than one host is skipped with a warning', () => {
  const entry = serviceEntry('ext', 'range', {
    hosts: ['range.example.com'],
    addresses: ['192.0.2.0/24', '192.0.2.9/32'],
    ports: [{ number: 80, name: 'tcp', protocol: 'TCP' }],
    resolution: 'NONE',
  });
  const { model, problems } = buildModel([entry]);
  assert.deepEqual(model.services[0]?.vips.map((v) => v.ip), ['192.0.2.9']);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.severity, 'warning');
  assert.equal(problems[0]?.origin.field, 'spec.addresses[0]');
});

test('a host without addresses gets one IPv4 VIP from 240.240.0.0/16 and one IPv6 VIP from 2001:2::/48', () => {
  const vips = vipMap([dnsEntry('search', ['search.example.com'])]).get('search.example.com') ?? [];
  assert.equal(vips.length, 2);
  assert.match(vips[0] ?? '', /^240\.240\.\d+\.\d+$/);
  assert.match(vips[1] ?? '', /^2001:2::/);
  const last = Number((vips[0] ?? '').split('.')[3]);
  assert.ok(last >= 1 && last <= 254);
  assert.equal(parseAddress(vips[1] ?? '')?.ip, vips[1], 'the IPv6 VIP is spelled canonically');
});

test('resolution NONE and wildcard hosts get no VIPs', () => {
  const none = serviceEntry('ext', 'none', { hosts: ['pass.example.com'], ports: [{ number: 443, name: 'tls' }], resolution: 'NONE' });
  const wild = dnsEntry('wild', ['*.example.org']);
  const map = vipMap([none, wild]);
  assert.deepEqual(map.get('pass.example.com'), []);
  assert.deepEqual(map.get('*.example.org'), []);
});

test('allocated VIPs do not depend on input order and survive added hosts', () => {
  const base = [dnsEntry('a', ['a.example.com', 'b.example.com']), dnsEntry('c', ['c.example.com'])];
  const first = vipMap(base);
  assert.deepEqual(vipMap([...base].reverse()), first);
  const grown = vipMap([...base, dnsEntry('d', ['d.example.com', 'e.example.com'])]);
  for (const [host, vips] of first) assert.deepEqual(grown.get(host), vips, host);
});

test('a newer ServiceEntry never takes the slot of an older one it collides with', () => {
  const older = dnsEntry('older', ['x.example.com'], { creationTimestamp: '2024-01-01T00:00:00Z' });
  const alone = vipMap([older]).get('x.example.com');
  // Find a host whose natural IPv4 slot is the same as x.example.com's and that sorts before it.
  const target = naturalSlot('x.example.com', IPV4_POOL);
  let rival: string | undefined;
  for (let i = 0; i < 2_000_000 && rival === undefined; i++) {
    if (naturalSlot(`a${i}.example.com`, IPV4_POOL) === target) rival = `a${i}.example.com`;
  }
  assert.ok(rival, 'a colliding host exists within the bounded search');
  const newer = dnsEntry('newer', [rival], { creationTimestamp: '2025-01-01T00:00:00Z' });
  const both = vipMap([newer, older]);
  assert.deepEqual(both.get('x.example.com'), alone);
  assert.notEqual(both.get(rival)?.[0], alone?.[0]);
});

test('many hosts get distinct VIPs in both families even where their hashes collide', () => {
  const hosts = Array.from({ length: 3000 }, (_, i) => `svc-${i}.example.com`);
  const slots = new Set(hosts.map((h) => naturalSlot(h, IPV4_POOL)));
  assert.ok(slots.size < hosts.length, 'the input really has IPv4 hash collisions');
  const all = [...vipMap([dnsEntry('many', hosts)]).values()];
  const v4 = all.map((v) => v[0]);
  const v6 = all.map((v) => v[1]);
  assert.equal(new Set(v4).size, hosts.length);
  assert.equal(new Set(v6).size, hosts.length);
  for (const ip of v6) assert.equal(parseAddress(ip ?? '')?.ip, ip, 'IPv6 VIPs are spelled canonically');
  for (const ip of v4) assert.match(ip ?? '', /^240\.240\.\d+\.([1-9]\d?|1\d\d|2[0-4]\d|25[0-4])$/);
});

test('collisions in a small pool are resolved by probing to the next free slot, deterministically', () => {
  const tiny: VipPool = { ...IPV4_POOL, size: 5 };
  const claim = (host: string): VipClaim => ({ key: host, host, namespace: 'ns', families: ['IPv4'], origin: {} });
  const claims = ['h1', 'h2', 'h3', 'h4', 'h5'].map(claim);
  const once = allocateVips(claims, [], [tiny]);
  const again = allocateVips([...claims].reverse(), [], [tiny]);
  assert.deepEqual(once.vips, again.vips);
  const used = [...once.vips.values()].map((v) => (v[0] as Address).ip);
  assert.equal(new Set(used).size, 5);
  const full = allocateVips([...claims, claim('h6')], [], [tiny]);
  assert.deepEqual(full.vips.get('h6'), []);
  assert.equal(full.problems.length, 1);
  assert.match(full.problems[0]?.message ?? '', /no IPv4 VIP left/);
});

test('an explicit address inside the pool is never handed out again', () => {
  const claim: VipClaim = { key: 'x', host: 'x.example.com', namespace: 'ns', families: ['IPv4', 'IPv6'], origin: {} };
  const natural = allocateVips([claim], []).vips.get('x') ?? [];
  const again = allocateVips([claim], natural).vips.get('x') ?? [];
  assert.equal(again.length, 2);
  assert.notDeepEqual(again[0], natural[0]);
  assert.notDeepEqual(again[1], natural[1]);
  assert.equal(IPV6_POOL.slotOf(again[1] as Address) !== undefined, true);
});

test('the auto-allocate annotation opts out per family', () => {
  const map = vipMap([
    dnsEntry('v4', ['v4.example.com'], { annotations: { 'biplane.io/auto-allocate': 'IPv4' } }),
    dnsEntry('v6', ['v6.example.com'], { annotations: { 'biplane.io/auto-allocate': 'IPv6' } }),
    dnsEntry('none', ['none.example.com'], { annotations: { 'biplane.io/auto-allocate': 'none' } }),
    dnsEntry('both', ['both.example.com'], { annotations: { 'biplane.io/auto-allocate': 'IPv6,IPv4' } }),
  ]);
  assert.deepEqual(map.get('v4.example.com')?.map((ip) => ip.includes(':')), [false]);
  assert.deepEqual(map.get('v6.example.com')?.map((ip) => ip.includes(':')), [true]);
  assert.deepEqual(map.get('none.example.com'), []);
  assert.deepEqual(map.get('both.example.com')?.map((ip) => ip.includes(':')), [false, true]);
  const v4Service = services([dnsEntry('v4', ['v4.example.com'], { annotations: { 'biplane.io/auto-allocate': 'IPv4' } })])[0];
  assert.deepEqual(v4Service?.ipFamilies, ['IPv4']);
});

test('a ServiceEntry with explicit addresses of either family keeps them as given', () => {
  const entry = serviceEntry('ext', 'v6first', {
    hosts: ['v6.example.com'],
    addresses: ['2001:db8::20', '192.0.2.20'],
    ports: [{ number: 80, name: 'http' }],
    resolution: 'STATIC',
    endpoints: [{ address: '2001:db8::21' }],
  });
  assert.deepEqual(vipMap([entry]).get('v6.example.com'), ['2001:db8::20', '192.0.2.20']);
});

test('auto-allocated VIPs are marked as such, explicit addresses and opted-out hosts are not', () => {
  const explicit = serviceEntry('ext', 'fixed', {
    hosts: ['fixed.example'],
    addresses: ['198.18.0.9'],
    ports: [{ number: 443, name: 'https', protocol: 'TLS' }],
    resolution: 'DNS',
  });
  const none = dnsEntry('none', ['none.example'], { annotations: { 'biplane.io/auto-allocate': 'none' } });
  const marked = services([dnsEntry('auto', ['auto.example']), explicit, none]).map((s) => [s.hostname, s.autoAllocated ?? false, s.vips.length]);
  assert.deepEqual(marked.sort(), [['auto.example', true, 2], ['fixed.example', false, 1], ['none.example', false, 0]]);
});
