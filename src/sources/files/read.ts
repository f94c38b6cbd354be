// Finds the manifest files under a path (a folder, recursively, or one file) and reads them safely: every real folder
// is walked once (symlink loops cost nothing), links never lead out of the folder, and only regular files are read,
// each up to a size limit, without ever blocking (a FIFO or device named *.yaml is reported, not opened for reading).
// `loadManifests` loads a folder once, for the CLI commands that need its objects without watching it.
import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from '../../model/types.ts';
import { combine, contributionOf } from './merge.ts';
import { compareStrings } from '../../compare-strings.ts';
import type { FileContribution } from './merge.ts';
import { parseFile } from './parse.ts';
import type { ManifestLoad } from './parse.ts';

/** File name endings read as manifests. */
export const MANIFEST_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

/** The largest manifest file read by default (the API server's own request limit is 3 MiB per object). */
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;

/** How deep a folder tree is followed. */
const MAX_DEPTH = 32;

/** The manifest files under a path (sorted, joined onto the path as given) and the folders holding them. */
export interface Listing {
  /** False when the path itself does not exist or cannot be read. */
  readonly exists: boolean;
  readonly files: readonly string[];
  /** Folders to watch: the tree under a folder path, or the parent folder of a single file. */
  readonly dirs: readonly string[];
  /** Links that lead out of the folder, entries that are neither file nor folder, and unreadable folders. */
  readonly problems: readonly Problem[];
}

/** True for a file name biplane reads: a manifest extension, not hidden (editors' lock and swap files are). */
export function isManifestName(name: string): boolean {
  return !name.startsWith('.') && MANIFEST_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));
}

/** What a walk has seen so far: real folders and real files, so each is visited once. */
interface Walk {
  readonly root: string;
  readonly files: string[];
  readonly dirs: string[];
  readonly problems: Problem[];
  readonly seenDirs: Set<string>;
  readonly seenFiles: Set<string>;
}

/** Lists the manifest files at `target`: a single file is listed as itself, a folder recursively in sorted order. */
export async function listManifests(target: string): Promise<Listing> {
  const info = await stat(target).catch(() => undefined);
  if (!info) return { exists: false, files: [], dirs: [], problems: [] };
  if (!info.isDirectory()) return { exists: true, files: [target], dirs: [path.dirname(target)], problems: [] };
  const root = await realpath(target);
  const w: Walk = { root, files: [], dirs: [], problems: [], seenDirs: new Set([root]), seenFiles: new Set() };
  await walk(w, target, 0);
  return { exists: true, files: w.files.sort(compareStrings), dirs: w.dirs.sort(compareStrings), problems: w.problems };
}

function inside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(path.sep) ? root : `${root}${path.sep}`);
}

async function walk(w: Walk, dir: string, depth: number): Promise<void> {
  w.dirs.push(dir);
  if (depth >= MAX_DEPTH) return;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  entries.sort((a, b) => compareStrings(a.name, b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (!entry.isSymbolicLink() && !entry.isDirectory() && !isManifestName(entry.name)) continue;
    const real = await realpath(full).catch(() => undefined);
    if (real === undefined) continue; // a dangling link, or gone since the listing
    if (!inside(w.root, real)) {
      w.problems.push(listProblem(full, `is a link to ${real}, outside the manifest folder: not followed`));
      continue;
    }
    const info = await stat(real).catch(() => undefined);
    if (info?.isDirectory()) {
      if (w.seenDirs.has(real)) continue;
      w.seenDirs.add(real);
      await walk(w, full, depth + 1);
    } else if (isManifestName(entry.name) && !w.seenFiles.has(real)) {
      w.seenFiles.add(real);
      w.files.push(full);
    }
  }
}

function listProblem(file: string, message: string): Problem {
  return { severity: 'warning', message: `${file} ${message}`, origin: { source: 'files', file } };
}

/**
 * Reads one manifest file as UTF-8. Opening never blocks (O_NONBLOCK), and anything but a regular file, or a file
 * over `maxBytes`, is refused with an error whose message says why.
 */
export async function readManifest(file: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw Object.assign(new Error(`not a regular file (${kindOf(info)})`), { code: 'ENOTREG' });
    if (info.size > maxBytes) throw Object.assign(new Error(`larger than the ${maxBytes}-byte limit (${info.size} bytes)`), { code: 'EFBIG' });
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > maxBytes) throw Object.assign(new Error(`grew past the ${maxBytes}-byte limit while being read`), { code: 'EFBIG' });
    return buffer.subarray(0, filled).toString('utf8');
  } finally {
    await handle.close();
  }
}

function kindOf(info: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean }): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return info.isDirectory() ? 'a folder' : 'a special file';
}

/** The problem for a path or file that cannot be read. */
export function readProblem(file: string, err: unknown): Problem {
  const e = err as NodeJS.ErrnoException;
  const reason = typeof err === 'string' ? err : e.code === 'ENOTREG' || e.code === 'EFBIG' ? e.message : (e.code ?? String(err));
  return { severity: 'error', message: `cannot read ${file}: ${reason}`, origin: { source: 'files', file } };
}

/** Loads every manifest under `target` once: objects in deterministic order, problems for everything skipped. */
export async function loadManifests(target: string): Promise<ManifestLoad> {
  const listing = await listManifests(target);
  if (!listing.exists) return { objects: [], problems: [readProblem(target, 'no such file or folder')] };
  const contributions: FileContribution[] = [];
  const problems: Problem[] = [...listing.problems];
  for (const file of listing.files) {
    try {
      contributions.push(contributionOf(parseFile(await readManifest(file), file), undefined));
    } catch (err) {
      problems.push(readProblem(file, err));
    }
  }
  const combined = combine(contributions);
  return { objects: combined.objects, problems: [...problems, ...combined.problems] };
}
