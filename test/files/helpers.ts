// Shared by the manifest-source tests: temp folders that clean up, and bounded waits on a source's notifications.
import { mkdtemp, rm } from 'node:fs/promises';
import { afterEach, beforeEach } from 'node:test';
import os from 'node:os';
import path from 'node:path';
import type { Problem } from '../../src/model/types.ts';
import { FileSource } from '../../src/sources/files/index.ts';
import type { SourceChange } from '../../src/sources/types.ts';

/** A temp folder removed by `cleanup`. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'biplane-files-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A started FileSource that records every change and wakes waiters on changes and problem updates. */
export class Watched {
  readonly source: FileSource;
  readonly changes: SourceChange[] = [];
  #wake: (() => void) | undefined;

  constructor(target: string) {
    this.source = new FileSource({ path: target, debounceMs: 30, onProblems: () => this.#wake?.() });
    this.source.onChange((change) => {
      this.changes.push(change);
      this.#wake?.();
    });
  }

  /** Resolves once `check` holds, re-checking after each change or problem update; rejects after `timeoutMs`. */
  async until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** The names of the current objects, `Kind/ns/name`. */
  names(): string[] {
    return this.source.objects().map((o) => `${o.key.kind}/${o.key.namespace}/${o.key.name}`);
  }

  /** The current problems with severity error. */
  errors(): readonly Problem[] {
    return this.source.problems().filter((p) => p.severity === 'error');
  }
}

/** A minimal valid Service manifest (one YAML document, no leading `---`). */
export function serviceYaml(name: string, ip = '10.96.0.10', namespace = 'demo'): string {
  return [
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    'spec:',
    `  clusterIPs: ["${ip}"]`,
    '  ports:',
    '    - { name: http, port: 80 }',
    '',
  ].join('\n');
}

/**
 * Registers hooks giving each test of the enclosing `describe` a fresh temp folder, and a `start()` that watches it
 * (the initial load cleared from `changes`); the source is stopped and the folder removed after each test.
 */
export function watchedFolder(): { dir: () => string; start: (target?: string) => Promise<Watched> } {
  let dir = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let watched: Watched | undefined;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    await watched?.source.stop();
    watched = undefined;
    await cleanup();
  });
  return {
    dir: () => dir,
    async start(target = dir) {
      watched = new Watched(target);
      await watched.source.start();
      watched.changes.length = 0; // the initial load is a change too; tests look at what follows it
      return watched;
    },
  };
}
