// The snapshot file a peer control plane loads: JSON lines of three kinds, each resource and each snapshot written
// once however many nodes share it. `resource` {id, typeUrl, name, bytes (base64)}; `snapshot` {id, types: [{typeUrl,
// version, resources: [resource ids]}]}; `step` {step, nodes: {node id: snapshot id}} — step 0 is the full push, the
// later ones are churn changes applied in order.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { resourceFromBytes } from '../src/xds/resource.ts';
import type { Resource } from '../src/xds/resource.ts';
import type { Snapshot, SnapshotType } from '../src/xds/snapshot.ts';

/** What every node has at one step: node id → snapshot. */
export type Step = ReadonlyMap<string, Snapshot>;

/** Numbers resources and snapshots by identity (and resources by content too), writing each the first time. */
class Writer {
  readonly #fd: number;
  readonly #resources = new Map<string, string>();
  readonly #snapshots = new Map<Snapshot, string>();

  constructor(file: string) {
    this.#fd = openSync(file, 'w');
  }

  line(record: Record<string, unknown>): void {
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
  }

  resource(r: Resource): string {
    const key = `${r.typeUrl}\u0000${r.name}\u0000${r.version}`;
    let id = this.#resources.get(key);
    if (id === undefined) {
      id = `r${this.#resources.size}`;
      this.#resources.set(key, id);
      this.line({ kind: 'resource', id, typeUrl: r.typeUrl, name: r.name, bytes: Buffer.from(r.bytes).toString('base64') });
    }
    return id;
  }

  snapshot(s: Snapshot): string {
    let id = this.#snapshots.get(s);
    if (id !== undefined) return id;
    const types = [...s.types].map(([typeUrl, t]) => ({ typeUrl, version: t.version, resources: [...t.resources.values()].map((r) => this.resource(r)) }));
    id = `s${this.#snapshots.size}`;
    this.#snapshots.set(s, id);
    this.line({ kind: 'snapshot', id, types });
    return id;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Writes the steps to `file`; returns how many distinct resources and snapshots it holds. */
export function writePeerSnapshots(file: string, steps: readonly Step[]): { resources: number; snapshots: number } {
  const w = new Writer(file);
  let resources = 0;
  let snapshots = 0;
  try {
    steps.forEach((step, i) => {
      const nodes = Object.fromEntries([...step].map(([node, snap]) => [node, w.snapshot(snap)]));
      w.line({ kind: 'step', step: i, nodes });
    });
  } finally {
    w.close();
  }
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('{"kind":"resource"')) resources++;
    else if (line.startsWith('{"kind":"snapshot"')) snapshots++;
  }
  return { resources, snapshots };
}

interface FileType {
  readonly typeUrl: string;
  readonly version: string;
  readonly resources: readonly string[];
}

/** Reads a snapshot file back into steps (the way the peer does, for tests); throws naming the line on a bad record. */
export function readPeerSnapshots(file: string): Step[] {
  const resources = new Map<string, Resource>();
  const snapshots = new Map<string, Snapshot>();
  const steps: Step[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
    if (text === '') return;
    const rec = JSON.parse(text) as Record<string, unknown>;
    const where = `${file}:${i + 1}`;
    if (rec['kind'] === 'resource') {
      resources.set(String(rec['id']), resourceFromBytes(String(rec['typeUrl']), String(rec['name']), Buffer.from(String(rec['bytes']), 'base64')));
    } else if (rec['kind'] === 'snapshot') {
      const types = new Map<string, SnapshotType>();
      for (const t of rec['types'] as FileType[]) {
        const list = t.resources.map((id) => resources.get(id) ?? fail(`${where}: unknown resource ${id}`));
        types.set(t.typeUrl, { version: t.version, resources: new Map(list.map((r) => [r.name, r])) });
      }
      snapshots.set(String(rec['id']), { types });
    } else if (rec['kind'] === 'step') {
      if (rec['step'] !== steps.length) fail(`${where}: step ${String(rec['step'])} out of order`);
      const nodes = Object.entries(rec['nodes'] as Record<string, string>);
      steps.push(new Map(nodes.map(([node, id]) => [node, snapshots.get(id) ?? fail(`${where}: unknown snapshot ${id}`)])));
    } else fail(`${where}: unknown record kind ${String(rec['kind'])}`);
  });
  return steps;
}

function fail(message: string): never {
  throw new Error(message);
}
