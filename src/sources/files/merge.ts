// Decides which objects each manifest file contributes after an edit (holding the last good version of an object whose
// document went bad) and combines the files into one object set, the first definition of a key winning.
import type { Problem, SourceObject } from '../../model/types.ts';
import { compareStrings } from '../../compare-strings.ts';
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
 * The contribution of a freshly parsed file. While any part of the file is bad (a YAML error, a rejected document or
 * object), every object the previous contribution had and the new text lacks is kept at its last good version: a
 * half-written or garbled file never withdraws anything. Only a file that parses cleanly drops what it no longer has.
 */
export function contributionOf(parsed: ParsedFile, previous: FileContribution | undefined): FileContribution {
  const fresh = parsed.documents.flatMap((d) => d.objects.map((object) => ({ document: d.index, object })));
  const freshKeys = new Set(fresh.map((e) => keyString(e.object.key)));
  const bad = parsed.documents.some((d) => d.bad) || parsed.problems.some((p) => p.severity === 'error');
  const held = bad ? (previous?.entries ?? []).filter((e) => !freshKeys.has(keyString(e.object.key))) : [];
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

/**
 * Combines file contributions (in sorted file order) into one object set; later duplicates are reported and skipped.
 * `owners` (object key → file) names the file that already serves a key: its definition wins over a newcomer's,
 * whatever the file order, so adding a file can never take over an object that is being served.
 */
export function combine(files: readonly FileContribution[], owners?: ReadonlyMap<string, string>): ManifestLoad {
  const all = files.flatMap((f) => f.entries.map((e) => e.object));
  const owned = (o: SourceObject): number => (owners?.get(keyString(o.key)) === o.origin.file ? 0 : 1);
  const deduped = dedupe(owners ? [...all].sort((a, b) => owned(a) - owned(b)) : all);
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


