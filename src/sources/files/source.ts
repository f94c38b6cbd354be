// The manifest-folder source: reads a folder (or one file) of manifests, watches it and applies each edit live. A bad
// document is reported and skipped while everything else, including the last good version of its object, keeps serving.
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Problem, SourceObject } from '../../model/types.ts';
import { keyString, ObjectStore } from '../store.ts';
import type { Source, SourceChange, SourceHealth } from '../types.ts';
import { combine, contributionOf } from './merge.ts';
import type { FileContribution } from './merge.ts';
import { parseFile } from './parse.ts';
import { DEFAULT_MAX_FILE_BYTES, listManifests, readManifest, readProblem } from './read.ts';

/** How a `FileSource` is set up. */
export interface FileSourceOptions {
  /** A folder (read recursively) or a single manifest file. */
  readonly path: string;
  /** Quiet time after a file-system event before re-reading, in ms (default 50). */
  readonly debounceMs?: number;
  /** Longest a burst of events may delay a re-read, in ms (default 10 × debounceMs). */
  readonly maxWaitMs?: number;
  /** Called with the whole current problem set whenever it changes. */
  readonly onProblems?: (problems: readonly Problem[]) => void;
  /**
   * How long an object must stay absent from the files before it is withdrawn, in ms (default 1000): editors save by
   * truncating then writing, or deleting then re-creating, and those moments must not withdraw live services.
   */
  readonly removalGraceMs?: number;
  /** Files larger than this are refused (default 16 MiB). */
  readonly maxFileBytes?: number;
  /** A re-read running longer than this makes the source unhealthy, in ms (default 10 s). */
  readonly stuckMs?: number;
}

/** How long a re-read may run before the source reports itself stuck. */
const DEFAULT_STUCK_MS = 10_000;

/** Longest `stop()` waits for a re-read in progress. */
const STOP_WAIT_MS = 2000;

interface FileState {
  readonly text: string;
  readonly contribution: FileContribution;
}

/** A `Source` over manifest files on disk, watched with fs.watch (one watcher per folder, renames included). */
export class FileSource implements Source {
  readonly #options: FileSourceOptions;
  readonly #store = new ObjectStore();
  readonly #watchers = new Map<string, FSWatcher>();
  #files = new Map<string, FileState>();
  /** Object key → when it was first found missing from the files, while it is still served within the grace. */
  readonly #missingSince = new Map<string, number>();
  #graceTimer: NodeJS.Timeout | undefined;
  #problems: readonly Problem[] = [];
  #timer: NodeJS.Timeout | undefined;
  #burstStart = 0;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  /** When the re-read in progress started (undefined when none runs), and why the last one could not read the root. */
  #readingSince: number | undefined;
  #failure: string | undefined;

  constructor(options: FileSourceOptions) {
    this.#options = options;
  }

  /** Reads everything once and starts watching; rejects only when the path does not exist at all. */
  async start(): Promise<void> {
    const listing = await listManifests(this.#options.path);
    if (!listing.exists) throw new Error(`manifests: no such file or folder: ${this.#options.path}`);
    this.#stopped = false;
    await this.#sync();
  }

  /** Closes every watcher and timer and waits (bounded) for a re-read in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#graceTimer);
    this.#timer = undefined;
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)));
    await Promise.race([this.#running, late]);
    clearTimeout(timer);
  }

  /** Every good object, sorted by kind, namespace, name. */
  objects(): readonly SourceObject[] {
    return this.#store.objects();
  }

  /** The problems of the files as they are now; a fixed file's problems are gone. */
  problems(): readonly Problem[] {
    return this.#problems;
  }

  /** Unhealthy while the folder cannot be read or a re-read has been running for longer than `stuckMs`. */
  health(): SourceHealth {
    const stuckMs = this.#options.stuckMs ?? DEFAULT_STUCK_MS;
    const since = this.#readingSince;
    if (since !== undefined && Date.now() - since > stuckMs) {
      return { ok: false, reason: `reading ${this.#options.path} has not finished after ${Math.round((Date.now() - since) / 1000)} s` };
    }
    if (this.#failure !== undefined) return { ok: false, reason: this.#failure };
    return { ok: true };
  }

  /** Called once per applied edit that really changed an object. */
  onChange(listener: (change: SourceChange) => void): () => void {
    return this.#store.onChange(listener);
  }

  /** Re-reads now (without waiting for a file-system event); resolves when the result is applied. */
  async refresh(): Promise<void> {
    await this.#sync();
  }

  #onEvent(): void {
    if (this.#stopped) return;
    const debounce = this.#options.debounceMs ?? 50;
    const maxWait = this.#options.maxWaitMs ?? debounce * 10;
    const now = Date.now();
    if (this.#timer === undefined) this.#burstStart = now;
    clearTimeout(this.#timer);
    const delay = Math.max(0, Math.min(debounce, this.#burstStart + maxWait - now));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#sync();
    }, delay);
  }

  /** Runs one re-read at a time; a request during a run schedules exactly one more. */
  #sync(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        this.#readingSince = Date.now();
        await this.#readAll().catch((err: unknown) => {
          this.#failure = `cannot read ${this.#options.path}: ${(err as Error).message ?? String(err)}`;
          this.#setProblems([readProblem(this.#options.path, err)]);
        });
        this.#readingSince = undefined;
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #readAll(): Promise<void> {
    const listing = await listManifests(this.#options.path);
    if (this.#stopped) return;
    // A vanished root is watched for from its parent folder, so re-creating it is noticed.
    this.#watch(listing.exists ? listing.dirs : [path.dirname(this.#options.path)]);
    const next = new Map<string, FileState>();
    const problems: Problem[] = [...listing.problems];
    if (!listing.exists) problems.push(readProblem(this.#options.path, 'no such file or folder'));
    this.#failure = listing.exists ? undefined : `cannot read ${this.#options.path}: no such file or folder`;
    for (const file of listing.files) {
      const previous = this.#files.get(file);
      let text: string;
      try {
        text = await readManifest(file, this.#options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        problems.push(readProblem(file, err));
        if (previous) next.set(file, previous);
        continue;
      }
      const same = previous !== undefined && previous.text === text;
      next.set(file, same ? previous : { text, contribution: contributionOf(parseFile(text, file), previous?.contribution) });
    }
    if (this.#stopped) return;
    this.#files = next;
    const owners = new Map(this.#store.objects().map((o) => [keyString(o.key), o.origin.file ?? '']));
    const combined = combine([...next.values()].map((s) => s.contribution), owners);
    this.#setProblems([...problems, ...combined.problems]);
    this.#store.replaceAll([...combined.objects, ...this.#withinGrace(combined.objects)]);
  }

  /**
   * The served objects that the files no longer define but that went missing less than the grace period ago: they
   * keep serving, and a re-read is scheduled for when the oldest grace ends.
   */
  #withinGrace(present: readonly SourceObject[]): SourceObject[] {
    const grace = this.#options.removalGraceMs ?? 1000;
    const now = Date.now();
    const keys = new Set(present.map((o) => keyString(o.key)));
    const kept: SourceObject[] = [];
    for (const k of [...this.#missingSince.keys()]) if (keys.has(k)) this.#missingSince.delete(k);
    for (const old of this.#store.objects()) {
      const k = keyString(old.key);
      if (keys.has(k)) continue;
      const since = this.#missingSince.get(k) ?? now;
      if (now - since >= grace) {
        this.#missingSince.delete(k);
        continue;
      }
      this.#missingSince.set(k, since);
      kept.push(old);
    }
    clearTimeout(this.#graceTimer);
    if (kept.length > 0 && !this.#stopped) {
      const due = Math.min(...[...this.#missingSince.values()]) + grace - now;
      this.#graceTimer = setTimeout(() => void this.#sync(), Math.max(0, due) + 5);
    }
    return kept;
  }

  #setProblems(problems: readonly Problem[]): void {
    if (JSON.stringify(problems) === JSON.stringify(this.#problems)) return;
    this.#problems = problems;
    this.#options.onProblems?.(problems);
  }

  /** Keeps exactly one watcher per folder in `dirs`; a watcher that fails is dropped and triggers a re-read. */
  #watch(dirs: readonly string[]): void {
    const wanted = new Set(dirs);
    for (const [dir, w] of this.#watchers) {
      if (wanted.has(dir)) continue;
      w.close();
      this.#watchers.delete(dir);
    }
    for (const dir of wanted) {
      if (this.#watchers.has(dir)) continue;
      try {
        const w = watch(dir, () => this.#onEvent());
        w.on('error', () => {
          w.close();
          this.#watchers.delete(dir);
          this.#onEvent();
        });
        this.#watchers.set(dir, w);
      } catch {
        // The folder vanished between listing and watching; the next re-read lists it again or drops it.
      }
    }
  }
}
