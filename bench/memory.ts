// Scenario 5: the server process's RSS and heap with N proxies connected and configured, and the marginal memory of
// one more proxy: (memory at N − memory at N/2) / (N/2), after full collections. Clients live in another process.
import { SnapshotCache } from '../src/xds/snapshot-cache.ts';
import { startXdsServer } from '../src/xds/server.ts';
import type { Snapshot } from '../src/xds/snapshot.ts';
import type { ClusterShape, SyntheticNode } from './cluster.ts';
import { ResourceCache } from './encode.ts';
import { AckTracker, ClientProcess, changedVersions, snapshotsByMode, until } from './fleet.ts';
import { fullGc } from './measure.ts';
import { progress, round } from './report.ts';
import type { Row, ScenarioResult } from './report.ts';
import { prepare } from './setup.ts';

/** The process's memory after full collections. */
export interface Reading {
  readonly rss: number;
  readonly heap: number;
  readonly external: number;
}

/** Reads this process's memory after a short pause and two full collections. */
export async function reading(): Promise<Reading> {
  await new Promise((r) => setTimeout(r, 200));
  fullGc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers };
}

const MiB = 2 ** 20;

async function memoryKind(shape: ClusterShape, kind: 'sotw' | 'delta', clients: ClientProcess): Promise<Row> {
  const p = prepare(shape);
  const snaps = snapshotsByMode(p, new ResourceCache());
  const cache = new SnapshotCache();
  const { server, addresses } = await startXdsServer({ cache, addresses: ['127.0.0.1:0'], maxMessageBytes: 256 * MiB });
  const nodes = p.cluster.nodes;
  const half = Math.floor(nodes.length / 2);
  const connect = async (batch: readonly SyntheticNode[], total: number): Promise<void> => {
    const tracker = new AckTracker(server.events);
    for (const n of batch) {
      cache.setSnapshot(n.id, snaps.get(n.mode) as Snapshot);
      tracker.expect(n.id, changedVersions(snaps.get(n.mode) as Snapshot, undefined));
    }
    await clients.open(addresses[0] ?? '', kind, batch);
    await until(() => server.streams().length === total, 30_000 + total * 30, `${total} streams`);
    await tracker.done(60_000 + total * 100);
    tracker.close();
  };
  try {
    const base = await reading();
    progress(`memory ${kind}: ${half} proxies`);
    await connect(nodes.slice(0, half), half);
    const atHalf = await reading();
    progress(`memory ${kind}: ${nodes.length} proxies`);
    await connect(nodes.slice(half), nodes.length);
    const atFull = await reading();
    const added = nodes.length - half;
    return {
      services: shape.services, proxies: nodes.length, kind,
      'base RSS MiB': round(base.rss / MiB, 1), 'RSS MiB': round(atFull.rss / MiB, 1), 'heap MiB': round(atFull.heap / MiB, 1),
      'external MiB': round(atFull.external / MiB, 1),
      'KiB/proxy RSS': round((atFull.rss - atHalf.rss) / added / 1024, 1),
      'KiB/proxy heap': round((atFull.heap - atHalf.heap) / added / 1024, 1),
      'KiB/proxy heap+ext': round((atFull.heap + atFull.external - atHalf.heap - atHalf.external) / added / 1024, 1),
    };
  } finally {
    await clients.closeStreams();
    await server.close();
  }
}

/** Runs the memory scenario for SotW and delta streams, once per proxy count. */
export async function runMemory(shapes: readonly ClusterShape[]): Promise<ScenarioResult> {
  const rows: Row[] = [];
  const clients = new ClientProcess();
  try {
    for (const shape of shapes) {
      for (const kind of ['sotw', 'delta'] as const) rows.push(await memoryKind(shape, kind, clients));
    }
  } finally {
    clients.stop();
  }
  return { scenario: 'memory', rows };
}
