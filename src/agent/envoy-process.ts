// Envoy as the agent's child: started with a bootstrap file, its output kept (the last lines, for the exit message),
// restarted with growing backoff when it dies, given up on after too many quick deaths, and stopped with a bounded
// graceful drain (admin `drain_listeners?graceful`, a wait, SIGTERM, then SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';

/** How to run and supervise Envoy. */
export interface EnvoyProcessOptions {
  readonly binary: string;
  readonly args: readonly string[];
  /** Asks Envoy's admin API to start draining (POST `/drain_listeners?graceful`, bounded); failures are ignored. */
  readonly drain: () => Promise<void>;
  /** How long connections may drain before Envoy is told to exit (default 5 s), and how long exit may take (3 s). */
  readonly drainMs?: number;
  readonly exitMs?: number;
  /** Deaths in a row (each within `quickMs` of its start, default 10 s) before giving up; default 5. */
  readonly maxQuickDeaths?: number;
  readonly quickMs?: number;
  /** Lines of Envoy's output to keep (default 40). */
  readonly keepLines?: number;
  readonly log: (line: string) => void;
  /** Called once when Envoy cannot be kept up, with its last output lines. */
  readonly onGiveUp: (lastLines: readonly string[]) => void;
}

/** A supervised Envoy: `running` is false between a death and its restart. */
export class EnvoyProcess {
  #child: ChildProcess | undefined;
  #lines: string[] = [];
  #startedAt = 0;
  #quickDeaths = 0;
  #stopping = false;
  #timer: NodeJS.Timeout | undefined;
  #exited: Promise<void> = Promise.resolve();
  #generation = 0;

  constructor(readonly options: EnvoyProcessOptions) {}

  /** Whether an Envoy process is alive now. */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** The live Envoy's pid (for operators and tests), if any. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** How many times Envoy was started (1 after the first start). */
  get generation(): number {
    return this.#generation;
  }

  /** The last lines Envoy printed. */
  lastLines(): readonly string[] {
    return [...this.#lines];
  }

  /** Starts Envoy (again). */
  start(): void {
    if (this.#stopping) return;
    this.#generation++;
    this.#startedAt = Date.now();
    const child = spawn(this.options.binary, [...this.options.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.options.log(`envoy started (pid ${child.pid ?? '?'}, start ${this.#generation})`);
    const keep = (chunk: Buffer): void => {
      const lines = chunk.toString('utf8').split('\n').filter((l) => l.trim() !== '');
      this.#lines = [...this.#lines, ...lines].slice(-(this.options.keepLines ?? 40));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.#child = undefined;
        resolve();
        if (!this.#stopping) this.#died(code, signal);
      });
      child.on('error', (err) => {
        this.#lines.push(`cannot start envoy: ${err.message}`);
      });
    });
  }

  /** Graceful stop: drain (bounded), SIGTERM, SIGKILL if it still lives; resolves once Envoy is gone. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    const child = this.#child;
    if (!child) return;
    await this.options.drain().catch(() => undefined);
    await Promise.race([this.#exited, delay(this.options.drainMs ?? 5000)]);
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), this.options.exitMs ?? 3000);
    await this.#exited;
    clearTimeout(killer);
  }

  #died(code: number | null, signal: NodeJS.Signals | null): void {
    const quick = Date.now() - this.#startedAt < (this.options.quickMs ?? 10_000);
    this.#quickDeaths = quick ? this.#quickDeaths + 1 : 0;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (this.#quickDeaths >= (this.options.maxQuickDeaths ?? 5)) {
      this.options.log(`envoy exited (${how}) ${this.#quickDeaths} times in a row soon after starting; giving up`);
      this.#stopping = true;
      this.options.onGiveUp(this.lastLines());
      return;
    }
    const backoff = Math.min(200 * 2 ** this.#quickDeaths, 5000);
    this.options.log(`envoy exited (${how}); restarting in ${backoff} ms`);
    this.#timer = setTimeout(() => this.start(), backoff);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
