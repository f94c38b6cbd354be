// The moving parts the push, churn and memory scenarios share: the client process, snapshots per proxy built from the
// translator through a shared resource cache, and a tracker that knows when every stream has ACKed a version.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { translate } from '../src/translate/index.ts';
import { makeSnapshot } from '../src/xds/snapshot-builder.ts';
import type { Snapshot } from '../src/xds/snapshot.ts';
import type { XdsEvents } from '../src/xds/events.ts';
import type { ClientCommand, ClientNode, ClientStats } from './ads-clients.ts';
import type { NameLists } from './ads-requests.ts';
import type { SyntheticNode } from './cluster.ts';
import { ResourceCache } from './encode.ts';
import { MODES, proxyOf } from './setup.ts';
import type { Prepared } from './setup.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The bench client process (bench/ads-clients.ts), driven over IPC. */
export class ClientProcess {
  readonly #child: ChildProcess;

  constructor() {
    this.#child = fork(path.join(here, 'ads-clients.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }

  /** Sends a command and resolves with the reply event (rejects after `ms`). */
  request(command: ClientCommand, reply: string, ms = 120_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#child.off('message', onMessage);
        reject(new Error(`bench clients: no "${reply}" within ${ms} ms`));
      }, ms);
      timer.unref(); // a request left pending at the end must not hold the bench open
      const onMessage = (message: Record<string, unknown>): void => {
        if (message['evt'] !== reply && message['evt'] !== 'error') return;
        clearTimeout(timer);
        this.#child.off('message', onMessage);
        if (message['evt'] === 'error') reject(new Error(`bench clients: ${String(message['message'])}`));
        else resolve(message);
      };
      this.#child.on('message', onMessage);
      this.#child.send(command);
    });
  }

  /**
   * Opens one stream per node against `target`. With `names` (per proxy mode, names by type URL), each stream asks
   * for its mode's names instead of the defaults.
   */
  async open(target: string, kind: 'sotw' | 'delta', nodes: readonly SyntheticNode[], names?: Readonly<Record<string, NameLists>>): Promise<void> {
    const list: ClientNode[] = nodes.map((n) => ({
      id: n.id, metadata: Object.fromEntries(Object.entries(n.metadata).map(([k, v]) => [k, String(v)])), ...(names ? { group: n.mode } : {}),
    }));
    await this.request({ cmd: 'open', target, kind, nodes: list, ...(names ? { names } : {}) }, 'opened');
  }

  /** The client-side counters. */
  async stats(): Promise<ClientStats> {
    return (await this.request({ cmd: 'stats' }, 'stats'))['stats'] as ClientStats;
  }

  /** Closes every stream (the process stays). */
  async closeStreams(): Promise<void> {
    await this.request({ cmd: 'close' }, 'closed');
  }

  /** Ends the process. */
  stop(): void {
    this.#child.disconnect();
    this.#child.kill();
  }
}

/**
 * One snapshot per proxy mode, every resource encoded once through the shared cache. In the generated cluster the
 * client proxies are not pods of the model, so every proxy of a mode gets the same configuration: the bench
 * translates one representative per mode, as a pipeline that groups identical proxies would.
 */
export function snapshotsByMode(p: Prepared, cache: ResourceCache): Map<SyntheticNode['mode'], Snapshot> {
  const out = new Map<SyntheticNode['mode'], Snapshot>();
  for (const mode of MODES) out.set(mode, makeSnapshot(cache.encodeAll(translate(p.index, proxyOf(p, mode)))));
  return out;
}

/** Waits for ACKs of given versions on given nodes; records when each node had ACKed everything it was owed. */
export class AckTracker {
  readonly #owed = new Map<string, Map<string, string>>();
  readonly #doneAt = new Map<string, number>();
  #resolve: (() => void) | undefined;
  readonly #off: () => void;

  constructor(events: XdsEvents) {
    this.#off = events.on('ack', (e) => {
      const owed = this.#owed.get(e.node.id);
      if (!owed || owed.get(e.typeUrl) !== e.version) return;
      owed.delete(e.typeUrl);
      if (owed.size > 0) return;
      this.#owed.delete(e.node.id);
      this.#doneAt.set(e.node.id, performance.now());
      if (this.#owed.size === 0) this.#resolve?.();
    });
  }

  /** Expects `node` to ACK these type URL → version pairs. */
  expect(nodeId: string, versions: ReadonlyMap<string, string>): void {
    if (versions.size > 0) this.#owed.set(nodeId, new Map(versions));
  }

  /** Resolves when nothing is owed any more; rejects after `ms` naming how many nodes still owe. */
  done(ms: number): Promise<void> {
    if (this.#owed.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.#owed.size} proxies had not ACKed within ${ms} ms`)), ms);
      this.#resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** When each node finished (performance.now()). */
  finished(): ReadonlyMap<string, number> {
    return this.#doneAt;
  }

  /** Stops listening. */
  close(): void {
    this.#off();
  }
}

/** Type URL → version of every type of a snapshot that differs from `before` (all of them when there is none). */
export function changedVersions(next: Snapshot, before: Snapshot | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [url, type] of next.types) if (before?.types.get(url)?.version !== type.version) out.set(url, type.version);
  return out;
}

/** Resolves once `check` is true, polling every `everyMs` (default 20 ms); rejects after `ms` with `what`. */
export async function until(check: () => boolean | Promise<boolean>, ms: number, what: string, everyMs = 20): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
