// Decides which objects each manifest file contributes after an edit (holding the last good version of an object whose
// document went bad) and combines the files into one object set, the first definition of a key winning.
import type { Problem, SourceObject } from '../../model/types.ts';
import { keyString } from '../store.ts';
import { dedupe } from './parse.ts';
import type { ManifestLoad, ParsedFile } from './parse.ts';

/** One object a file contributes, with the position of the document it came from. */
export interface FileEntry {
  readonly document: number;
  readonly object: SourceObject;
}

/** What one file contributes now: its entries (good or held) and the problems found in it. */
export interface FileContribution {
  readonly file: string;
  readonly entries: readonly FileEntry[];
  readonly problems: readonly Problem[];
}

/**
 * The contribution of a freshly parsed file. An object the previous contribution had and the new text lacks is kept
 * (its last good version) when a bad document still seems to define it: same key when the bad document's key could be
 * read, else same document position. An object whose document is gone, or valid and different, is dropped.
 */
export function contributionOf(parsed: ParsedFile, previous: FileContribution | undefined): FileContribution {
  const fresh = parsed.documents.flatMap((d) => d.objects.map((object) => ({ document: d.index, object })));
  const freshKeys = new Set(fresh.map((e) => keyString(e.object.key)));
  const badKeys = new Set(parsed.documents.flatMap((d) => d.badKeys.map(keyString)));
  const unreadable = new Set(parsed.documents.filter((d) => d.bad && d.badKeys.length === 0).map((d) => d.index));
  const held = (previous?.entries ?? []).filter((e) => {
    const k = keyString(e.object.key);
    return !freshKeys.has(k) && (badKeys.has(k) || unreadable.has(e.document));
  });
  const entries = [...fresh, ...held].sort((a, b) => a.document - b.document);
  return { file: parsed.file, entries, problems: [...parsed.problems, ...held.map(heldProblem)] };
}

function heldProblem(entry: FileEntry): Problem {
  const o = entry.object.origin;
  return {
    severity: 'warning',
    message: `${o.object ?? 'object'}: its document is invalid, still serving the last good version (from ${o.file ?? '?'}:${o.line ?? '?'})`,
    origin: o,
  };
}

/** Combines file contributions (in sorted file order) into one object set; later duplicates are reported and skipped. */
export function combine(files: readonly FileContribution[]): ManifestLoad {
  const deduped = dedupe(files.flatMap((f) => f.entries.map((e) => e.object)));
  const problems = [...files.flatMap((f) => f.problems), ...deduped.problems];
  const objects = deduped.objects.sort((a, b) => compareStrings(keyString(a.key), keyString(b.key)));
  return { objects, problems: sortProblems(problems) };
}

/** Problems ordered by file, then line (stable otherwise), so output and tests are deterministic. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => {
    const fa = a.origin.file ?? '';
    const fb = b.origin.file ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    return (a.origin.line ?? 0) - (b.origin.line ?? 0);
  });
}


/** Plain code-unit order, so the file order (and so which duplicate wins) does not depend on the locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
