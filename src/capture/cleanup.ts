// What to remove before (re)applying or on `--clean`, computed from `iptables-save -t nat` output: the jumps from
// built-in chains into biplane's chains, then biplane's chains themselves. Nothing else is touched.
import { CHAIN_PREFIX } from './iptables.ts';

const BUILTIN = new Set(['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']);

/** The nat table section of an iptables-save dump (empty when the dump has no nat table). */
function natSection(save: string): string[] {
  const lines = save.split('\n').map((l) => l.trim());
  const start = lines.indexOf('*nat');
  if (start < 0) return [];
  const end = lines.indexOf('COMMIT', start);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** biplane chains present in the dump, sorted. */
export function biplaneChains(save: string): string[] {
  return natSection(save)
    .filter((l) => l.startsWith(`:${CHAIN_PREFIX}`))
    .map((l) => l.slice(1).split(' ')[0] ?? '')
    .sort();
}

/** `-A` rules of built-in chains that jump to a biplane chain, as printed by iptables-save. */
export function biplaneJumps(save: string): string[] {
  return natSection(save).filter((l) => {
    const parts = l.split(/\s+/);
    const target = parts[parts.indexOf('-j') + 1] ?? '';
    return parts[0] === '-A' && BUILTIN.has(parts[1] ?? '') && parts.includes('-j') && target.startsWith(CHAIN_PREFIX);
  });
}

/** Restore lines that delete every biplane jump and chain found in `save`; empty when there is nothing of ours. */
export function iptablesCleanupLines(save: string): string[] {
  const chains = biplaneChains(save);
  return [
    ...biplaneJumps(save).map((l) => `-D${l.slice(2)}`),
    ...chains.map((c) => `-F ${c}`),
    ...chains.map((c) => `-X ${c}`),
  ];
}

/** `restore` input with `cleanup` lines inserted right after `*nat`, so removal and re-creation are one transaction. */
export function withCleanup(restoreInput: string, cleanup: readonly string[]): string {
  if (cleanup.length === 0) return restoreInput;
  return restoreInput.replace(/^\*nat$/m, ['*nat', ...cleanup].join('\n'));
}
