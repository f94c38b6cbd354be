// YAML aliases within a budget. The yaml library refuses a document once aliases are used more than `maxAliasCount`
// times, which rejects legitimate manifests (an anchor reused on 120 endpoints); turning the check off instead opens
// the door to alias bombs. This counts what resolving every alias would add, in nodes, memoised per node so even a
// bomb is measured in linear time, and resolves the document only when that stays within the budget.
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, Node } from 'yaml';

/** Nodes that resolving aliases may add to one document before it is refused. */
export const ALIAS_EXPANSION_BUDGET = 100_000;

/** The document as plain JavaScript; throws an Error saying why when its aliases expand past `budget` nodes. */
export function toJsWithinBudget(doc: Document.Parsed, budget = ALIAS_EXPANSION_BUDGET): unknown {
  const added = aliasExpansion(doc);
  if (added > budget) {
    const shown = Number.isFinite(added) ? `${added} nodes` : 'a recursive alias';
    throw new Error(`YAML aliases would expand to ${shown}, over the budget of ${budget}: document refused`);
  }
  return doc.toJS({ maxAliasCount: -1 });
}

/** How many nodes resolving every alias of `doc` adds (Infinity for a recursive alias). */
export function aliasExpansion(doc: Document.Parsed): number {
  const sizes = new Map<unknown, number>();
  const open = new Set<unknown>();
  let added = 0;
  const size = (node: unknown): number => {
    if (node === null || node === undefined || isScalar(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (open.has(node)) return Infinity;
    open.add(node);
    let total = 1;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      total = target === undefined ? 1 : size(target);
      added += total;
    } else if (isMap(node) || isSeq(node)) {
      for (const item of node.items as unknown[]) total += isPair(item) ? size(item.key) + size(item.value) : size(item);
    }
    open.delete(node);
    sizes.set(node, total);
    return total;
  };
  size(doc.contents as Node | null);
  return added;
}
