// Test helpers for real network namespaces: a "pod" and a "peer" namespace joined by a veth pair, listeners and
// probes running inside them as child processes, and teardown that always runs. Addresses come only from
// 198.18.0.0/15 and 2001:db8::/32; names carry a random suffix so parallel runs never collide.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** The repository root, for running bin/biplane.js and the helper scripts. */
export const REPO = path.join(import.meta.dirname, '../..');
const HERE = import.meta.dirname;

/** What a command printed and how it ended. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command with a bounded lifetime; never throws for a non-zero exit. */
export function run(cmd: string, args: readonly string[], input = '', timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => resolve({ code: -1, stdout, stderr: stderr + String(err) }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** Runs a command and throws (with its stderr) unless it exits 0. */
export async function must(cmd: string, args: readonly string[], input = ''): Promise<string> {
  const r = await run(cmd, args, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Runs `args` inside namespace `ns`. */
export function inNs(ns: string, args: readonly string[], input = ''): Promise<string> {
  return must('ip', ['netns', 'exec', ns, ...args], input);
}

/** The two namespaces of one test and the addresses on each side. */
export interface Topology {
  readonly pod: string;
  readonly peer: string;
  destroy(): Promise<void>;
}

/** The fixed addresses of the topology (namespaces are private, so every test can use the same ones). */
export const ADDR = {
  pod4: '198.18.0.1',
  pod6: '2001:db8::1',
  peer4: '198.18.0.2',
  peer6: '2001:db8::2',
  /** Peer addresses in a second range, used as an excluded CIDR. */
  far4: '198.18.1.2',
  far6: '2001:db8:1::2',
  farNet4: '198.18.1.0/24',
  farNet6: '2001:db8:1::/64',
} as const;

/** Creates pod and peer namespaces joined by a veth pair, both families configured without DAD delay. The pod's lo
 * does not hold ::6 (the IPv6 inbound passthrough source): `biplane capture --apply` must add it. */
export async function createTopology(): Promise<Topology> {
  const id = randomBytes(4).toString('hex');
  const pod = `bp-pod-${id}`;
  const peer = `bp-peer-${id}`;
  const created: string[] = [];
  const destroy = async (): Promise<void> => {
    for (const ns of created) await run('ip', ['netns', 'del', ns]);
  };
  try {
    for (const ns of [pod, peer]) {
      await must('ip', ['netns', 'add', ns]);
      created.push(ns);
      await inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
    }
    await must('ip', ['-n', pod, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peer]);
    const setup: [string, string[]][] = [
      [pod, ['addr', 'add', `${ADDR.pod4}/24`, 'dev', 'eth0']],
      [pod, ['-6', 'addr', 'add', `${ADDR.pod6}/64`, 'dev', 'eth0', 'nodad']],
      [peer, ['addr', 'add', `${ADDR.peer4}/24`, 'dev', 'eth0']],
      [peer, ['addr', 'add', `${ADDR.far4}/24`, 'dev', 'eth0']],
      [peer, ['-6', 'addr', 'add', `${ADDR.peer6}/64`, 'dev', 'eth0', 'nodad']],
      [peer, ['-6', 'addr', 'add', `${ADDR.far6}/64`, 'dev', 'eth0', 'nodad']],
      [pod, ['link', 'set', 'eth0', 'up']],
      [peer, ['link', 'set', 'eth0', 'up']],
      [pod, ['route', 'add', ADDR.farNet4, 'via', ADDR.peer4]],
      [pod, ['-6', 'route', 'add', ADDR.farNet6, 'via', ADDR.peer6]],
    ];
    for (const [ns, args] of setup) await must('ip', ['-n', ns, ...args]);
  } catch (err) {
    await destroy();
    throw err;
  }
  return { pod, peer, destroy };
}

/** A TCP/UDP target for `probe`. */
export interface Target {
  readonly proto: 'tcp' | 'udp';
  readonly host: string;
  readonly port: number;
  /** Source address to bind (TCP only). */
  readonly from?: string;
}

/** What answered a probe: the listener's `<label>:<port>`, or an error code; for TCP also the probe's own source
 * port and, from a listener started with `peer: true`, the source address and port the listener saw. */
export interface ProbeResult extends Target {
  readonly reply?: string;
  readonly error?: string;
  readonly localPort?: number;
  readonly seenFrom?: { readonly address: string; readonly port: number };
}

/** Starts netns-listen.mjs in `ns` and resolves once it listens; `stop` ends it (by its own pid). */
export async function startListener(
  ns: string,
  spec: { label: string; tcp: number[]; udp?: { host: string; port: number }[]; peer?: boolean },
): Promise<{ stop(): void }> {
  const script = path.join(HERE, 'netns-listen.mjs');
  const json = JSON.stringify({ ...spec, maxMs: 120_000 });
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, script, json], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stop = (): void => {
    child.stdin.end();
    if (child.exitCode === null) child.kill();
  };
  const ready = await new Promise<string>((resolve) => {
    let out = '';
    const timer = setTimeout(() => resolve('timeout waiting for the listener'), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.split('\n')[0] ?? '');
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(`listener exited ${code}: ${out}`);
    });
  });
  if (ready !== '{"ready":true}') {
    stop();
    throw new Error(`listener in ${ns} (${spec.label}) failed: ${ready}`);
  }
  return { stop };
}

/** Probes `targets` from `ns`, optionally as another uid/gid (through setpriv), and returns what answered each. */
export async function probe(ns: string, targets: readonly Target[], as?: { uid: number; gid: number }): Promise<ProbeResult[]> {
  const script = path.join(HERE, 'netns-connect.mjs');
  const user = as ? ['setpriv', `--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups'] : [];
  const out = await inNs(ns, [...user, process.execPath, script, JSON.stringify({ targets, timeoutMs: 3000 })]);
  return JSON.parse(out) as ProbeResult[];
}

/** `probe` reduced to `host:port/proto → reply or error`, for one readable deepEqual per scenario. */
export async function answers(ns: string, targets: readonly Target[], as?: { uid: number; gid: number }): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const r of await probe(ns, targets, as)) {
    const host = r.host.includes(':') ? `[${r.host}]` : r.host;
    out[`${r.proto} ${host}:${r.port}`] = r.reply ?? `error ${r.error ?? '?'}`;
  }
  return out;
}
