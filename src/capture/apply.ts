// The only part of capture that does I/O: it runs iptables-save / *-restore / nft (and `ip` for the IPv6
// passthrough source on lo) in the current network namespace.
// Each family's change is one restore transaction (old biplane rules removed and new ones added together), and nft
// applies its file atomically, so a failure leaves the previous state in place.
import { spawn } from 'node:child_process';
import type { IPFamily } from '../model/types.ts';
import { iptablesCleanupLines, withCleanup } from './cleanup.ts';
import type { CaptureBackend, CaptureConfig } from './config.ts';
import { natTransaction } from './iptables.ts';
import { nftablesCleanFile } from './nftables.ts';
import { captureRules, loopbackAddresses } from './rules.ts';

const TOOLS: Readonly<Record<IPFamily, { save: string; restore: string }>> = {
  IPv4: { save: 'iptables-save', restore: 'iptables-restore' },
  IPv6: { save: 'ip6tables-save', restore: 'ip6tables-restore' },
};

/** Upper bound for any one tool run, so a wedged binary cannot hang the CLI. */
const TOOL_TIMEOUT_MS = 30_000;

/** Runs `cmd args` with `input` on stdin; resolves stdout, rejects with the tool's stderr on failure. */
export function runTool(cmd: string, args: readonly string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: TOOL_TIMEOUT_MS });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new Error(`${cmd}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${err.trim()}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

async function restoreFamily(family: IPFamily, input: string): Promise<void> {
  const save = await runTool(TOOLS[family].save, ['-t', 'nat']);
  await runTool(TOOLS[family].restore, ['--noflush'], withCleanup(input, iptablesCleanupLines(save)));
}

/** Adds the passthrough source addresses lo lacks (`ip addr replace`: adding one that is there already is no error). */
async function addLoopbackAddresses(config: CaptureConfig): Promise<void> {
  for (const address of loopbackAddresses(config)) await runTool('ip', ['-6', 'addr', 'replace', address, 'dev', 'lo']);
}

/**
 * Applies the rules for `config`, replacing any earlier biplane rules, after putting the passthrough source
 * addresses on lo; returns the rule text that was applied.
 */
export async function applyCapture(config: CaptureConfig): Promise<string[]> {
  const rules = captureRules(config);
  await addLoopbackAddresses(config);
  if (rules.nftables !== undefined) {
    await runTool('nft', ['-f', '-'], rules.nftables);
    return [rules.nftables];
  }
  const applied: string[] = [];
  for (const [family, text] of [['IPv4', rules.iptables?.v4], ['IPv6', rules.iptables?.v6]] as const) {
    if (text === undefined) continue;
    await restoreFamily(family, text);
    applied.push(text);
  }
  return applied;
}

/** Removes biplane's chains and jumps (iptables, both families) or its table (nftables); leaves all else alone. */
export async function cleanCapture(backend: CaptureBackend): Promise<void> {
  if (backend === 'nftables') {
    await runTool('nft', ['-f', '-'], nftablesCleanFile());
    return;
  }
  for (const family of ['IPv4', 'IPv6'] as const) {
    const lines = iptablesCleanupLines(await runTool(TOOLS[family].save, ['-t', 'nat']));
    if (lines.length > 0) await runTool(TOOLS[family].restore, ['--noflush'], natTransaction(family, lines));
  }
}
