import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerFor, nameLookup, type AskedType } from '../../src/agent/dns/names.ts';
import { buildModel, indexModel, type IPMode, type IPFamily, type SourceObject } from '../../src/model/index.ts';
import { decodeNameTable, encodeNameTable, nameTable, type NameTable } from '../../src/translate/name-table.ts';
import { dualService, ep, pod, service, serviceEntry, slice } from '../model/fixtures.ts';

const proxies: Record<string, { mode: IPMode; primaryFamily: IPFamily }> = {
  v4: { mode: 'IPv4', primaryFamily: 'IPv4' },
  v6: { mode: 'IPv6', primaryFamily: 'IPv6' },
  dual4: { mode: 'Dual', primaryFamily: 'IPv4' },
  dual6: { mode: 'Dual', primaryFamily: 'IPv6' },
};

function mesh(): SourceObject[] {
  return [
    dualService('shop', 'web', ['198.18.96.10', '2001:db8:96::a']),
    dualService('shop', 'api6', ['2001:db8:96::b', '198.18.96.11']),
    dualService('shop', 'only4', ['198.18.96.12']),
    dualService('shop', 'only6', ['2001:db8:96::c']),
    service('shop', 'db', { clusterIP: 'None', ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack', selector: { app: 'db' }, ports: [{ name: 'tcp', port: 5432 }] }),
    slice('shop', 'db-v4', 'db', 'IPv4', [ep('198.18.1.5', { pod: 'db-0' }), ep('198.18.1.6', { pod: 'db-1', conditions: { ready: false } })], [{ name: 'tcp', port: 5432 }]),
    slice('shop', 'db-v6', 'db', 'IPv6', [ep('2001:db8:1::5', { pod: 'db-0' })], [{ name: 'tcp', port: 5432 }]),
    pod('shop', 'db-0', ['198.18.1.5', '2001:db8:1::5']),
    pod('shop', 'db-1', ['198.18.1.6', '2001:db8:1::6']),
    serviceEntry('ext', 'auto', { hosts: ['auto.example.com', '*.wild.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' }),
    serviceEntry('ext', 'fixed', { hosts: ['fixed.example.com'], addresses: ['198.18.200.1', '2001:db8:200::1'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'STATIC', endpoints: [{ address: '198.18.200.9' }] }),
    serviceEntry('ext', 'noalloc', { hosts: ['noalloc.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' }, { annotations: { 'biplane.io/auto-allocate': 'none' } }),
    serviceEntry('ext', 'v4alloc', { hosts: ['v4alloc.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' }, { annotations: { 'biplane.io/auto-allocate': 'IPv4' } }),
  ];
}

function tableFor(kind: keyof typeof proxies): NameTable {
  const built = buildModel(mesh());
  assert.deepEqual(built.problems.filter((p) => p.severity === 'error'), []);
  const proxy = proxies[kind];
  assert.ok(proxy);
  return nameTable(indexModel(built.model), proxy);
}

function ipsOf(table: NameTable, host: string): readonly string[] | undefined {
  return table.table[host]?.ips;
}

test('a dual proxy gets both VIPs of a dual-stack service, its own primary family first', () => {
  assert.deepEqual(ipsOf(tableFor('dual4'), 'web.shop.svc.cluster.local'), ['198.18.96.10', '2001:db8:96::a']);
  assert.deepEqual(ipsOf(tableFor('dual6'), 'web.shop.svc.cluster.local'), ['2001:db8:96::a', '198.18.96.10']);
  assert.deepEqual(ipsOf(tableFor('dual4'), 'api6.shop.svc.cluster.local'), ['198.18.96.11', '2001:db8:96::b']);
});

test('a single-family proxy is never told an address of the other family', () => {
  for (const [kind, family] of [['v4', '.'], ['v6', ':']] as const) {
    const table = tableFor(kind);
    for (const [host, info] of Object.entries(table.table)) {
      assert.ok(info.ips.length > 0, `${kind}: ${host} has addresses`);
      assert.ok(info.ips.every((ip) => ip.includes(family)), `${kind}: ${host} → ${info.ips.join(',')}`);
    }
  }
  assert.equal(ipsOf(tableFor('v4'), 'only6.shop.svc.cluster.local'), undefined);
  assert.deepEqual(ipsOf(tableFor('v6'), 'only6.shop.svc.cluster.local'), ['2001:db8:96::c']);
});

test('a headless service resolves to the addresses of its ready endpoints', () => {
  assert.deepEqual(ipsOf(tableFor('dual4'), 'db.shop.svc.cluster.local'), ['198.18.1.5', '2001:db8:1::5']);
  assert.deepEqual(ipsOf(tableFor('dual6'), 'db.shop.svc.cluster.local'), ['2001:db8:1::5', '198.18.1.5']);
  assert.deepEqual(ipsOf(tableFor('v4'), 'db.shop.svc.cluster.local'), ['198.18.1.5']);
});

test('ServiceEntry hosts carry explicit or auto-allocated VIPs, and hosts without any are left out', () => {
  const table = tableFor('dual4');
  assert.deepEqual(ipsOf(table, 'fixed.example.com'), ['198.18.200.1', '2001:db8:200::1']);
  const auto = ipsOf(table, 'auto.example.com') ?? [];
  assert.equal(auto.length, 2);
  assert.match(auto[0] ?? '', /^240\.240\./);
  assert.match(auto[1] ?? '', /^2001:2:/);
  assert.equal(table.table['auto.example.com']?.registry, 'External');
  assert.equal(ipsOf(table, 'noalloc.example.com'), undefined);
  assert.equal(Object.keys(table.table).some((h) => h.includes('*')), false);
  assert.equal(ipsOf(tableFor('v6'), 'v4alloc.example.com'), undefined);
  assert.match(ipsOf(tableFor('v4'), 'v4alloc.example.com')?.[0] ?? '', /^240\.240\./);
});

test('the table survives its own wire encoding and is sorted by host', () => {
  const table = tableFor('dual6');
  assert.deepEqual(decodeNameTable(encodeNameTable(table)), table);
  const hosts = Object.keys(table.table);
  assert.deepEqual(hosts, [...hosts].sort());
});

function ask(kind: keyof typeof proxies, namespace: string, name: string, type: AskedType): string[] | 'forward' {
  const answer = answerFor(nameLookup(tableFor(kind), namespace), name, type);
  return answer.kind === 'forward' ? 'forward' : answer.addresses.map((a) => a.ip);
}

test('A gets the IPv4 VIPs and AAAA the IPv6 VIPs of a dual-stack name', () => {
  assert.deepEqual(ask('dual6', 'shop', 'web.shop.svc.cluster.local.', 'A'), ['198.18.96.10']);
  assert.deepEqual(ask('dual6', 'shop', 'WEB.shop.svc.cluster.local', 'AAAA'), ['2001:db8:96::a']);
  assert.deepEqual(ask('dual6', 'shop', 'web.shop.svc.cluster.local', 'ANY'), ['2001:db8:96::a', '198.18.96.10']);
});

test('a mesh name without the asked family answers with no records instead of being forwarded', () => {
  assert.deepEqual(ask('dual4', 'shop', 'only4.shop.svc.cluster.local', 'AAAA'), []);
  assert.deepEqual(ask('v4', 'shop', 'web.shop.svc.cluster.local', 'AAAA'), []);
  assert.deepEqual(ask('v6', 'shop', 'web.shop.svc.cluster.local', 'A'), []);
  assert.deepEqual(ask('dual4', 'shop', 'web.shop.svc.cluster.local', 'other'), []);
});

test('short names follow the search domains of the asking pod\'s namespace', () => {
  assert.deepEqual(ask('dual4', 'shop', 'web', 'A'), ['198.18.96.10']);
  assert.deepEqual(ask('dual4', 'other', 'web', 'A'), 'forward');
  assert.deepEqual(ask('dual4', 'other', 'web.shop', 'AAAA'), ['2001:db8:96::a']);
  assert.deepEqual(ask('dual4', 'other', 'web.shop.svc', 'A'), ['198.18.96.10']);
  assert.deepEqual(ask('dual4', 'shop', 'auto', 'A'), 'forward');
});

test('names outside the table are forwarded', () => {
  assert.equal(ask('dual4', 'shop', 'example.org', 'A'), 'forward');
  assert.equal(ask('dual4', 'shop', 'noalloc.example.com', 'A'), 'forward');
  assert.equal(ask('dual4', 'shop', 'web.shop.shop.svc.cluster.local', 'A'), 'forward');
});
