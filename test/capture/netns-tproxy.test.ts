// TPROXY interception in REAL network namespaces, for both backends and both families: a dual-stack "pod" with a
// real Envoy as its sidecar (transparent 15006 listeners, original_dst + original_src, see netns-envoy.ts) and the
// app on 8080, and a "peer" client. Envoy's counters say which connections it accepted; the app says which source
// it saw. Clean-up must leave the namespace exactly as it was: filter rules, policy rules and routes.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { startEnvoy, type RunningEnvoy } from '../support/envoy.ts';
import { requireOrSkip } from '../support/requirements.ts';
import { ADDR, answers, createTopology, inNs, probe, REPO, startListener } from './netns.ts';
import type { Topology } from './netns.ts';
import { biplane, byChain, CAPTURE_ARGS, checkOutbound, expect, PROXY, tcp } from './netns-checks.ts';
import { tproxyBootstrap } from './netns-envoy.ts';

const NEEDS = ['root', 'ip', 'iptables', 'ip6tables', 'nft'] as const;
const skipReason = requireOrSkip('TPROXY capture with a real Envoy', [...NEEDS, 'envoy']);
const noNetns = requireOrSkip('TPROXY capture rollback', NEEDS);
const MARK = 1337;
const TPROXY_ARGS = [...CAPTURE_ARGS, '--mode', 'tproxy'];
const CX = ['tcp.inbound4.downstream_cx_total', 'tcp.inbound6.downstream_cx_total', 'cluster.original_dst.upstream_cx_total'];

/** Everything a capture may touch, normalised (no timestamps, no packet counters), for before/after comparison. */
async function netState(ns: string): Promise<Record<string, string>> {
  const norm = (text: string): string =>
    text
      .split('\n')
      // The kernel adds the link-local address's route whenever its DAD ends: its timing, not a capture's.
      .filter((l) => !l.trim().startsWith('#') && !l.startsWith('local fe80:'))
      .map((l) => l.replace(/\[\d+:\d+\]/g, '[0:0]').replace(/counter packets \d+ bytes \d+/g, 'counter'))
      .join('\n');
  // iptables-nft's own tables are compared through *-save (nft lists their chains in re-creation order); nft
  // listings cover the table names and every `inet` table (biplane's and the foreign one).
  const inet = (await inNs(ns, ['nft', 'list', 'tables'])).split('\n').filter((l) => l.startsWith('table inet '));
  const commands: Record<string, string[]> = {
    'iptables-save': ['iptables-save'],
    'ip6tables-save': ['ip6tables-save'],
    'nft list tables': ['nft', 'list', 'tables'],
    ...Object.fromEntries(inet.map((l) => [`nft list ${l}`, ['nft', 'list', ...l.split(' ')]])),
    'ip -4 rule': ['ip', '-4', 'rule', 'show'],
    'ip -6 rule': ['ip', '-6', 'rule', 'show'],
    'ip -4 route': ['ip', '-4', 'route', 'show', 'table', 'all'],
    'ip -6 route': ['ip', '-6', 'route', 'show', 'table', 'all'],
  };
  const out: Record<string, string> = {};
  for (const [name, cmd] of Object.entries(commands)) out[name] = norm(await inNs(ns, cmd));
  return out;
}

/** Rules of someone else in the pod, which biplane must keep: nat and mangle in both families, or an nft table. */
async function addForeignRules(ns: string, backend: 'iptables' | 'nftables'): Promise<void> {
  if (backend === 'nftables') {
    await inNs(ns, ['nft', '-f', '-'], 'table inet other {\n\tchain c {\n\t\ttcp dport 7 return\n\t}\n}\n');
    return;
  }
  for (const tool of ['iptables', 'ip6tables']) {
    for (const table of ['nat', 'mangle']) await inNs(ns, [tool, '-t', table, '-A', 'OUTPUT', '-p', 'tcp', '--dport', '7', '-j', 'RETURN']);
  }
}

async function withPod(t: TestContext, body: (topo: Topology, start: () => Promise<RunningEnvoy>) => Promise<void>): Promise<void> {
  const topo = await createTopology();
  const stops: (() => void)[] = [];
  t.after(async () => {
    for (const stop of stops) stop();
    await topo.destroy();
  });
  const app = await startListener(topo.pod, {
    label: 'pod',
    tcp: [15001, 15053, 8080, 8081, 15021],
    udp: [{ host: '127.0.0.1', port: 15053 }, { host: '::1', port: 15053 }],
    peer: true,
  });
  stops.push(app.stop);
  const peer = await startListener(topo.peer, { label: 'peer', tcp: [8080, 9090, 53], udp: [{ host: '::', port: 53 }] });
  stops.push(peer.stop);
  const start = async (): Promise<RunningEnvoy> => {
    return startEnvoy(t, { bootstrap: tproxyBootstrap(MARK) as Record<string, unknown>, netns: topo.pod, gid: PROXY.gid, name: 'tproxy envoy', logLevel: 'warning' });
  };
  await body(topo, start);
}

function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(CX.map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]));
}

async function checkInbound(t: TestContext, topo: Topology, envoy: RunningEnvoy): Promise<void> {
  const counters = async (): Promise<Record<string, number>> => ({
    ...Object.fromEntries(await envoy.stats('^(tcp\\.inbound|cluster\\.original_dst\\.upstream_cx_total)')),
  });
  await t.test('peer → pod TCP on both families lands on the transparent 15006 listener, which reaches the original destination from the client\'s own address', async () => {
    const before = await counters();
    const results = await probe(topo.peer, [tcp(ADDR.pod4, 8080), tcp(ADDR.pod6, 8080)]);
    assert.deepEqual(delta(before, await counters()), Object.fromEntries(CX.map((k, i) => [k, i === 2 ? 2 : 1])));
    assert.deepEqual(
      results.map((r) => ({ to: r.host, reply: r.reply, from: r.seenFrom?.address })),
      [
        { to: ADDR.pod4, reply: 'pod:8080', from: ADDR.peer4 },
        { to: ADDR.pod6, reply: 'pod:8080', from: ADDR.peer6 },
      ],
    );
  });
  await t.test('excluded inbound ports and the proxy readiness port bypass the proxy on both families', async () => {
    const before = await counters();
    const targets = [tcp(ADDR.pod4, 8081), tcp(ADDR.pod6, 8081), tcp(ADDR.pod4, 15021), tcp(ADDR.pod6, 15021)];
    const results = await probe(topo.peer, targets);
    assert.deepEqual(delta(before, await counters()), Object.fromEntries(CX.map((k) => [k, 0])));
    for (const r of results) {
      assert.equal(r.reply, `pod:${r.port}`);
      assert.equal(r.seenFrom?.port, r.localPort, `${r.host}:${r.port} reached the app on the client's own connection`);
    }
  });
}

async function checkReleased(t: TestContext, topo: Topology): Promise<void> {
  await t.test('after --clean nothing is captured any more, in either direction or family', async () => {
    const out = [tcp(ADDR.peer4, 8080), tcp(ADDR.peer6, 8080)];
    assert.deepEqual(await answers(topo.pod, out), expect(out.map((x) => [x, 'peer:8080'])));
    const results = await probe(topo.peer, [tcp(ADDR.pod4, 8080), tcp(ADDR.pod6, 8080)]);
    for (const r of results) assert.equal(r.seenFrom?.port, r.localPort, `${r.host} reached the app directly`);
  });
}

for (const backend of ['iptables', 'nftables'] as const) {
  test(`TPROXY with ${backend}: both families intercepted transparently, idempotent apply, exact clean`, { skip: skipReason }, async (t) => {
    await withPod(t, async (topo, startProxy) => {
      await addForeignRules(topo.pod, backend);
      const pristine = await netState(topo.pod);
      const args = [...TPROXY_ARGS, '--backend', backend];
      await biplane(topo.pod, [...args, '--apply']);
      const once = await netState(topo.pod);
      await biplane(topo.pod, [...args, '--apply']);
      await t.test('applying twice changes nothing: one set of rules, one policy rule and route per family', async () => {
        assert.deepEqual(await netState(topo.pod), once);
        for (const family of ['-4', '-6']) {
          assert.equal((await inNs(topo.pod, ['ip', family, 'rule', 'show', 'fwmark', String(MARK)])).trim().split('\n').length, 1);
        }
        if (backend === 'iptables') {
          const [v4 = '', v6 = ''] = (await biplane(topo.pod, TPROXY_ARGS)).split('\n\n');
          const ours = (l: string): boolean => l.includes('BIPLANE_');
          assert.deepEqual(byChain(once['iptables-save'] ?? '', ours), byChain(v4, ours));
          assert.deepEqual(byChain(once['ip6tables-save'] ?? '', ours), byChain(v6, ours));
        }
      });
      const envoy = await startProxy();
      await checkInbound(t, topo, envoy);
      await checkOutbound(t, topo);
      await biplane(topo.pod, ['--clean', '--backend', backend]);
      await biplane(topo.pod, ['--clean', '--backend', backend]);
      await t.test('--clean (twice) leaves rules, policy rules and routes exactly as before the capture', async () => {
        assert.deepEqual(await netState(topo.pod), pristine);
      });
      await checkReleased(t, topo);
    });
  });
}

test('iptables: a failing table rolls back the whole family, and REDIRECT replaces TPROXY with its routes', { skip: noNetns }, async (t) => {
  const topo = await createTopology();
  t.after(() => topo.destroy());
  await addForeignRules(topo.pod, 'iptables');
  const pristine = await netState(topo.pod);
  await biplane(topo.pod, [...TPROXY_ARGS, '--apply']);
  const applied = await netState(topo.pod);
  await t.test('a restore whose nat table fails after its mangle table committed leaves the previous rules', async () => {
    const tables = { mangle: [':BIPLANE_DIVERT - [0:0]', '-A BIPLANE_DIVERT -j ACCEPT'], nat: ['-A OUTPUT -j BIPLANE_NOWHERE'] };
    const script = path.join(REPO, 'test/capture/netns-restore.mjs');
    const out = await inNs(topo.pod, [process.execPath, script, JSON.stringify({ family: 'IPv4', tables })]);
    assert.match(out, /previous IPv4 rules were put back/);
    assert.deepEqual(await netState(topo.pod), applied);
  });
  await t.test('applying REDIRECT over TPROXY removes the mangle chains and the policy routing', async () => {
    await biplane(topo.pod, [...CAPTURE_ARGS, '--apply']);
    const now = await netState(topo.pod);
    for (const save of [now['iptables-save'] ?? '', now['ip6tables-save'] ?? '']) {
      const mangle = save.slice(save.indexOf('*mangle'));
      assert.doesNotMatch(mangle.slice(0, mangle.indexOf('COMMIT')), /BIPLANE_/);
      assert.match(save, /-A BIPLANE_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006/);
    }
    assert.deepEqual([now['ip -4 rule'], now['ip -6 rule']], [pristine['ip -4 rule'], pristine['ip -6 rule']]);
    // Any apply on an IPv6 pod puts ::6 (the sidecar's IPv6 passthrough source) on lo; nothing else may differ.
    const v6Routes = now['ip -6 route'] ?? '';
    assert.match(v6Routes, /^local ::6 dev lo /m);
    const withoutPassthrough = v6Routes.split('\n').filter((l) => !/^(local )?::6 dev lo /.test(l)).join('\n');
    assert.deepEqual([now['ip -4 route'], withoutPassthrough], [pristine['ip -4 route'], pristine['ip -6 route']]);
  });
});
