// What to remove before (re)applying or on `--clean`, computed from `iptables-save` output: per table biplane writes
// (mangle, nat), the jumps from built-in chains into biplane's chains, then biplane's chains themselves. Nothing
// else is touched. The same dump also gives back biplane's previous rules, to roll back a failed apply.
import { CHAIN_PREFIX, TABLES } from './names.ts';
import type { IptablesTable, TableLines } from './names.ts';

const BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/** One table's section of an iptables-save dump (empty when the dump has no such table). */
function tableSection(save: string, table: IptablesTable): string[] {
  const lines = save.split('\n').map((l) => l.trim());
  const start = lines.indexOf(`*${table}`);
  if (start < 0) return [];
  const end = lines.indexOf('COMMIT', start);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** biplane chains present in `table` of the dump, sorted. */
export function biplaneChains(save: string, table: IptablesTable = 'nat'): string[] {
  return tableSection(save, table)
    .filter((l) => l.startsWith(`:${CHAIN_PREFIX}`))
    .map((l) => l.slice(1).split(' ')[0] ?? '')
    .sort();
}

/** `-A` rules of built-in chains of `table` that jump to a biplane chain, as printed by iptables-save. */
export function biplaneJumps(save: string, table: IptablesTable = 'nat'): string[] {
  return tableSection(save, table).filter((l) => {
    const parts = l.split(/\s+/);
    const target = parts[parts.indexOf('-j') + 1] ?? '';
    return parts[0] === '-A' && BUILTIN.has(parts[1] ?? '') && parts.includes('-j') && target.startsWith(CHAIN_PREFIX);
  });
}

/** Restore lines that delete every biplane jump and chain of `table` found in `save`; empty when nothing is ours. */
export function iptablesCleanupLines(save: string, table: IptablesTable = 'nat'): string[] {
  const chains = biplaneChains(save, table);
  return [
    ...biplaneJumps(save, table).map((l) => `-D${l.slice(2)}`),
    ...chains.map((c) => `-F ${c}`),
    ...chains.map((c) => `-X ${c}`),
  ];
}

/** `iptablesCleanupLines` for every table biplane writes; tables with nothing of ours are left out. */
export function iptablesCleanup(save: string): TableLines {
  const out: Partial<Record<IptablesTable, string[]>> = {};
  for (const table of TABLES) {
    const lines = iptablesCleanupLines(save, table);
    if (lines.length > 0) out[table] = lines;
  }
  return out;
}

/** biplane's rules in `save` as restore lines (chain declarations, their rules, the jumps), per table. */
export function biplaneRules(save: string): TableLines {
  const out: Partial<Record<IptablesTable, string[]>> = {};
  for (const table of TABLES) {
    const section = tableSection(save, table);
    const chains = section.filter((l) => l.startsWith(`:${CHAIN_PREFIX}`)).map((l) => `${l.split(' ')[0]} - [0:0]`);
    const rules = section.filter((l) => l.startsWith(`-A ${CHAIN_PREFIX}`));
    if (chains.length > 0) out[table] = [...chains, ...rules, ...biplaneJumps(save, table)];
  }
  return out;
}

/** Per table, `first` lines then `then` lines: cleanup ahead of rules, so each table changes in one commit. */
export function joinTables(first: TableLines, then: TableLines): TableLines {
  const out: Partial<Record<IptablesTable, readonly string[]>> = {};
  for (const table of TABLES) {
    const a = first[table];
    const b = then[table];
    if (a !== undefined || b !== undefined) out[table] = [...(a ?? []), ...(b ?? [])];
  }
  return out;
}
