// Runs a real Envoy for a test: a given bootstrap, admin on a Unix socket (reachable from any network namespace),
// a unique base id, the log in a temp file that is printed when the test fails, and a kill that always happens.
// Envoy runs in a named network namespace (`netns`), in a private one of its own with only loopback (`isolated`),
// or in the caller's.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { envoyBinary, unshareFlags } from './requirements.ts';

/** How to run one Envoy. */
export interface EnvoyOptions {
  /** The bootstrap as plain proto3 JSON; its `admin` is replaced by a Unix socket. */
  readonly bootstrap: Record<string, unknown>;
  /** Run inside this named network namespace (`ip netns exec`). */
  readonly netns?: string;
  /** Run inside a fresh private network namespace with only loopback up (`unshare --net`). */
  readonly isolated?: boolean;
  /** Run as this uid and/or gid (a sidecar runs as the proxy user or group, whose traffic capture exempts). */
  readonly uid?: number;
  readonly gid?: number;
  /** Capabilities Envoy keeps as a non-root `uid` (ambient, e.g. `net_admin` for TPROXY's transparent sockets). */
  readonly ambientCaps?: readonly string[];
  /** Envoy's log level (default info). */
  readonly logLevel?: string;
  /** A label for messages (default "envoy"). */
  readonly name?: string;
}

/** An HTTP answer from Envoy's admin API. */
export interface AdminReply {
  readonly status: number;
  readonly body: string;
}

/** A running Envoy. */
export interface RunningEnvoy {
  readonly name: string;
  /** A GET on the admin API, e.g. `/config_dump?include_eds`. */
  admin(pathAndQuery: string, method?: string): Promise<AdminReply>;
  /** Every counter and gauge (`/stats?format=json`), by name. */
  stats(filter?: string): Promise<Map<string, number>>;
  /** The last `lines` lines of Envoy's log. */
  logTail(lines?: number): string;
  /** Whether the process has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function adminGet(socketPath: string, pathAndQuery: string, method: string): Promise<AdminReply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: pathAndQuery, method, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`admin ${pathAndQuery}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function launchArgs(opts: EnvoyOptions, bin: string, config: string, log: string): [string, string[]] {
  const envoy = [bin, '-c', config, '--use-dynamic-base-id', '--log-path', log, '-l', opts.logLevel ?? 'info', '--concurrency', '1'];
  const ids = [
    ...(opts.uid !== undefined ? [`--reuid=${opts.uid}`] : []),
    ...(opts.gid !== undefined || opts.uid !== undefined ? [`--regid=${opts.gid ?? opts.uid}`, '--clear-groups'] : []),
  ];
  const caps = (opts.ambientCaps ?? []).map((c) => `+${c}`).join(',');
  const keep = caps ? [`--inh-caps=${caps}`, `--ambient-caps=${caps}`] : [];
  const drop = ids.length > 0 || keep.length > 0 ? ['setpriv', ...ids, ...keep] : [];
  if (opts.netns) return ['ip', ['netns', 'exec', opts.netns, ...drop, ...envoy]];
  if (opts.isolated) {
    const script = 'ip link set lo up && exec "$@"';
    return ['unshare', [...unshareFlags(), '--', 'sh', '-c', script, 'sh', ...drop, ...envoy]];
  }
  return drop.length > 0 ? [drop[0] as string, [...drop.slice(1), ...envoy]] : [bin, envoy.slice(1)];
}

/**
 * Starts Envoy and waits until its admin API answers. The process is killed when `t` ends, pass or fail; when the
 * test failed, the tail of Envoy's log is printed.
 */
export async function startEnvoy(t: TestContext, opts: EnvoyOptions): Promise<RunningEnvoy> {
  const bin = envoyBinary();
  if (!bin) throw new Error('no Envoy: run `npm run setup:envoy` or set ENVOY_BIN');
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-envoy-'));
  chmodSync(dir, 0o777); // a sidecar running as the proxy uid writes its log and admin socket here
  const name = opts.name ?? 'envoy';
  const socketPath = path.join(dir, 'admin.sock');
  const log = path.join(dir, 'envoy.log');
  const config = path.join(dir, 'bootstrap.json');
  writeFileSync(config, JSON.stringify({ ...opts.bootstrap, admin: { address: { pipe: { path: socketPath, mode: 0o666 } } } }));
  const [cmd, args] = launchArgs(opts, bin, config, log);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  let exited = false;
  const gone = new Promise<void>((resolve) => {
    child.on('exit', () => {
      exited = true;
      live.delete(child);
      resolve();
    });
  });
  const logTail = (lines = 60): string => {
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      // no log yet
    }
    return [...text.split('\n').slice(-lines), stderr.trim()].filter((l) => l !== '').join('\n');
  };
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    }
  };
  t.after(async () => {
    await stop();
    if (!(t as unknown as { passed?: boolean }).passed) console.log(`--- ${name} log (${log}) ---\n${logTail(80)}\n--- end ${name} log ---`);
    else rmSync(dir, { recursive: true, force: true });
  });
  const envoy: RunningEnvoy = {
    name,
    admin: (p, method = 'GET') => adminGet(socketPath, p, method),
    async stats(filter) {
      const reply = await adminGet(socketPath, `/stats?format=json${filter ? `&filter=${encodeURIComponent(filter)}` : ''}`, 'GET');
      const parsed = JSON.parse(reply.body) as { stats?: { name?: string; value?: number }[] };
      return new Map((parsed.stats ?? []).filter((s) => s.name !== undefined && typeof s.value === 'number').map((s) => [s.name as string, s.value as number]));
    },
    logTail,
    exited: () => exited,
    stop,
  };
  await waitFor(async () => {
    if (exited) throw new Error(`${name} exited at start:\n${logTail()}`);
    return (await envoy.admin('/server_info').catch(() => undefined))?.status === 200;
  }, 30_000, `${name}'s admin API to answer`);
  return envoy;
}

/** Polls `check` every 100 ms until it returns true; throws after `timeoutMs` naming `what` (read at that moment). */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      if (err instanceof Error && / exited /.test(err.message)) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      const text = typeof what === 'string' ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${text}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
