// The only part of capture that does I/O: it runs iptables-save / *-restore / nft / ip in the current network
// namespace. A pod with IPv6 first gets `::6/128` on lo, the sidecar's IPv6 inbound passthrough source. Each
// family's change is one restore input (old biplane rules removed and new ones added together, in every table
// biplane writes); the tool commits it table by table, so a failure puts biplane's previous rules back. nft applies
// its file atomically. TPROXY's policy routes go in before the marks that use them and are removed after them, so no
// marked packet ever misses its route.
import { spawn } from 'node:child_process';
import type { IPFamily } from '../model/types.ts';
import { biplaneRules, iptablesCleanup, joinTables } from './cleanup.ts';
import type { CaptureBackend, CaptureConfig } from './config.ts';
import { restoreInput } from './iptables.ts';
import { FAMILY_ADDRESSES, TABLES } from './names.ts';
import type { TableLines } from './names.ts';
import { nftablesCleanFile } from './nftables.ts';
import { policyRoutes } from './routing.ts';
import type { PolicyRoute, PolicyRouting } from './routing.ts';
import { captureRules, iptablesFamilies, loopbackAddresses } from './rules.ts';

const TOOLS: Readonly<Record<IPFamily, { save: string; restore: string }>> = {
  IPv4: { save: 'iptables-save', restore: 'iptables-restore' },
  IPv6: { save: 'ip6tables-save', restore: 'ip6tables-restore' },
};

const FAMILIES: readonly IPFamily[] = ['IPv4', 'IPv6'];

/** Upper bound for any one tool run, so a wedged binary cannot hang the CLI. */
const TOOL_TIMEOUT_MS = 30_000;

/** Most copies of one policy-routing entry `--clean` deletes (`ip rule add` run by hand may have duplicated it). */
const MAX_DUPLICATES = 16;

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

function isEmpty(tables: TableLines): boolean {
  return TABLES.every((t) => tables[t] === undefined);
}

/** Replaces biplane's rules of `family` (every table) with `tables` in one restore input; if the tool fails part
 * way, biplane's rules from before are restored and the error says so. Resolves the input that was applied. */
export async function restoreTables(family: IPFamily, tables: TableLines): Promise<string> {
  const { save, restore } = TOOLS[family];
  const before = await runTool(save, []);
  const input = restoreInput(family, joinTables(iptablesCleanup(before), tables));
  try {
    await runTool(restore, ['--noflush'], input);
    return input;
  } catch (err) {
    const rollback = joinTables(iptablesCleanup(await runTool(save, [])), biplaneRules(before));
    const undo = isEmpty(rollback) ? undefined : restoreInput(family, rollback);
    const undone = undo === undefined ? Promise.resolve('') : runTool(restore, ['--noflush'], undo);
    const note = await undone.then(
      () => `biplane's previous ${family} rules were put back`,
      (e: Error) => `putting biplane's previous ${family} rules back failed too: ${e.message}`,
    );
    throw new Error(`${(err as Error).message}\n(${note})`);
  }
}

async function present(route: PolicyRoute): Promise<boolean> {
  const out = await runTool('ip', route.show).catch(() => '');
  return out.trim() !== '';
}

/** Adds `route` unless it is there already. */
async function ensureRoute(route: PolicyRoute): Promise<void> {
  if (!(await present(route))) await runTool('ip', route.add);
}

/** Deletes every copy of `route`; nothing to do when it is absent. */
async function removeRoute(route: PolicyRoute): Promise<void> {
  for (let i = 0; i < MAX_DUPLICATES && (await present(route)); i++) await runTool('ip', route.del);
}

/** Removes biplane's policy routing for `routing` in every family except `keep`. */
async function removeRoutes(routing: PolicyRouting, keep: readonly IPFamily[] = []): Promise<void> {
  for (const family of FAMILIES.filter((f) => !keep.includes(f))) {
    for (const route of policyRoutes(family, routing).reverse()) await removeRoute(route);
  }
}

/** Adds the passthrough source addresses lo lacks (`ip addr replace`: adding one that is there already is no error). */
async function addLoopbackAddresses(config: CaptureConfig): Promise<void> {
  for (const address of loopbackAddresses(config)) await runTool('ip', ['-6', 'addr', 'replace', address, 'dev', 'lo']);
}

/** Removes the `::6` that `--apply` puts on lo; nothing to do when it is absent. */
async function removeLoopbackAddresses(): Promise<void> {
  const address = FAMILY_ADDRESSES.IPv6.passthrough;
  const shown = await runTool('ip', ['-6', 'addr', 'show', 'dev', 'lo', 'to', address]).catch(() => '');
  if (shown.trim() !== '') await runTool('ip', ['-6', 'addr', 'del', address, 'dev', 'lo']);
}

/**
 * Applies the rules for `config`, replacing any earlier biplane rules (and routes), after putting the passthrough
 * source addresses on lo; returns the text applied.
 */
export async function applyCapture(config: CaptureConfig): Promise<string[]> {
  const rules = captureRules(config);
  await addLoopbackAddresses(config);
  const routes = [...(rules.routes?.v4 ?? []), ...(rules.routes?.v6 ?? [])];
  for (const route of routes) await ensureRoute(route);
  const applied: string[] = [];
  if (rules.nftables !== undefined) {
    await runTool('nft', ['-f', '-'], rules.nftables);
    applied.push(rules.nftables);
  } else {
    for (const { family, tables } of iptablesFamilies(config)) applied.push(await restoreTables(family, tables));
  }
  const routing = { mark: config.tproxyMark, table: config.tproxyRouteTable };
  await removeRoutes(routing, [...new Set(routes.map((r) => r.family))]);
  return applied;
}

/** Removes biplane's chains and jumps (iptables: mangle and nat, both families) or its table (nftables), then its
 * policy routes for `routing` and the `::6` apply put on lo; leaves all else alone, and does nothing the second time. */
export async function cleanCapture(backend: CaptureBackend, routing: PolicyRouting): Promise<void> {
  if (backend === 'nftables') {
    await runTool('nft', ['-f', '-'], nftablesCleanFile());
  } else {
    for (const family of FAMILIES) {
      const cleanup = iptablesCleanup(await runTool(TOOLS[family].save, []));
      if (!isEmpty(cleanup)) await runTool(TOOLS[family].restore, ['--noflush'], restoreInput(family, cleanup));
    }
  }
  await removeRoutes(routing);
  await removeLoopbackAddresses();
}
