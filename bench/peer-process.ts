// A peer control plane as a child process (bench/peers/<name>/): built with `go build` when Go is on PATH, started on
// a snapshot file, driven by one-line stdin commands (`ready`, `step N`, `heap`, `reset`) answered by JSON lines.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The peers the bench knows. */
export const PEERS = ['go-control-plane'] as const;

/** One of PEERS. */
export type PeerName = (typeof PEERS)[number];

/** The built binary, or why there is none. */
export type PeerBuild = { readonly ok: true; readonly binary: string } | { readonly ok: false; readonly reason: string };

/** Builds the peer with `go build` (cached by Go between runs); says why not when Go is missing or the build fails. */
export function buildPeer(name: PeerName): PeerBuild {
  const found = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) return { ok: false, reason: '`go` is not on PATH (install Go 1.26+ to compare with go-control-plane)' };
  const dir = path.join(here, 'peers', name);
  const binary = path.join(dir, `${name}-peer`);
  try {
    execFileSync('go', ['build', '-buildvcs=false', '-o', binary, '.'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? (err as Error).message;
    return { ok: false, reason: `go build in ${dir} failed: ${stderr.trim().split('\n').slice(-5).join(' | ')}` };
  }
  return { ok: true, binary };
}

/** A running peer: its ADS address and a command channel. */
export class PeerProcess {
  readonly #child: ChildProcess;
  readonly #events: Record<string, unknown>[] = [];
  readonly #waiters: (() => void)[] = [];
  #exited = false;
  #stderr = '';

  constructor(binary: string, snapshotFile: string) {
    this.#child = spawn(binary, ['-snapshots', snapshotFile, '-listen', '127.0.0.1:0'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stderr?.on('data', (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-4000)));
    const kill = (): void => {
      this.#child.kill('SIGKILL');
    };
    process.on('exit', kill);
    this.#child.on('exit', () => {
      process.off('exit', kill);
      this.#exited = true;
      this.#wake();
    });
    createInterface({ input: this.#child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        this.#events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.#stderr += `\n(stdout) ${line}`;
      }
      this.#wake();
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** The next event named `evt` (an `error` event or the process's exit rejects); rejects after `ms`. */
  async next(evt: string, ms: number): Promise<Record<string, unknown>> {
    const deadline = performance.now() + ms;
    for (;;) {
      const i = this.#events.findIndex((e) => e['evt'] === evt || e['evt'] === 'error');
      if (i >= 0) {
        const [event] = this.#events.splice(i, 1) as [Record<string, unknown>];
        if (event['evt'] === 'error') throw new Error(`peer: ${String(event['message'])}`);
        return event;
      }
      if (this.#exited) throw new Error(`peer exited: ${this.#stderr.trim()}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`peer: no "${evt}" within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the peer to load its file and listen; resolves to "127.0.0.1:port". */
  async listening(ms = 300_000): Promise<string> {
    const e = await this.next('listening', ms);
    return `127.0.0.1:${String(e['port'])}`;
  }

  /** Sends one command and resolves with its answer event. */
  command(line: string, evt: string, ms = 600_000): Promise<Record<string, unknown>> {
    this.#child.stdin?.write(`${line}\n`);
    return this.next(evt, ms);
  }

  /** Ends the process (closing stdin first, then SIGKILL if it lingers). */
  async stop(): Promise<void> {
    if (this.#exited) return;
    this.#child.stdin?.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 2000);
    await new Promise<void>((resolve) => (this.#exited ? resolve() : this.#child.once('exit', () => resolve())));
    clearTimeout(timer);
  }
}
