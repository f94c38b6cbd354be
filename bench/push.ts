// Scenario 3: a full configuration pushed to N real ADS streams (clients in another process), snapshot to last ACK,
// against the floor: the same response bytes, encoded beforehand, written by a bare grpc-js server.
import { SnapshotCache } from '../src/xds/snapshot-cache.ts';
import { encodeSotwResponse } from '../src/xds/codec.ts';
import { startXdsServer } from '../src/xds/server.ts';
import type { XdsServer } from '../src/xds/server.ts';
import { pushOrder } from '../src/xds/stream.ts';
import type { Snapshot } from '../src/xds/snapshot.ts';
import type { ClusterShape, SyntheticNode } from './cluster.ts';
import { ResourceCache } from './encode.ts';
import { AckTracker, ClientProcess, changedVersions, snapshotsByMode, until } from './fleet.ts';
import { FloorServer } from './floor-server.ts';
import { median } from './measure.ts';
import { progress, round } from './report.ts';
import type { Row, ScenarioResult } from './report.ts';
import { prepare } from './setup.ts';
import type { Prepared } from './setup.ts';

/** A running biplane ADS server with N connected, subscribed streams that have not been sent anything yet. */
export interface ConnectedFleet {
  readonly server: XdsServer;
  readonly cache: SnapshotCache;
  readonly clients: ClientProcess;
  readonly responseBytes: { value: number };
}

/** Starts the server, opens one stream per node from the client process and waits until all are subscribed. */
export async function connectFleet(nodes: readonly SyntheticNode[], kind: 'sotw' | 'delta', clients: ClientProcess): Promise<ConnectedFleet> {
  const cache = new SnapshotCache();
  const { server, addresses } = await startXdsServer({ cache, addresses: ['127.0.0.1:0'], maxMessageBytes: 256 * 2 ** 20 });
  const responseBytes = { value: 0 };
  server.events.on('response', (e) => {
    responseBytes.value += e.bytes;
  });
  await clients.open(addresses[0] ?? '', kind, nodes);
  const wait = 30_000 + nodes.length * 30;
  await until(() => server.streams().filter((s) => s.subscriptions().length === 4).length === nodes.length, wait, `${nodes.length} subscribed streams`);
  return { server, cache, clients, responseBytes };
}

/** Sets every node's snapshot and resolves with the time until the last ACK (ms) and the bytes sent. */
export async function pushAll(fleet: ConnectedFleet, nodes: readonly SyntheticNode[], snaps: ReadonlyMap<string, Snapshot>): Promise<{ ms: number; bytes: number }> {
  const tracker = new AckTracker(fleet.server.events);
  for (const n of nodes) {
    const snap = snaps.get(n.mode) as Snapshot;
    tracker.expect(n.id, changedVersions(snap, fleet.cache.getSnapshot(n.id)));
  }
  const bytesBefore = fleet.responseBytes.value;
  const started = performance.now();
  for (const n of nodes) fleet.cache.setSnapshot(n.id, snaps.get(n.mode) as Snapshot);
  await tracker.done(60_000 + nodes.length * 100);
  const last = Math.max(started, ...tracker.finished().values());
  tracker.close();
  return { ms: last - started, bytes: fleet.responseBytes.value - bytesBefore };
}

/** The four SotW responses of a snapshot, encoded now (before any clock runs), in push order. */
function preEncoded(snapshot: Snapshot): Buffer[] {
  return pushOrder(snapshot.types.keys()).map((typeUrl, i) => {
    const type = snapshot.types.get(typeUrl);
    return encodeSotwResponse({ versionInfo: type?.version ?? '', typeUrl, nonce: `f${i}`, resources: type ? [...type.resources.values()] : [] });
  });
}

async function floorPush(nodes: readonly SyntheticNode[], snaps: ReadonlyMap<string, Snapshot>, clients: ClientProcess): Promise<{ ms: number; bytes: number }> {
  const floor = new FloorServer();
  const target = await floor.listen();
  const buffers = new Map([...snaps].map(([mode, s]) => [mode, preEncoded(s)]));
  const modeOf = new Map(nodes.map((n) => [n.id, n.mode]));
  await clients.open(target, 'sotw', nodes);
  await until(() => floor.ready() === nodes.length, 30_000 + nodes.length * 30, `${nodes.length} floor streams`);
  const started = performance.now();
  const bytes = await floor.push((id) => buffers.get(modeOf.get(id) ?? 'IPv4') ?? [], 60_000 + nodes.length * 100);
  const ms = performance.now() - started;
  await clients.closeStreams();
  await floor.close();
  return { ms, bytes };
}

async function oursOnce(nodes: readonly SyntheticNode[], snaps: ReadonlyMap<string, Snapshot>, clients: ClientProcess): Promise<{ ms: number; bytes: number }> {
  const fleet = await connectFleet(nodes, 'sotw', clients);
  try {
    return await pushAll(fleet, nodes, snaps);
  } finally {
    await clients.closeStreams();
    await fleet.server.close();
  }
}

async function pushRow(p: Prepared, clients: ClientProcess, repeats: number): Promise<Row> {
  const nodes = p.cluster.nodes;
  const snaps = snapshotsByMode(p, new ResourceCache());
  const ours: { ms: number; bytes: number }[] = [];
  const floor: { ms: number; bytes: number }[] = [];
  for (let i = 1; i <= repeats; i++) {
    progress(`push: run ${i}/${repeats}: ${nodes.length} streams to biplane's ADS server`);
    ours.push(await oursOnce(nodes, snaps, clients));
    progress(`push: run ${i}/${repeats}: ${nodes.length} streams to the floor server`);
    floor.push(await floorPush(nodes, snaps, clients));
  }
  const oursMs = median(ours.map((r) => r.ms));
  const floorMs = median(floor.map((r) => r.ms));
  const bytes = ours[0]?.bytes ?? 0;
  const floorBytes = floor[0]?.bytes ?? 0;
  return {
    services: p.shape.services, proxies: nodes.length, runs: repeats, 'MiB sent': round(bytes / 2 ** 20, 1), 'floor MiB': round(floorBytes / 2 ** 20, 1),
    'push ms': Math.round(oursMs), 'floor ms': Math.round(floorMs), 'push/floor': round(oursMs / floorMs, 2),
    'push ms (all)': ours.map((r) => Math.round(r.ms)).join('/'), 'floor ms (all)': floor.map((r) => Math.round(r.ms)).join('/'),
    'push MiB/s': round(bytes / 2 ** 20 / (oursMs / 1000), 1), 'floor MiB/s': round(floorBytes / 2 ** 20 / (floorMs / 1000), 1),
  };
}

/** Runs the push scenario once per proxy count. */
export async function runPush(shapes: readonly ClusterShape[], repeats: number): Promise<ScenarioResult> {
  const rows: Row[] = [];
  const clients = new ClientProcess();
  try {
    for (const shape of shapes) {
      progress(`push: ${shape.services} services × ${shape.podsPerService} pods, ${shape.proxiesPerMode * 4} proxies`);
      rows.push(await pushRow(prepare(shape), clients, repeats));
    }
  } finally {
    clients.stop();
  }
  return { scenario: 'push', rows };
}
