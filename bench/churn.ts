// Scenario 4: one pod added, one removed, one service added; for SotW and delta streams, the time from the change
// (debounce included) until every affected proxy has ACKed, and the bytes each change sent.
import type { SourceObject } from '../src/model/types.ts';
import type { Snapshot } from '../src/xds/snapshot.ts';
import { addPod, addService, removePod } from './churn-edits.ts';
import type { ClusterShape, SyntheticNode } from './cluster.ts';
import { ResourceCache } from './encode.ts';
import { AckTracker, ClientProcess, changedVersions, snapshotsByMode } from './fleet.ts';
import { quantile } from './measure.ts';
import { connectFleet, pushAll } from './push.ts';
import type { ConnectedFleet } from './push.ts';
import { progress, round } from './report.ts';
import type { Row, ScenarioResult } from './report.ts';
import { pipelineChurn } from './pipeline.ts';
import { prepare, prepareCluster } from './setup.ts';

/** One churn change: a name and an edit of the object list. */
export interface Change {
  readonly name: string;
  readonly edit: (objects: readonly SourceObject[]) => SourceObject[];
}

/** The three changes, in the order they are applied. */
export function changes(shape: ClusterShape): Change[] {
  return [
    { name: 'pod added', edit: (o) => addPod(o, 'svc-0', 60_001) },
    { name: 'pod removed', edit: (o) => removePod(o, 'svc-1') },
    { name: 'service added', edit: (o) => addService(o, shape) },
  ];
}

/** What one change cost. */
export interface Outcome {
  readonly change: string;
  readonly affected: number;
  readonly latencies: number[];
  readonly bytes: number;
  readonly rebuildMs: number;
  /** Through startServer: the event-loop delay while the change was applied (p99 and max, ms). */
  readonly loopMs?: { readonly p99: number; readonly max: number };
}

/** Applies one change the way the pipeline would: wait out the debounce, rebuild model and snapshots, set them. */
async function applyChange(
  fleet: ConnectedFleet, shape: ClusterShape, nodes: readonly SyntheticNode[], objects: SourceObject[], change: Change,
  cache: ResourceCache, debounceMs: number,
): Promise<{ outcome: Outcome; objects: SourceObject[] }> {
  const bytesBefore = fleet.responseBytes.value;
  const started = performance.now();
  const edited = change.edit(objects);
  await new Promise((r) => setTimeout(r, debounceMs));
  const rebuildStart = performance.now();
  const snaps = snapshotsByMode(prepareCluster(shape, { objects: edited, nodes }, true), cache);
  const rebuildMs = performance.now() - rebuildStart;
  const tracker = new AckTracker(fleet.server.events);
  let affected = 0;
  for (const n of nodes) {
    const versions = changedVersions(snaps.get(n.mode) as Snapshot, fleet.cache.getSnapshot(n.id));
    if (versions.size > 0) affected++;
    tracker.expect(n.id, versions);
  }
  for (const n of nodes) fleet.cache.setSnapshot(n.id, snaps.get(n.mode) as Snapshot);
  await tracker.done(60_000 + nodes.length * 50);
  tracker.close();
  const latencies = [...tracker.finished().values()].map((t) => t - started);
  await new Promise((r) => setTimeout(r, 50)); // let the last response events settle before reading bytes
  return { outcome: { change: change.name, affected, latencies, bytes: fleet.responseBytes.value - bytesBefore, rebuildMs }, objects: edited };
}

async function churnKind(shape: ClusterShape, kind: 'sotw' | 'delta', clients: ClientProcess, debounceMs: number): Promise<Outcome[]> {
  const p = prepare(shape);
  const cache = new ResourceCache();
  const nodes = p.cluster.nodes;
  progress(`churn ${kind}: connecting ${nodes.length} streams and pushing the full configuration`);
  const fleet = await connectFleet(nodes, kind, clients);
  await pushAll(fleet, nodes, snapshotsByMode(p, cache));
  let objects = [...p.cluster.objects];
  const out: Outcome[] = [];
  try {
    for (const change of changes(shape)) {
      progress(`churn ${kind}: ${change.name}`);
      const result = await applyChange(fleet, shape, nodes, objects, change, cache, debounceMs);
      objects = result.objects;
      out.push(result.outcome);
    }
  } finally {
    await clients.closeStreams();
    await fleet.server.close();
  }
  return out;
}

function churnRows(shape: ClusterShape, via: string, debounceMs: number, sotw: Outcome[], delta: Outcome[]): Row[] {
  const rows: Row[] = [];
  for (const [kind, outcomes] of [['sotw', sotw], ['delta', delta]] as const) {
    for (const o of outcomes) {
      const sotwBytes = sotw.find((s) => s.change === o.change)?.bytes ?? 0;
      rows.push({
        services: shape.services, proxies: shape.proxiesPerMode * 4, via, kind, change: o.change, affected: o.affected,
        'debounce ms': debounceMs, 'rebuild ms': Number.isNaN(o.rebuildMs) ? null : Math.round(o.rebuildMs),
        'p50 ms': Math.round(quantile(o.latencies, 0.5)), 'p99 ms': Math.round(quantile(o.latencies, 0.99)),
        'max ms': Math.round(quantile(o.latencies, 1)), 'KiB sent': round(o.bytes / 1024, 1),
        'bytes/sotw': kind === 'delta' && sotwBytes > 0 ? round(o.bytes / sotwBytes, 4) : null,
        'loop p99 ms': o.loopMs ? Math.round(o.loopMs.p99) : null, 'loop max ms': o.loopMs ? Math.round(o.loopMs.max) : null,
      });
    }
  }
  return rows;
}

/**
 * Runs churn for SotW then delta, once per proxy count: through the bench's own stand-in pipeline (`bench`), and
 * through src/server's `startServer` (`server`) unless `benchOnly`.
 */
export async function runChurn(shapes: readonly ClusterShape[], debounceMs: number, benchOnly = false): Promise<ScenarioResult> {
  const rows: Row[] = [];
  const clients = new ClientProcess();
  try {
    for (const shape of shapes) {
      const sotw = await churnKind(shape, 'sotw', clients, debounceMs);
      const delta = await churnKind(shape, 'delta', clients, debounceMs);
      rows.push(...churnRows(shape, 'bench', debounceMs, sotw, delta));
      if (benchOnly) continue;
      const sotwServer = await pipelineChurn(shape, 'sotw', clients, debounceMs);
      const deltaServer = await pipelineChurn(shape, 'delta', clients, debounceMs);
      rows.push(...churnRows(shape, 'server', debounceMs, sotwServer, deltaServer));
    }
  } finally {
    clients.stop();
  }
  return { scenario: 'churn', rows };
}
