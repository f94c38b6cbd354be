// What every golden test shares: whether this run rewrites golden files (UPDATE_GOLDEN=1, never under CI, where a
// golden is only ever compared), one compare-or-write step, and a case's input.yaml: the settings of one case and an
// explicit `include:` list of the manifest files it reads, so each case names its whole input in its own folder.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { dedupe, loadManifests, type ManifestLoad } from '../../src/sources/files/index.ts';
import { underCi } from './requirements.ts';

/** True when UPDATE_GOLDEN=1 asks to rewrite goldens and this is not CI (CI only compares, whatever it is told). */
export function updatingGoldens(): boolean {
  return process.env['UPDATE_GOLDEN'] === '1' && !underCi();
}

/** Rewrites the golden `file` with `actual` when updating; otherwise asserts the file holds exactly `actual`. */
export function matchGolden(file: string, actual: string, label: string): void {
  if (updatingGoldens()) {
    writeFileSync(file, actual);
    return;
  }
  const hint = underCi() ? 'goldens are never rewritten under CI' : 'UPDATE_GOLDEN=1 accepts it';
  assert.ok(existsSync(file), `${label} is missing (${hint})`);
  assert.equal(actual, readFileSync(file, 'utf8'), `${label} differs (${hint})`);
}

/** When updating, deletes the files in `dir` ending in `suffix` that are not among `kept` (stale goldens). */
export function removeStaleGoldens(dir: string, suffix: string, kept: readonly string[]): void {
  if (!updatingGoldens()) return;
  for (const f of readdirSync(dir)) if (f.endsWith(suffix) && !kept.includes(f)) rmSync(path.join(dir, f));
}

/** The sorted names of the case folders under `root` that hold an input.yaml. */
export function caseNames(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, 'input.yaml')))
    .map((d) => d.name)
    .sort();
}

/** One case's input.yaml: its settings as written, and the absolute paths of the manifests it includes, in order. */
export interface CaseInput {
  readonly dir: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly include: readonly string[];
}

/** Reads `<dir>/input.yaml`; a key outside `known` (or a missing or empty `include:`) fails, so a typo cannot pass. */
export function readCaseInput(dir: string, known: readonly string[]): CaseInput {
  const file = path.join(dir, 'input.yaml');
  const raw = parse(readFileSync(file, 'utf8')) as unknown;
  assert.ok(raw !== null && typeof raw === 'object' && !Array.isArray(raw), `${file}: a mapping of settings`);
  const { include, ...settings } = raw as Record<string, unknown>;
  const unknown = Object.keys(settings).filter((k) => !known.includes(k));
  assert.deepEqual(unknown, [], `${file}: unknown keys (known: include, ${known.join(', ')})`);
  assert.ok(Array.isArray(include) && include.length > 0 && include.every((f) => typeof f === 'string'), `${file}: include: a list of manifest files`);
  return { dir, settings, include: include.map((f: string) => path.resolve(dir, f)) };
}

/** Every object of the included manifest files, loaded by the library's file loader and deduplicated across files. */
export async function loadCaseManifests(include: readonly string[]): Promise<ManifestLoad> {
  const loads = await Promise.all(include.map((f) => loadManifests(f)));
  const merged = dedupe(loads.flatMap((l) => l.objects));
  return { objects: merged.objects, problems: [...loads.flatMap((l) => l.problems), ...merged.problems] };
}
