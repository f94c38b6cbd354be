// Scenario `peer`: biplane's ADS server and a peer control plane (go-control-plane) side by side in one run, serving
// the same pre-built snapshots (the peer loads them from a file the bench writes) to the same client process, rounds
// alternating: a full push to every proxy, then each churn change's snapshots, then each server's own heap report.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SnapshotCache } from '../src/xds/snapshot-cache.ts';
import { TypeUrl } from '../src/envoy-api/protos.ts';
import { startXdsServer } from '../src/xds/server.ts';
import type { Snapshot } from '../src/xds/snapshot.ts';
import type { NameLists } from './ads-requests.ts';
import { changes } from './churn.ts';
import type { ClusterShape, SyntheticNode } from './cluster.ts';
import { ResourceCache } from './encode.ts';
import { AckTracker, ClientProcess, changedVersions, snapshotsByMode, until } from './fleet.ts';
import { fullGc, median, quantile } from './measure.ts';
import { buildPeer, PeerProcess } from './peer-process.ts';
import type { PeerBuild, PeerName } from './peer-process.ts';
import { writePeerSnapshots } from './peer-snapshots.ts';
import type { Step } from './peer-snapshots.ts';
import { progress, round } from './report.ts';
import type { Row, ScenarioResult } from './report.ts';
import { prepare, prepareCluster } from './setup.ts';

/** One server's figures for one round: the full push (ms, bytes the clients read), each churn step's latencies, heap. */
export interface Round {
  readonly pushMs: number;
  readonly pushBytes: number;
  readonly steps: { readonly affected: number; readonly latencies: readonly number[] }[];
  readonly heapPerProxy: number;
}

/** Names per proxy mode, by type URL. */
export type Names = Record<string, NameLists>;

/**
 * The EDS and RDS names each mode's streams ask for: every name any step has, so a step that adds a service needs no
 * new subscription (CDS and LDS stay wildcard). go-control-plane's cache answers only explicit names (it does not
 * take '*' as wildcard for EDS and RDS), and Envoy names them too, so both servers get these same requests.
 */
export function namesOf(nodes: readonly SyntheticNode[], steps: readonly Step[]): Names {
  const out: Record<string, Record<string, Set<string>>> = {};
  for (const step of steps) {
    for (const n of nodes) {
      const byType = (out[n.mode] ??= { [TypeUrl.ClusterLoadAssignment]: new Set(), [TypeUrl.RouteConfiguration]: new Set() });
      for (const [url, names] of Object.entries(byType)) for (const name of (step.get(n.id) as Snapshot).types.get(url)?.resources.keys() ?? []) names.add(name);
    }
  }
  return Object.fromEntries(Object.entries(out).map(([mode, byType]) => [mode, Object.fromEntries(Object.entries(byType).map(([url, set]) => [url, [...set].sort()]))]));
}

/** Step 0 = the full configuration, then one step per churn change, every node → its mode's snapshot. */
export function buildSteps(shape: ClusterShape): { nodes: readonly SyntheticNode[]; steps: Step[]; names: string[] } {
  const p = prepare(shape);
  const cache = new ResourceCache();
  const nodes = p.cluster.nodes;
  const perNode = (snaps: ReadonlyMap<string, Snapshot>): Step => new Map(nodes.map((n) => [n.id, snaps.get(n.mode) as Snapshot]));
  const steps = [perNode(snapshotsByMode(p, cache))];
  let objects = [...p.cluster.objects];
  for (const change of changes(shape)) {
    objects = change.edit(objects);
    steps.push(perNode(snapshotsByMode(prepareCluster(shape, { objects, nodes }, true), cache)));
  }
  return { nodes, steps, names: changes(shape).map((c) => c.name) };
}

async function ourHeap(): Promise<number> {
  await new Promise((r) => setTimeout(r, 200));
  fullGc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function clientBytes(clients: ClientProcess): Promise<number> {
  return (await clients.stats()).bytes;
}

/** Resolves with `work`, or rejects as soon as a client stream fails (a step would otherwise wait for it forever). */
async function watched<T>(clients: ClientProcess, work: Promise<T>): Promise<T> {
  const before = (await clients.stats()).errors;
  let finished = false;
  const watch = async (): Promise<never> => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      if (finished) return new Promise<never>(() => undefined);
      const stats = await clients.stats().catch(() => undefined);
      if (finished || !stats) return new Promise<never>(() => undefined);
      if (stats.errors > before) throw new Error(`${stats.errors - before} client streams failed (${stats.streams} open), last: ${stats.lastError}`);
    }
  };
  try {
    return await Promise.race([work, watch()]);
  } finally {
    finished = true;
  }
}

/** One round against biplane's own ADS server, started fresh. */
async function oursRound(nodes: readonly SyntheticNode[], steps: readonly Step[], names: Names, kind: 'sotw' | 'delta', clients: ClientProcess): Promise<Round> {
  const cache = new SnapshotCache();
  const { server, addresses } = await startXdsServer({ cache, addresses: ['127.0.0.1:0'], maxMessageBytes: 256 * 2 ** 20 });
  const apply = async (step: Step): Promise<{ affected: number; latencies: number[]; last: number }> => {
    const tracker = new AckTracker(server.events);
    let affected = 0;
    for (const n of nodes) {
      const versions = changedVersions(step.get(n.id) as Snapshot, cache.getSnapshot(n.id));
      if (versions.size > 0) affected++;
      tracker.expect(n.id, versions);
    }
    const started = performance.now();
    for (const n of nodes) cache.setSnapshot(n.id, step.get(n.id) as Snapshot);
    await tracker.done(60_000 + nodes.length * 100);
    tracker.close();
    const latencies = [...tracker.finished().values()].map((t) => t - started);
    return { affected, latencies, last: Math.max(0, ...latencies) };
  };
  try {
    const base = await ourHeap();
    await clients.open(addresses[0] ?? '', kind, nodes, names);
    await until(() => server.streams().filter((s) => s.subscriptions().length === 4).length === nodes.length, 30_000 + nodes.length * 30, 'biplane streams');
    const bytesBefore = await clientBytes(clients);
    const push = await watched(clients, apply(steps[0] as Step));
    const pushBytes = (await clientBytes(clients)) - bytesBefore;
    const heapPerProxy = ((await ourHeap()) - base) / nodes.length;
    const churn = [];
    for (const step of steps.slice(1)) churn.push(await watched(clients, apply(step)));
    return { pushMs: push.last, pushBytes, steps: churn, heapPerProxy };
  } finally {
    await clients.closeStreams();
    await server.close();
  }
}

/** One round against the peer process (already loaded); it is reset afterwards so the next round pushes in full. */
async function peerRound(
  peer: PeerProcess, target: string, nodes: readonly SyntheticNode[], steps: readonly Step[], names: Names, kind: 'sotw' | 'delta', clients: ClientProcess,
): Promise<Round> {
  const heap = async (): Promise<number> => Number((await peer.command('heap', 'heap'))['heapAlloc']);
  const step = async (i: number): Promise<{ affected: number; latencies: number[]; last: number }> => {
    const e = await peer.command(`step ${i}`, 'step');
    return { affected: Number(e['affected']), latencies: e['latencies'] as number[], last: Number(e['ms']) };
  };
  try {
    const base = await heap();
    await clients.open(target, kind, nodes, names);
    await until(async () => Number((await peer.command('ready', 'ready'))['streams']) === nodes.length, 30_000 + nodes.length * 30, 'peer streams');
    const bytesBefore = await clientBytes(clients);
    const push = await watched(clients, step(0));
    const pushBytes = (await clientBytes(clients)) - bytesBefore;
    const heapPerProxy = ((await heap()) - base) / nodes.length;
    const churn = [];
    for (let i = 1; i < steps.length; i++) churn.push(await watched(clients, step(i)));
    return { pushMs: push.last, pushBytes, steps: churn, heapPerProxy };
  } finally {
    await clients.closeStreams();
    await until(async () => Number((await peer.command('ready', 'ready'))['streams']) === 0, 30_000, 'peer streams to close');
    await peer.command('reset', 'reset');
  }
}

function measureRow(base: Row, measure: string, ours: readonly number[], theirs: readonly number[], digits = 0): Row {
  const o = median(ours);
  const t = theirs.length > 0 ? median(theirs) : NaN;
  const fmt = (list: readonly number[]): string => list.map((v) => round(v, digits)).join('/');
  return {
    ...base, measure, biplane: round(o, digits), peer: Number.isNaN(t) ? null : round(t, digits),
    'biplane/peer': Number.isNaN(t) || t === 0 ? null : round(o / t, 2), 'biplane (all)': fmt(ours), 'peer (all)': theirs.length > 0 ? fmt(theirs) : null,
  };
}

function kindRows(base: Row, names: readonly string[], ours: readonly Round[], theirs: readonly Round[]): Row[] {
  const KiB = 1024;
  const rows = [
    measureRow(base, 'full push ms', ours.map((r) => r.pushMs), theirs.map((r) => r.pushMs)),
    measureRow(base, 'full push MiB read', ours.map((r) => r.pushBytes / 2 ** 20), theirs.map((r) => r.pushBytes / 2 ** 20), 1),
  ];
  names.forEach((name, i) => {
    const p99 = (list: readonly Round[]): number[] => list.map((r) => quantile([...(r.steps[i]?.latencies ?? [])], 0.99));
    const affected = ours[0]?.steps[i]?.affected ?? 0;
    rows.push(measureRow({ ...base, affected }, `${name}: p99 to all affected ms`, p99(ours), p99(theirs), 1));
  });
  rows.push(measureRow(base, 'heap KiB/proxy', ours.map((r) => r.heapPerProxy / KiB), theirs.map((r) => r.heapPerProxy / KiB), 1));
  return rows;
}

/** One stream kind's alternating rounds: biplane's and (when the peer was built) the peer's. */
export interface KindRounds {
  readonly kind: 'sotw' | 'delta';
  readonly ours: readonly Round[];
  readonly theirs: readonly Round[];
}

/** What `comparePeer` measured for one shape. */
export interface PeerComparison {
  readonly proxies: number;
  readonly changeNames: readonly string[];
  readonly kinds: readonly KindRounds[];
}

/**
 * Runs `rounds` alternating rounds (biplane, then the peer when `build` is ok) per stream kind for one shape, in
 * `dir`. `fullPushOnly` stops each round after the full push and the heap reading (no churn steps).
 */
export async function comparePeer(
  shape: ClusterShape, build: PeerBuild, name: PeerName, kinds: readonly ('sotw' | 'delta')[], rounds: number, clients: ClientProcess, dir: string,
  fullPushOnly = false,
): Promise<PeerComparison> {
  const { nodes, steps, names: changeNames } = buildSteps(shape);
  const names = namesOf(nodes, steps);
  const file = path.join(dir, `snapshots-${nodes.length}.jsonl`);
  const written = writePeerSnapshots(file, steps);
  progress(`peer: ${nodes.length} proxies, ${steps.length} steps, ${written.resources} resources, ${written.snapshots} snapshots, ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB file`);
  const run = fullPushOnly ? steps.slice(0, 1) : steps;
  const peer = build.ok ? new PeerProcess(build.binary, file) : undefined;
  const out: KindRounds[] = [];
  try {
    const target = peer ? await peer.listening() : '';
    for (const kind of kinds) {
      const ours: Round[] = [];
      const theirs: Round[] = [];
      for (let r = 1; r <= rounds; r++) {
        progress(`peer ${kind}: round ${r}/${rounds}: biplane`);
        ours.push(await oursRound(nodes, run, names, kind, clients));
        if (!peer) continue;
        progress(`peer ${kind}: round ${r}/${rounds}: ${name}`);
        theirs.push(await peerRound(peer, target, nodes, run, names, kind, clients));
      }
      out.push({ kind, ours, theirs });
    }
  } finally {
    await peer?.stop();
  }
  return { proxies: nodes.length, changeNames, kinds: out };
}

/**
 * Runs `rounds` alternating rounds (biplane, then the peer) per stream kind and proxy count. Without Go (or when the
 * build fails) it says so and runs biplane's side alone, so the rest of the figures still come out.
 */
export async function runPeer(shapes: readonly ClusterShape[], name: PeerName, rounds: number): Promise<ScenarioResult> {
  const build = buildPeer(name);
  if (!build.ok) progress(`peer: ${name} skipped: ${build.reason}; measuring biplane alone`);
  const rows: Row[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'biplane-peer-'));
  const clients = new ClientProcess();
  try {
    for (const shape of shapes) {
      const compared = await comparePeer(shape, build, name, ['sotw', 'delta'], rounds, clients, dir);
      for (const { kind, ours, theirs } of compared.kinds) {
        rows.push(...kindRows({ services: shape.services, proxies: compared.proxies, kind, against: build.ok ? name : `${name} skipped`, rounds }, compared.changeNames, ours, theirs));
      }
    }
  } finally {
    clients.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { scenario: 'peer', rows };
}
