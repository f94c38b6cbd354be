// `node bin/biplane.js serve ...` as a child process for end-to-end tests: the addresses it announces on its
// `biplane-listening` line, its output for failure messages, and a bounded kill.
import { spawn, type ChildProcess } from 'node:child_process';

/** How long `biplane serve` may take to announce its addresses (the suite runs on two shared cores). */
const ANNOUNCE_MS = 60_000;

/** What `biplane serve` announces on its `biplane-listening` line. */
export interface Listening {
  readonly xds: string[];
  /** The TLS xDS addresses (empty without --tls-cert). */
  readonly xdsTls: string[];
  readonly admin: string;
  /** The injection webhook's address, null unless `--webhook-address` was given. */
  readonly webhook?: string | null;
}

/** `node bin/biplane.js serve ...` as a child process: its announced addresses, its output and its exit. */
export class ServeProcess {
  #stdout = '';
  #stderr = '';
  readonly exit: Promise<number | string | null>;
  readonly listening: Promise<Listening>;

  private constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.#stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    this.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
    this.listening = new Promise<Listening>((resolve, reject) => {
      // A bound on start-up under load, not a performance claim. A server that never announces is killed here: no
      // caller holds it yet, and its open pipes would keep the test file's process alive forever.
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`no biplane-listening line within ${ANNOUNCE_MS / 1000} s; stderr: ${this.#stderr}`));
      }, ANNOUNCE_MS);
      child.stdout?.on('data', () => {
        const line = this.#stdout.split('\n').find((l) => l.startsWith('biplane-listening '));
        if (!line) return;
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('biplane-listening '.length)) as Listening);
      });
      void this.exit.then((code) => {
        clearTimeout(timer);
        reject(new Error(`biplane serve exited with ${String(code)}: ${this.#stderr}`));
      });
    });
    this.listening.catch(() => undefined);
  }

  /** Starts `biplane serve` with `args`; `prefix` runs it through a command that execs it (`ip netns exec NS`). */
  static start(args: readonly string[], prefix: readonly string[] = []): ServeProcess {
    const bin = new URL('../../bin/biplane.js', import.meta.url).pathname;
    const [cmd = process.execPath, ...rest] = [...prefix, process.execPath, bin, 'serve', ...args];
    return new ServeProcess(spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Serves the cluster of `kubeconfig` on ephemeral loopback ports of both families, admin on 127.0.0.1. */
  static kube(kubeconfig: string): ServeProcess {
    return ServeProcess.start(['--kubeconfig', kubeconfig, '--xds-address', '127.0.0.1:0', '--xds-address', '[::1]:0', '--admin-address', '127.0.0.1:0']);
  }

  /** Everything printed on stdout so far (the start-up summary). */
  get stdout(): string {
    return this.#stdout;
  }

  /** Everything printed on stderr so far (log lines), for failure messages. */
  get stderr(): string {
    return this.#stderr;
  }

  /** The exit code (or signal), or 'timeout' when the process is still running after `ms`. */
  exited(ms: number): Promise<number | string | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
    return Promise.race([this.exit, late]).finally(() => clearTimeout(timer));
  }

  /** Kills the process if it still runs and waits (bounded) for it to go. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited(5000);
  }
}
