// Churn through the real pipeline (`startServer` from src/server): an in-memory Source feeds the generated objects,
// the server debounces, rebuilds, translates every connected proxy through its shared-resource cache and pushes.
// Split into steps (start, connect, change, stop) so the `targets` scenario can connect in halves and read memory.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';
import { startServer } from '../src/server/pipeline.ts';
import type { ServerHandle } from '../src/server/pipeline.ts';
import type { ObjectKey, Problem, SourceObject } from '../src/model/types.ts';
import type { Source, SourceChange } from '../src/sources/types.ts';
import { generateCluster } from './cluster.ts';
import type { ClusterShape, SyntheticNode } from './cluster.ts';
import { changes } from './churn.ts';
import type { Change, Outcome } from './churn.ts';
import type { ClientProcess } from './fleet.ts';
import { until } from './fleet.ts';
import { progress } from './report.ts';
import { prepare } from './setup.ts';

/** A Source over an object list the bench replaces, announcing exactly what changed. */
export class BenchSource implements Source {
  #objects: readonly SourceObject[];
  readonly #listeners = new Set<(change: SourceChange) => void>();

  constructor(objects: readonly SourceObject[]) {
    this.#objects = objects;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  objects(): readonly SourceObject[] {
    return this.#objects;
  }

  problems(): readonly Problem[] {
    return [];
  }

  onChange(listener: (change: SourceChange) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Replaces the objects and reports the keys that were added, changed or removed. */
  replace(next: readonly SourceObject[]): void {
    const key = (k: ObjectKey): string => `${k.kind}/${k.namespace}/${k.name}`;
    const before = new Map(this.#objects.map((o) => [key(o.key), o]));
    const after = new Map(next.map((o) => [key(o.key), o]));
    const upserted = next.filter((o) => before.get(key(o.key)) !== o).map((o) => o.key);
    const deleted = this.#objects.filter((o) => !after.has(key(o.key))).map((o) => o.key);
    this.#objects = next;
    for (const l of [...this.#listeners]) l({ upserted, deleted });
  }
}

/** True when every stream has ACKed the current version of each of its types and nothing is pending. */
function allAcked(server: ServerHandle, streams: number): boolean {
  const list = server.xds.streams();
  if (list.length !== streams) return false;
  return list.every((s) => {
    const status = s.status();
    return status.length === 4 && status.every((t) => !t.pending && t.sentVersion !== '' && t.ackedVersion === t.sentVersion);
  });
}

/** Where the streams stand, for a timeout's message: how many have not subscribed, been sent, or ACKed everything. */
export function fleetState(server: ServerHandle): string {
  const counts = { streams: 0, 'fewer than 4 types': 0, 'nothing sent yet': 0, 'awaiting an ACK': 0, 'all ACKed': 0 };
  for (const s of server.xds.streams()) {
    counts.streams++;
    const status = s.status();
    if (status.length < 4) counts['fewer than 4 types']++;
    else if (status.some((t) => t.sentVersion === '')) counts['nothing sent yet']++;
    else if (status.some((t) => t.pending || t.ackedVersion !== t.sentVersion)) counts['awaiting an ACK']++;
    else counts['all ACKed']++;
  }
  return Object.entries(counts).map(([k, v]) => `${k}: ${v}`).join(', ');
}

/** Like `until(allAcked)`, but a timeout says where the streams stand, and a stopped fleet ends the wait. */
async function untilAllAcked(fleet: ServerFleet, total: number, ms: number, what: string): Promise<void> {
  const check = (): boolean => {
    if (fleet.stopped) throw new Error(`stopped while waiting for ${what}`);
    return allAcked(fleet.server, total);
  };
  try {
    await until(check, ms, what, pollMs(total));
  } catch (err) {
    throw new Error(`${(err as Error).message} (${fleet.stopped ? 'server stopped' : fleetState(fleet.server)})`);
  }
}

/** How often the bench checks for "all ACKed": every 20 ms, slower for big fleets (the scan walks every stream). */
function pollMs(streams: number): number {
  return Math.max(20, Math.ceil(streams / 50));
}

/** A `startServer` fed by a BenchSource, with the counters churn reads; the server runs in this process. */
export interface ServerFleet {
  readonly server: ServerHandle;
  readonly source: BenchSource;
  readonly shape: ClusterShape;
  readonly debounceMs: number;
  /** The objects the source serves now. */
  objects: SourceObject[];
  /** Response bytes the server has sent. */
  readonly bytes: { value: number };
  /** When each node last ACKed since `since.value` (performance.now()). */
  readonly lastAck: Map<string, number>;
  readonly since: { value: number };
  /** This process's event-loop delay, sampled every 10 ms, reset per change. */
  readonly loop: IntervalHistogram;
  /** Set by `stopServerFleet`: waits still running give up. */
  stopped: boolean;
}

/** Starts `startServer` on the shape's objects (the cluster's own proxies are not connected yet). */
export async function startServerFleet(shape: ClusterShape, debounceMs: number): Promise<ServerFleet> {
  const p = prepare({ ...shape, proxiesPerMode: 1 });
  const source = new BenchSource(p.cluster.objects);
  const server = await startServer({ source, xdsAddresses: ['127.0.0.1:0'], adminAddress: false, debounceMs, debounceMaxMs: Math.max(1000, debounceMs) });
  const fleet: ServerFleet = {
    server, source, shape, debounceMs, objects: [...p.cluster.objects], bytes: { value: 0 }, lastAck: new Map(), since: { value: Infinity },
    loop: monitorEventLoopDelay({ resolution: 10 }), stopped: false,
  };
  server.xds.events.on('response', (e) => {
    fleet.bytes.value += e.bytes;
  });
  server.xds.events.on('ack', (e) => {
    if (performance.now() >= fleet.since.value) fleet.lastAck.set(e.node.id, performance.now());
  });
  fleet.loop.enable();
  return fleet;
}

/** The shape's proxies (nodes only: the server parses them as they connect). */
export function fleetNodes(shape: ClusterShape): readonly SyntheticNode[] {
  return generateCluster(shape).nodes;
}

/** Opens streams for `nodes` and waits until all `total` streams have ACKed their full configuration. */
export async function connectServerFleet(fleet: ServerFleet, clients: ClientProcess, kind: 'sotw' | 'delta', nodes: readonly SyntheticNode[], total: number): Promise<void> {
  await clients.open(fleet.server.xdsAddresses[0] ?? '', kind, nodes);
  await untilAllAcked(fleet, total, 120_000 + total * 100, `the full push to ${total} streams`);
}

/** Applies one change through the source; latency per proxy = change → its last ACK; loop delay over the window. */
export async function serverChange(fleet: ServerFleet, change: Change, total: number): Promise<Outcome> {
  const { server, lastAck, loop } = fleet;
  fleet.objects = change.edit(fleet.objects);
  lastAck.clear();
  const bytesBefore = fleet.bytes.value;
  const since = performance.now();
  fleet.since.value = since;
  loop.reset();
  fleet.source.replace(fleet.objects);
  await new Promise((r) => setTimeout(r, fleet.debounceMs));
  await server.settled();
  await untilAllAcked(fleet, total, 60_000 + total * 50, `ACKs after ${change.name}`);
  const latencies = [...lastAck.values()].map((t) => t - since);
  fleet.since.value = Infinity;
  const loopMs = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
  return { change: change.name, affected: lastAck.size, latencies, bytes: fleet.bytes.value - bytesBefore, rebuildMs: NaN, loopMs };
}

/** Closes the client streams and stops the server. */
export async function stopServerFleet(fleet: ServerFleet, clients: ClientProcess): Promise<void> {
  fleet.stopped = true;
  fleet.loop.disable();
  await clients.closeStreams();
  await fleet.server.stop();
}

/** Churn over `startServer`: latency per proxy = change → its last ACK of a new version. */
export async function pipelineChurn(
  shape: ClusterShape, kind: 'sotw' | 'delta', clients: ClientProcess, debounceMs: number, say: (message: string) => void = progress,
): Promise<Outcome[]> {
  const nodes = fleetNodes(shape);
  const fleet = await startServerFleet(shape, debounceMs);
  const out: Outcome[] = [];
  try {
    say(`churn ${kind} (startServer): connecting ${nodes.length} streams`);
    await connectServerFleet(fleet, clients, kind, nodes, nodes.length);
    for (const change of changes(shape)) {
      say(`churn ${kind} (startServer): ${change.name}`);
      out.push(await serverChange(fleet, change, nodes.length));
    }
  } finally {
    await stopServerFleet(fleet, clients);
  }
  return out;
}
