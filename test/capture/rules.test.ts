// Behaviour of the pure generator: families, CIDR handling, determinism and error messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureRules, DEFAULT_CAPTURE, loopbackAddresses, parseCidr, validateCaptureConfig } from '../../src/capture/index.ts';
import type { CaptureConfig } from '../../src/capture/index.ts';
import { parseAddress } from '../../src/model/address.ts';

function config(ips: string[], extra: Partial<CaptureConfig> = {}): CaptureConfig {
  return { ...DEFAULT_CAPTURE, ips: ips.map((ip) => parseAddress(ip)!), ...extra };
}

const lines = (text: string | undefined): string[] => (text ?? '').split('\n');

test('a dual-stack pod gets an iptables and an ip6tables input, each hooked from PREROUTING and OUTPUT', () => {
  const rules = captureRules(config(['198.18.0.1', '2001:db8::1']));
  for (const text of [rules.iptables?.v4, rules.iptables?.v6]) {
    assert.ok(lines(text).includes('-A PREROUTING -p tcp -j BIPLANE_INBOUND'));
    assert.ok(lines(text).includes('-A OUTPUT -p tcp -j BIPLANE_OUTPUT'));
    assert.ok(lines(text).includes('-A BIPLANE_REDIRECT -p tcp -j REDIRECT --to-ports 15001'));
    assert.ok(lines(text).includes('-A BIPLANE_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006'));
  }
  assert.ok(lines(rules.iptables?.v4).includes('-A BIPLANE_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN'));
  assert.ok(lines(rules.iptables?.v6).includes('-A BIPLANE_OUTPUT -s ::6/128 -o lo -j RETURN'));
  assert.ok(lines(rules.iptables?.v6).includes('-A BIPLANE_OUTPUT -d ::1/128 -j RETURN'));
  assert.equal(rules.nftables, undefined);
});

test('a single-family pod gets rules for its family only', () => {
  assert.deepEqual(Object.keys(captureRules(config(['198.18.0.1'])).iptables ?? {}), ['v4']);
  assert.deepEqual(Object.keys(captureRules(config(['2001:db8::1'])).iptables ?? {}), ['v6']);
  const nft = captureRules(config(['2001:db8::1'], { backend: 'nftables' })).nftables ?? '';
  assert.match(nft, /meta nfproto ipv6 meta l4proto tcp jump outbound/);
  assert.doesNotMatch(nft, /\bip (saddr|daddr)/);
});

test('a pod with IPv6 needs ::6 on lo for its passthrough source; an IPv4-only pod already has 127.0.0.6', () => {
  assert.deepEqual(loopbackAddresses(config(['198.18.0.1', '2001:db8::1'])), ['::6/128']);
  assert.deepEqual(loopbackAddresses(config(['2001:db8::1'])), ['::6/128']);
  assert.deepEqual(loopbackAddresses(config(['198.18.0.1'])), []);
});

test('the nftables backend covers both families in one inet table that replaces itself', () => {
  const nft = captureRules(config(['198.18.0.1', '2001:db8::1'], { backend: 'nftables' })).nftables ?? '';
  const head = lines(nft).filter((l) => l.startsWith('table') || l.startsWith('delete'));
  assert.deepEqual(head, ['table inet biplane', 'delete table inet biplane', 'table inet biplane {']);
  assert.match(nft, /oifname "lo" ip saddr 127\.0\.0\.6 return/);
  assert.match(nft, /oifname "lo" ip6 saddr ::6 return/);
  assert.doesNotMatch(nft, /meta nfproto/);
});

test('CIDRs of the other family are dropped per table and never an error', () => {
  const rules = captureRules(config(['198.18.0.1', '2001:db8::1'], { excludeCidrs: ['198.18.5.0/24', '2001:db8:5::/48'] }));
  assert.ok(lines(rules.iptables?.v4).includes('-A BIPLANE_OUTPUT -d 198.18.5.0/24 -j RETURN'));
  assert.ok(!rules.iptables?.v4?.includes('2001:db8:5::'));
  assert.ok(lines(rules.iptables?.v6).includes('-A BIPLANE_OUTPUT -d 2001:db8:5::/48 -j RETURN'));
  assert.ok(!rules.iptables?.v6?.includes('198.18.5.0'));
  const v4only = captureRules(config(['198.18.0.1'], { includeCidrs: ['2001:db8::/32'] }));
  assert.ok(!v4only.iptables?.v4?.includes('-j BIPLANE_REDIRECT'), 'no IPv4 include left, so nothing is redirected');
});

test('an invalid CIDR is an error that names the field and the value', () => {
  assert.throws(() => captureRules(config(['198.18.0.1'], { excludeCidrs: ['198.18.0.0/33'] })), /excludeCidrs: '198\.18\.0\.0\/33'/);
  assert.throws(() => captureRules(config(['198.18.0.1'], { includeCidrs: ['bogus/8'] })), /includeCidrs: 'bogus\/8'/);
  const problems = validateCaptureConfig(config(['198.18.0.1'], { inboundPort: 0, excludeCidrs: ['*'] }));
  assert.deepEqual(problems.map((p) => p.origin.field).sort(), ['excludeCidrs', 'inboundPort']);
  assert.throws(() => captureRules(config([])), /ips: the pod has no IPs/);
});

test('the proxy ports 15020, 15021 and 15090 are never captured inbound, on top of the excluded ones', () => {
  const v4 = lines(captureRules(config(['198.18.0.1'], { excludeInboundPorts: [9000] })).iptables?.v4);
  const returns = v4.filter((l) => l.startsWith('-A BIPLANE_INBOUND') && l.endsWith('RETURN'));
  assert.deepEqual(returns.map((l) => l.split(' ')[7]), ['9000', '15020', '15021', '15090']);
});

test('DNS capture redirects UDP and TCP 53 to 15053 for both families, except the proxy uid and gid', () => {
  const rules = captureRules(config(['198.18.0.1', '2001:db8::1'], { captureDns: true, proxyUid: 7, proxyGid: 8 }));
  for (const text of [rules.iptables?.v4, rules.iptables?.v6]) {
    const dns = lines(text).filter((l) => l.includes('BIPLANE_DNS'));
    assert.deepEqual(dns.slice(-4), [
      '-A BIPLANE_DNS -m owner --uid-owner 7 -j RETURN',
      '-A BIPLANE_DNS -m owner --gid-owner 8 -j RETURN',
      '-A BIPLANE_DNS -p udp -j REDIRECT --to-ports 15053',
      '-A BIPLANE_DNS -p tcp -j REDIRECT --to-ports 15053',
    ]);
    assert.ok(lines(text).indexOf('-A OUTPUT -p udp -m udp --dport 53 -j BIPLANE_DNS') < lines(text).indexOf('-A OUTPUT -p tcp -j BIPLANE_OUTPUT'));
  }
  assert.ok(!captureRules(config(['198.18.0.1'])).iptables?.v4?.includes('BIPLANE_DNS'));
});

test('the output does not depend on the order or spelling of the inputs', () => {
  const a = config(['198.18.0.1', '2001:db8::1'], { excludeCidrs: ['198.18.1.0/24', '2001:DB8:1:0::/64'], excludeOutboundPorts: [2, 1, 2] });
  const b = config(['198.18.0.1', '2001:db8::1'], { excludeCidrs: ['2001:db8:1::/64', '198.18.1.9/24', '198.18.1.0/24'], excludeOutboundPorts: [1, 2] });
  for (const backend of ['iptables', 'nftables'] as const) {
    assert.deepEqual(captureRules({ ...a, backend }), captureRules({ ...b, backend }));
  }
});

test('parseCidr clears host bits, compresses IPv6 and reads a bare address as one host', () => {
  assert.deepEqual(parseCidr('198.18.7.9/15'), { family: 'IPv4', network: '198.18.0.0', prefix: 15, text: '198.18.0.0/15', key: 'c6120000' });
  const v6 = parseCidr('2001:DB8:0:0:1:2:3:4/63');
  assert.ok(!('error' in v6));
  assert.equal(v6.text, '2001:db8::/63');
  const host = parseCidr('2001:db8::7');
  assert.ok(!('error' in host) && host.text === '2001:db8::7/128');
  assert.ok('error' in parseCidr('198.18.0.0/8/1'));
  assert.ok('error' in parseCidr('2001:db8::/129'));
  assert.ok('error' in parseCidr('198.18.0.0/x'));
});

test('TPROXY mode moves inbound capture to the mangle table of each family and keeps outbound REDIRECT in nat', () => {
  const rules = captureRules(config(['198.18.0.1', '2001:db8::1'], { mode: 'tproxy', excludeInboundPorts: [8081] }));
  for (const [text, loopback, onIp] of [[rules.iptables?.v4, '127.0.0.1/32', '0.0.0.0'], [rules.iptables?.v6, '::1/128', '::']] as const) {
    const all = lines(text);
    const nat = all.slice(all.indexOf('*nat'));
    const mangle = all.slice(all.indexOf('*mangle'), all.indexOf('*nat'));
    assert.ok(all.indexOf('*mangle') >= 0 && all.indexOf('*mangle') < all.indexOf('*nat'), 'mangle, then nat');
    assert.ok(mangle.includes(`-A BIPLANE_TPROXY ! -d ${loopback} -p tcp -j TPROXY --on-port 15006 --on-ip ${onIp} --tproxy-mark 0x539/0xffffffff`));
    assert.ok(mangle.includes('-A BIPLANE_INBOUND -p tcp -m tcp --dport 8081 -j RETURN'));
    assert.ok(mangle.indexOf('-A BIPLANE_INBOUND -i lo -j RETURN') < mangle.indexOf('-A BIPLANE_INBOUND -p tcp -j BIPLANE_TPROXY'));
    assert.ok(mangle.includes('-A OUTPUT -p tcp -j BIPLANE_RESTORE_MARK'));
    assert.ok(nat.includes('-A BIPLANE_REDIRECT -p tcp -j REDIRECT --to-ports 15001'));
    assert.ok(!nat.some((l) => l.includes('PREROUTING') || l.includes('15006')), 'no nat inbound capture in TPROXY mode');
  }
});

test('TPROXY mode gives each family of the pod its policy rule and local route, whichever backend', () => {
  const dual = config(['2001:db8::1', '198.18.0.1'], { mode: 'tproxy', tproxyMark: 7, tproxyRouteTable: 70 });
  const routes = captureRules(dual).routes;
  assert.deepEqual(routes?.v4?.map((r) => r.add.join(' ')), ['-4 rule add fwmark 7 lookup 70', '-4 route add local 0.0.0.0/0 dev lo table 70']);
  assert.deepEqual(routes?.v6?.map((r) => r.add.join(' ')), ['-6 rule add fwmark 7 lookup 70', '-6 route add local ::/0 dev lo table 70']);
  assert.deepEqual(captureRules({ ...dual, backend: 'nftables' }).routes, routes);
  assert.deepEqual(Object.keys(captureRules(config(['2001:db8::1'], { mode: 'tproxy' })).routes ?? {}), ['v6']);
  assert.equal(captureRules(config(['198.18.0.1'])).routes, undefined, 'REDIRECT mode needs no policy routing');
});

test('TPROXY with nftables adds mangle-priority chains to the one table, with a route-type output chain', () => {
  const nft = captureRules(config(['198.18.0.1', '2001:db8::1'], { mode: 'tproxy', backend: 'nftables' })).nftables ?? '';
  assert.match(nft, /type filter hook prerouting priority -150;/);
  assert.match(nft, /type route hook output priority -150; policy accept;\n\t\tmeta l4proto tcp ct mark 1337 meta mark set ct mark/);
  assert.match(nft, /ip daddr != 127\.0\.0\.1 meta l4proto tcp tproxy ip to :15006 meta mark set 1337 accept/);
  assert.match(nft, /ip6 daddr != ::1 meta l4proto tcp tproxy ip6 to :15006 meta mark set 1337 accept/);
  assert.doesNotMatch(nft, /nat_prerouting|redirect to :15006/);
});

test('a TPROXY mark, routing table or mode out of range is an error naming the field', () => {
  const problems = validateCaptureConfig(config(['198.18.0.1'], { tproxyMark: 0, tproxyRouteTable: 254, mode: 'nat' as never }));
  assert.deepEqual(problems.map((p) => p.origin.field).sort(), ['mode', 'tproxyMark', 'tproxyRouteTable']);
});
