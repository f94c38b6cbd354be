// Capture rules applied in REAL network namespaces, for both backends and both families: a dual-stack "pod"
// namespace and a "peer" namespace joined by a veth pair. Listeners answer with their own label and port, so each
// probe shows which socket really accepted the connection (the redirect target, or the original destination).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { requireOrSkip } from '../support/requirements.ts';
import { ADDR, answers, createTopology, inNs, must, REPO, startListener } from './netns.ts';
import type { Topology } from './netns.ts';
import { biplane, byChain, CAPTURE_ARGS, checkOutbound, expect, tcp, udp } from './netns-checks.ts';

const skipReason = requireOrSkip('capture rules in network namespaces', ['root', 'ip', 'iptables', 'ip6tables', 'nft']);
async function withTopology(t: TestContext, body: (topo: Topology) => Promise<void>): Promise<void> {
  const topo = await createTopology();
  const stops: (() => void)[] = [];
  t.after(async () => {
    for (const stop of stops) stop();
    await topo.destroy();
  });
  const pod = await startListener(topo.pod, {
    label: 'pod',
    tcp: [15001, 15006, 15053, 8080, 8081, 15021],
    udp: [{ host: '127.0.0.1', port: 15053 }, { host: '::1', port: 15053 }],
  });
  stops.push(pod.stop);
  const peer = await startListener(topo.peer, { label: 'peer', tcp: [8080, 9090, 53], udp: [{ host: '::', port: 53 }] });
  stops.push(peer.stop);
  await body(topo);
}

async function checkCaptured(t: TestContext, topo: Topology): Promise<void> {
  await t.test('peer → pod TCP over IPv4 and IPv6 lands on the inbound port 15006, not on the app port', async () => {
    const targets = [tcp(ADDR.pod4, 8080), tcp(ADDR.pod6, 8080)];
    assert.deepEqual(await answers(topo.peer, targets), expect(targets.map((x) => [x, 'pod:15006'])));
  });
  await t.test('excluded inbound ports and the proxy readiness port are reached directly on both families', async () => {
    const targets = [tcp(ADDR.pod4, 8081), tcp(ADDR.pod6, 8081), tcp(ADDR.pod4, 15021), tcp(ADDR.pod6, 15021)];
    assert.deepEqual(await answers(topo.peer, targets), expect(targets.map((x) => [x, `pod:${x.port}`])));
  });
  await checkOutbound(t, topo);
}

async function checkReleased(t: TestContext, topo: Topology): Promise<void> {
  await t.test('after --clean nothing is captured any more, in either direction or family', async () => {
    const out = [tcp(ADDR.peer4, 8080), tcp(ADDR.peer6, 8080), udp(ADDR.peer4, 53), udp(ADDR.peer6, 53)];
    assert.deepEqual(await answers(topo.pod, out), expect(out.map((x) => [x, `peer:${x.port}`])));
    const inbound = [tcp(ADDR.pod4, 8080), tcp(ADDR.pod6, 8080)];
    assert.deepEqual(await answers(topo.peer, inbound), expect(inbound.map((x) => [x, 'pod:8080'])));
  });
}

test('iptables backend: dual-stack capture in real namespaces, idempotent apply, exact clean', { skip: skipReason ?? false }, async (t) => {
  await withTopology(t, async (topo) => {
    for (const tool of ['iptables', 'ip6tables']) await inNs(topo.pod, [tool, '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '--dport', '7', '-j', 'RETURN']);
    await biplane(topo.pod, [...CAPTURE_ARGS, '--apply']);
    await biplane(topo.pod, [...CAPTURE_ARGS, '--apply']);
    await t.test('applying twice leaves exactly the generated rules, once, in both families', async () => {
      const printed = await biplane(topo.pod, CAPTURE_ARGS);
      const [v4 = '', v6 = ''] = printed.split('\n\n');
      const ours = (l: string): boolean => l.includes('BIPLANE_');
      for (const [tool, generated] of [['iptables-save', v4], ['ip6tables-save', v6]] as const) {
        const saved = await inNs(topo.pod, [tool, '-t', 'nat']);
        assert.deepEqual(byChain(saved, ours), byChain(generated, ours), `${tool} differs from the generated rules`);
      }
    });
    await checkCaptured(t, topo);
    await biplane(topo.pod, ['--clean']);
    await t.test('--clean removes every biplane chain and jump and keeps the other rules', async () => {
      for (const tool of ['iptables-save', 'ip6tables-save']) {
        const saved = await inNs(topo.pod, [tool, '-t', 'nat']);
        assert.doesNotMatch(saved, /BIPLANE_/);
        assert.match(saved, /^-A OUTPUT -p tcp -m tcp --dport 7 -j RETURN$/m);
      }
      assert.doesNotMatch(await inNs(topo.pod, ['ip', '-6', 'addr', 'show', 'dev', 'lo']), /::6\//, '::6 left on lo');
    });
    await checkReleased(t, topo);
  });
});

test('nftables backend: one inet table captures both families, idempotent apply, exact clean', { skip: skipReason ?? false }, async (t) => {
  await withTopology(t, async (topo) => {
    await inNs(topo.pod, ['nft', '-f', '-'], 'table inet other {\n\tchain c {\n\t\ttcp dport 7 return\n\t}\n}\n');
    const args = [...CAPTURE_ARGS, '--backend', 'nftables'];
    await biplane(topo.pod, [...args, '--apply']);
    const once = await inNs(topo.pod, ['nft', 'list', 'table', 'inet', 'biplane']);
    await biplane(topo.pod, [...args, '--apply']);
    await t.test('applying twice leaves one table with the same rules as applying once', async () => {
      assert.equal(await inNs(topo.pod, ['nft', 'list', 'table', 'inet', 'biplane']), once);
      assert.equal(once.match(/jump outbound_redirect/g)?.length, 1);
      assert.match(once, /oifname "lo" ip6 saddr ::6 return/);
    });
    await checkCaptured(t, topo);
    await biplane(topo.pod, ['--clean', '--backend', 'nftables']);
    await biplane(topo.pod, ['--clean', '--backend', 'nftables']);
    await t.test('--clean (twice) removes only the biplane table', async () => {
      const tables = await inNs(topo.pod, ['nft', 'list', 'tables']);
      assert.doesNotMatch(tables, /biplane/);
      assert.match(tables, /table inet other/);
    });
    await checkReleased(t, topo);
  });
});

test('every golden rule file is accepted by its tool in a fresh namespace', { skip: skipReason ?? false }, async (t) => {
  const root = path.join(REPO, 'testdata/capture');
  const tools: Record<string, string[]> = {
    'iptables-v4.rules': ['iptables-restore', '--noflush'],
    'iptables-v6.rules': ['ip6tables-restore', '--noflush'],
    'nftables.nft': ['nft', '-f', '-'],
    'policy-routing.sh': ['sh', '-e'],
  };
  for (const name of readdirSync(root).sort()) {
    for (const [file, cmd] of Object.entries(tools)) {
      let text: string;
      try {
        text = readFileSync(path.join(root, name, file), 'utf8');
      } catch {
        continue;
      }
      await t.test(`${name}/${file}`, async () => {
        const ns = `bp-golden-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
        await must('ip', ['netns', 'add', ns]);
        try {
          await inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
          await inNs(ns, cmd, text);
        } finally {
          await must('ip', ['netns', 'del', ns]);
        }
      });
    }
  }
});
