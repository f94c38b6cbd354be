// Checks shared by the REDIRECT and TPROXY namespace tests: probe targets, the capture flags they apply, and the
// outbound behaviour, which is the same in both modes (outbound is always REDIRECT to 15001).
import assert from 'node:assert/strict';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { ADDR, answers, inNs, REPO } from './netns.ts';
import type { Target, Topology } from './netns.ts';

/** The proxy's uid and gid in every capture the tests apply. */
export const PROXY = { uid: 1337, gid: 1337 } as const;

/** A TCP target. */
export const tcp = (host: string, port: number): Target => ({ proto: 'tcp', host, port });

/** A UDP target. */
export const udp = (host: string, port: number): Target => ({ proto: 'udp', host, port });

const key = (t: Target): string => `${t.proto} ${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;

/** The `answers` record expected when each target gets the paired reply. */
export const expect = (pairs: [Target, string][]): Record<string, string> =>
  Object.fromEntries(pairs.map(([t, v]) => [key(t), v]));

/** The capture flags of the namespace tests: both pod IPs, excludes of both families, DNS capture. */
export const CAPTURE_ARGS: readonly string[] = [
  '--ips', `${ADDR.pod4},${ADDR.pod6}`,
  '--exclude-cidrs', `${ADDR.farNet4},${ADDR.farNet6}`,
  '--exclude-outbound-ports', '9090',
  '--exclude-inbound-ports', '8081',
  '--capture-dns',
];

/** Runs `biplane capture ARGS` inside namespace `ns`. */
export function biplane(ns: string, args: readonly string[]): Promise<string> {
  return inNs(ns, [process.execPath, path.join(REPO, 'bin/biplane.js'), 'capture', ...args]);
}

/** Rule lines grouped by table and chain, order kept within a chain: comparable between generated text and
 * *-save output (declarations sorted, since iptables-save orders them its own way). */
export function byChain(text: string, only: (line: string) => boolean): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line;
    if (!/^(-A|:)/.test(line) || !only(line)) continue;
    const chain = line.startsWith(':') ? ':' : (line.split(' ')[1] ?? '');
    (out[`${table} ${chain}`] ??= []).push(line);
  }
  for (const lines of Object.values(out)) if (lines[0]?.startsWith(':')) lines.sort();
  return out;
}

/** Outbound capture, identical in both modes: the redirect to 15001, the uid/gid, CIDR, port, passthrough and
 * loopback exemptions, and DNS capture, each on both families. Needs a pod listener on 15001, 15053 (TCP, and UDP
 * on both loopbacks) and 8080, and a peer listener on 8080, 9090 and 53 (TCP and UDP). */
export async function checkOutbound(t: TestContext, topo: Topology): Promise<void> {
  await t.test('pod → peer TCP over IPv4 and IPv6 lands on the outbound port 15001, not on the peer', async () => {
    const targets = [tcp(ADDR.peer4, 8080), tcp(ADDR.peer6, 8080)];
    assert.deepEqual(await answers(topo.pod, targets), expect(targets.map((x) => [x, 'pod:15001'])));
  });
  await t.test('traffic of the proxy uid alone, or of the proxy gid alone, goes straight to the peer', async () => {
    const targets = [tcp(ADDR.peer4, 8080), tcp(ADDR.peer6, 8080)];
    const direct = expect(targets.map((x) => [x, 'peer:8080']));
    assert.deepEqual(await answers(topo.pod, targets, { uid: PROXY.uid, gid: 4242 }), direct);
    assert.deepEqual(await answers(topo.pod, targets, { uid: 4242, gid: PROXY.gid }), direct);
    assert.deepEqual(await answers(topo.pod, targets, { uid: 4242, gid: 4242 }), expect(targets.map((x) => [x, 'pod:15001'])));
  });
  await t.test('excluded CIDRs and excluded outbound ports go straight to the peer on both families', async () => {
    const targets = [tcp(ADDR.far4, 8080), tcp(ADDR.far6, 8080), tcp(ADDR.peer4, 9090), tcp(ADDR.peer6, 9090)];
    assert.deepEqual(await answers(topo.pod, targets), expect(targets.map((x) => [x, `peer:${x.port}`])));
  });
  await t.test('pod-local traffic from the passthrough sources 127.0.0.6 / ::6 over lo is not captured', async () => {
    assert.match(await inNs(topo.pod, ['ip', '-6', 'addr', 'show', 'dev', 'lo']), /inet6 ::6\/128 /, 'apply put ::6 on lo');
    const app = [tcp(ADDR.pod4, 8080), tcp(ADDR.pod6, 8080)];
    const other = { uid: 4242, gid: 4242 };
    assert.deepEqual(await answers(topo.pod, app, other), expect(app.map((x) => [x, 'pod:15001'])));
    const passthrough = [{ ...tcp(ADDR.pod4, 8080), from: '127.0.0.6' }, { ...tcp(ADDR.pod6, 8080), from: '::6' }];
    assert.deepEqual(await answers(topo.pod, passthrough, other), expect(passthrough.map((x) => [x, 'pod:8080'])));
  });
  await t.test('loopback destinations 127.0.0.1 and ::1 are not captured', async () => {
    const targets = [tcp('127.0.0.1', 8080), tcp('::1', 8080)];
    assert.deepEqual(await answers(topo.pod, targets), expect(targets.map((x) => [x, 'pod:8080'])));
  });
  await t.test('DNS over UDP and TCP on both families lands on 15053, except for the proxy', async () => {
    const targets = [udp(ADDR.peer4, 53), udp(ADDR.peer6, 53), tcp(ADDR.peer4, 53), tcp(ADDR.peer6, 53)];
    assert.deepEqual(await answers(topo.pod, targets), expect(targets.map((x) => [x, 'pod:15053'])));
    assert.deepEqual(await answers(topo.pod, targets, PROXY), expect(targets.map((x) => [x, 'peer:53'])));
  });
}
