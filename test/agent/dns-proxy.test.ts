import assert from 'node:assert/strict';
import { test } from 'node:test';
import dnsPacket from 'dns-packet';
import { nameLookup } from '../../src/agent/dns/names.ts';
import { DnsProxy } from '../../src/agent/dns/server.ts';
import { resolvConfUpstreams, type Upstream } from '../../src/agent/dns/upstream.ts';
import type { NameTable } from '../../src/translate/nds.ts';
import { fakeUpstream, frame, query, silentUpstream, tcpExchange, udpAsk, udpRaw } from './dns-client.ts';

const table: NameTable = {
  table: {
    'web.shop.svc.cluster.local': { ips: ['198.18.96.10', '2001:db8:96::a'], registry: 'Kubernetes', shortname: 'web', namespace: 'shop' },
    'only4.shop.svc.cluster.local': { ips: ['198.18.96.12'], registry: 'Kubernetes', shortname: 'only4', namespace: 'shop' },
    'auto.example.com': { ips: ['240.240.1.1', '2001:2::1:1'], registry: 'External' },
  },
};

async function startProxy(t: { after: (fn: () => Promise<void>) => void }, upstreams: readonly Upstream[], attemptMs = 2000): Promise<{ v4: number; v6: number; proxy: DnsProxy }> {
  const proxy = new DnsProxy({ port: 0, upstreams, attemptMs });
  t.after(() => proxy.close());
  await proxy.start();
  proxy.setLookup(nameLookup(table, 'shop'));
  const [v4, v6] = proxy.addresses();
  assert.ok(v4 && v6);
  return { v4: v4.port, v6: v6.port, proxy };
}

const ips = (p: dnsPacket.DecodedPacket): string[] => (p.answers ?? []).map((a) => ('data' in a ? String(a.data) : ''));
/** The reply code dns-packet decodes (its type definitions leave it out). */
const rcode = (p: dnsPacket.DecodedPacket): unknown => (p as { rcode?: unknown }).rcode;

test('mesh names get A for IPv4 and AAAA for IPv6 over UDP on both loopbacks, ID and question kept', async (t) => {
  const { v4, v6 } = await startProxy(t, []);
  const a = await udpAsk('127.0.0.1', v4, 'web.shop.svc.cluster.local', 'A', 7);
  assert.equal(a.id, 7);
  assert.equal(rcode(a), 'NOERROR');
  assert.deepEqual(a.questions, [{ name: 'web.shop.svc.cluster.local', type: 'A', class: 'IN' }]);
  assert.deepEqual(ips(a), ['198.18.96.10']);
  assert.deepEqual(ips(await udpAsk('::1', v6, 'web', 'AAAA')), ['2001:db8:96::a']);
  assert.deepEqual(ips(await udpAsk('::1', v6, 'auto.example.com', 'A')), ['240.240.1.1']);
});

test('a mesh name without the asked family is NOERROR with no answers', async (t) => {
  const { v4 } = await startProxy(t, []);
  const reply = await udpAsk('127.0.0.1', v4, 'only4.shop.svc.cluster.local', 'AAAA');
  assert.equal(rcode(reply), 'NOERROR');
  assert.deepEqual(reply.answers, []);
  const txt = await udpAsk('127.0.0.1', v4, 'web.shop', 'TXT');
  assert.equal(rcode(txt), 'NOERROR');
  assert.deepEqual(txt.answers, []);
});

test('TCP queries are answered, several on one connection', async (t) => {
  const { v4, v6 } = await startProxy(t, []);
  const both = Buffer.concat([frame(query('web.shop.svc.cluster.local', 'A', 1)), frame(query('web.shop.svc.cluster.local', 'AAAA', 2))]);
  for (const [host, port] of [['127.0.0.1', v4], ['::1', v6]] as const) {
    const { frames } = await tcpExchange(host, port, both, 2);
    const decoded = frames.map((f) => dnsPacket.decode(f)).sort((x, y) => (x.id ?? 0) - (y.id ?? 0));
    assert.deepEqual(decoded.map(ips), [['198.18.96.10'], ['2001:db8:96::a']]);
  }
});

test('other names are forwarded to the upstream of their family with the client ID and question', async (t) => {
  for (const host of ['127.0.0.1', '::1']) {
    const upstream = await fakeUpstream(host, '198.18.50.1');
    t.after(() => upstream.close());
    const { v4 } = await startProxy(t, [{ ip: host, port: upstream.port }]);
    const reply = await udpAsk('127.0.0.1', v4, 'outside.example.org', 'A', 999);
    assert.equal(reply.id, 999);
    assert.deepEqual(ips(reply), ['198.18.50.1']);
    assert.deepEqual(upstream.asked.map((q) => [q.id, q.questions?.[0]?.name]), [[999, 'outside.example.org']]);
    const { frames } = await tcpExchange('127.0.0.1', v4, frame(query('other.example.org', 'A', 5)), 1);
    assert.deepEqual(frames.map((f) => ips(dnsPacket.decode(f))), [['198.18.50.1']]);
  }
});

test('an upstream that never answers gives SERVFAIL, then the next upstream is tried', async (t) => {
  const silent = await silentUpstream('127.0.0.1');
  t.after(() => silent.close());
  const { v4 } = await startProxy(t, [{ ip: '127.0.0.1', port: silent.port }], 200);
  const failed = await udpAsk('127.0.0.1', v4, 'outside.example.org', 'A', 31);
  assert.equal(rcode(failed), 'SERVFAIL');
  assert.equal(failed.id, 31);
  assert.equal(failed.questions?.[0]?.name, 'outside.example.org');
  const live = await fakeUpstream('::1', '198.18.50.2');
  t.after(() => live.close());
  const second = await startProxy(t, [{ ip: '127.0.0.1', port: silent.port }, { ip: '::1', port: live.port }], 200);
  assert.deepEqual(ips(await udpAsk('127.0.0.1', second.v4, 'outside.example.org', 'A')), ['198.18.50.2']);
});

test('a reply from another address or port than the upstream asked is ignored', async (t) => {
  const spoofing = await fakeUpstream('127.0.0.1', '198.18.66.6', true);
  t.after(() => spoofing.close());
  const { v4 } = await startProxy(t, [{ ip: '127.0.0.1', port: spoofing.port }], 300);
  const reply = await udpAsk('127.0.0.1', v4, 'outside.example.org', 'A');
  assert.equal(spoofing.asked.length, 1);
  assert.equal(rcode(reply), 'SERVFAIL');
  assert.deepEqual(ips(reply), []);
});

test('garbage gets FORMERR, runts and responses are dropped, and an oversized TCP frame closes only its connection', async (t) => {
  const { v4 } = await startProxy(t, []);
  const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x3f, 0x61]);
  const formerr = await udpRaw('127.0.0.1', v4, garbage);
  assert.ok(formerr);
  const decoded = dnsPacket.decode(formerr);
  assert.equal(decoded.id, 0x1234);
  assert.equal(rcode(decoded), 'FORMERR');
  assert.equal(await udpRaw('127.0.0.1', v4, Buffer.from([1, 2, 3]), 300), undefined);
  const response = dnsPacket.encode({ id: 1, type: 'response', questions: [{ name: 'web', type: 'A' }] });
  assert.equal(await udpRaw('127.0.0.1', v4, response, 300), undefined);
  const oversized = Buffer.alloc(2 + 100);
  oversized.writeUInt16BE(60_000, 0);
  const cut = await tcpExchange('127.0.0.1', v4, oversized, 1);
  assert.equal(cut.closed, true);
  assert.deepEqual(cut.frames, []);
  assert.deepEqual(ips(await udpAsk('127.0.0.1', v4, 'web.shop.svc.cluster.local', 'A')), ['198.18.96.10']);
});

/** A small seeded generator, so a failing fuzz run can be repeated. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('after thousands of malformed packets over UDP and TCP a valid query is still answered', async (t) => {
  const { v4, proxy } = await startProxy(t, []);
  const next = random(14);
  const valid = query('web.shop.svc.cluster.local', 'A', 77);
  const loop = Buffer.concat([valid.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]);
  const packets: Buffer[] = [loop];
  for (let i = 0; i < 3000; i++) {
    const kind = i % 3;
    if (kind === 0) packets.push(Buffer.from(Array.from({ length: Math.floor(next() * 300) }, () => Math.floor(next() * 256))));
    else if (kind === 1) packets.push(valid.subarray(0, Math.floor(next() * valid.length)));
    else {
      const flipped = Buffer.from(valid);
      flipped[Math.floor(next() * flipped.length)] = Math.floor(next() * 256);
      packets.push(flipped);
    }
  }
  let handled = 0;
  for (const packet of packets) {
    await proxy.reply(packet, next() < 0.5 ? 'udp' : 'tcp');
    handled++;
  }
  assert.equal(handled, packets.length);
  for (let i = 0; i < packets.length; i += 100) await udpRaw('127.0.0.1', v4, packets[i] ?? loop, 50);
  await tcpExchange('127.0.0.1', v4, Buffer.concat(packets.slice(0, 50).map(frame)), 50, 500);
  assert.deepEqual(ips(await udpAsk('127.0.0.1', v4, 'web.shop.svc.cluster.local', 'A')), ['198.18.96.10']);
});

test('resolv.conf nameservers become upstreams in order, IPv6 included', () => {
  const text = 'search shop.svc.cluster.local svc.cluster.local\nnameserver 198.18.0.53\nnameserver 2001:db8::53\nnameserver bogus\noptions ndots:5\n';
  assert.deepEqual(resolvConfUpstreams(text), [{ ip: '198.18.0.53', port: 53 }, { ip: '2001:db8::53', port: 53 }]);
});
