// Churn through the real pipeline (`startServer` from src/server): an in-memory Source feeds the generated objects,
// the server debounces, rebuilds, translates every connected proxy through its shared-resource cache and pushes.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startServer } from '../src/server/pipeline.ts';
import type { ServerHandle } from '../src/server/pipeline.ts';
import type { ObjectKey, Problem, SourceObject } from '../src/model/types.ts';
import type { Source, SourceChange } from '../src/sources/types.ts';
import type { ClusterShape } from './cluster.ts';
import { changes } from './churn.ts';
import type { Outcome } from './churn.ts';
import type { ClientProcess } from './fleet.ts';
import { until } from './fleet.ts';
import { progress } from './report.ts';
import { prepare } from './setup.ts';

/** A Source over an object list the bench replaces, announcing exactly what changed. */
class BenchSource implements Source {
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

/** Churn over `startServer`: latency per proxy = change → its last ACK of a new version. */
export async function pipelineChurn(shape: ClusterShape, kind: 'sotw' | 'delta', clients: ClientProcess, debounceMs: number): Promise<Outcome[]> {
  const p = prepare({ ...shape, proxiesPerMode: 1 });
  const nodes = prepare(shape).cluster.nodes;
  const source = new BenchSource(p.cluster.objects);
  const server = await startServer({ source, xdsAddresses: ['127.0.0.1:0'], adminAddress: false, debounceMs, debounceMaxMs: Math.max(1000, debounceMs) });
  let bytes = 0;
  server.xds.events.on('response', (e) => {
    bytes += e.bytes;
  });
  const lastAck = new Map<string, number>();
  let since = Infinity;
  server.xds.events.on('ack', (e) => {
    if (performance.now() >= since) lastAck.set(e.node.id, performance.now());
  });
  const out: Outcome[] = [];
  // The server runs in this process, so this is its event loop: delay sampled every 10 ms, per change.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  try {
    progress(`churn ${kind} (startServer): connecting ${nodes.length} streams`);
    await clients.open(server.xdsAddresses[0] ?? '', kind, nodes);
    await until(() => allAcked(server, nodes.length), 120_000 + nodes.length * 100, 'the first full push');
    let objects = [...p.cluster.objects];
    for (const change of changes(shape)) {
      progress(`churn ${kind} (startServer): ${change.name}`);
      objects = change.edit(objects);
      lastAck.clear();
      const bytesBefore = bytes;
      since = performance.now();
      loop.reset();
      source.replace(objects);
      await new Promise((r) => setTimeout(r, debounceMs));
      await server.settled();
      await until(() => allAcked(server, nodes.length), 60_000 + nodes.length * 50, `ACKs after ${change.name}`);
      const latencies = [...lastAck.values()].map((t) => t - since);
      since = Infinity;
      const loopMs = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
      out.push({ change: change.name, affected: lastAck.size, latencies, bytes: bytes - bytesBefore, rebuildMs: NaN, loopMs });
    }
  } finally {
    loop.disable();
    await clients.closeStreams();
    await server.stop();
  }
  return out;
}
