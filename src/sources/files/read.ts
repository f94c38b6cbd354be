// Finds the manifest files under a path (a folder, recursively, or one file) and loads them once, for CLI commands
// (translate, bootstrap, capture, analyze) that need the objects of a folder without watching it.
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from '../../model/types.ts';
import { combine, compareStrings, contributionOf } from './merge.ts';
import type { FileContribution } from './merge.ts';
import { parseFile } from './parse.ts';
import type { ManifestLoad } from './parse.ts';

/** File name endings read as manifests. */
export const MANIFEST_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

/** How deep a folder tree is followed; guards against symlink loops. */
const MAX_DEPTH = 32;

/** The manifest files under a path (sorted, joined onto the path as given) and the folders holding them. */
export interface Listing {
  /** False when the path itself does not exist or cannot be read. */
  readonly exists: boolean;
  readonly files: readonly string[];
  /** Folders to watch: the tree under a folder path, or the parent folder of a single file. */
  readonly dirs: readonly string[];
}

/** True for a file name biplane reads: a manifest extension, not hidden (editors' lock and swap files are). */
export function isManifestName(name: string): boolean {
  return !name.startsWith('.') && MANIFEST_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));
}

/** Lists the manifest files at `target`: a single file is listed as itself, a folder recursively in sorted order. */
export async function listManifests(target: string): Promise<Listing> {
  const info = await stat(target).catch(() => undefined);
  if (!info) return { exists: false, files: [], dirs: [] };
  if (!info.isDirectory()) return { exists: true, files: [target], dirs: [path.dirname(target)] };
  const files: string[] = [];
  const dirs: string[] = [];
  await walk(target, 0, files, dirs);
  return { exists: true, files: files.sort(compareStrings), dirs: dirs.sort(compareStrings) };
}

async function walk(dir: string, depth: number, files: string[], dirs: string[]): Promise<void> {
  dirs.push(dir);
  if (depth >= MAX_DEPTH) return;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isDirectory() === true);
    if (isDir) await walk(full, depth + 1, files, dirs);
    else if (isManifestName(entry.name)) files.push(full);
  }
}

/** The problem for a path or file that cannot be read. */
export function readProblem(file: string, err: unknown): Problem {
  const reason = typeof err === 'string' ? err : ((err as NodeJS.ErrnoException).code ?? String(err));
  return { severity: 'error', message: `cannot read ${file}: ${reason}`, origin: { source: 'files', file } };
}

/** Loads every manifest under `target` once: objects in deterministic order, problems for everything skipped. */
export async function loadManifests(target: string): Promise<ManifestLoad> {
  const listing = await listManifests(target);
  if (!listing.exists) return { objects: [], problems: [readProblem(target, 'no such file or folder')] };
  const contributions: FileContribution[] = [];
  const problems: Problem[] = [];
  for (const file of listing.files) {
    try {
      contributions.push(contributionOf(parseFile(await readFile(file, 'utf8'), file), undefined));
    } catch (err) {
      problems.push(readProblem(file, err));
    }
  }
  const combined = combine(contributions);
  return { objects: combined.objects, problems: [...problems, ...combined.problems] };
}
