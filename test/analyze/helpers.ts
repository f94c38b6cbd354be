// Runs `biplane analyze` in-process (console captured) and finds fixture lines, so tests check real locations.
import { readFileSync } from 'node:fs';
import { command } from '../../src/cli/analyze.ts';
import type { AnalyzeSummary, Finding } from '../../src/analyze/index.ts';

/** The exit code and what the command printed. */
export interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the analyze command with `args`, capturing stdout (string writes) and console output. */
export async function runAnalyze(args: readonly string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const log = console.log;
  const error = console.error;
  // The test runner reports to its parent over stdout with Buffers; only string writes are ours.
  process.stdout.write = ((s: string | Uint8Array, ...rest: unknown[]) =>
    typeof s === 'string' ? (out.push(s), true) : write(s, ...(rest as []))) as typeof process.stdout.write;
  console.log = (s: unknown) => out.push(`${String(s)}\n`);
  console.error = (s: unknown) => err.push(`${String(s)}\n`);
  try {
    return { code: await command.run(args), out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = write;
    console.log = log;
    console.error = error;
  }
}

/** The JSON report of a fixture case (or any path), with the exit code. */
export async function analyzeJson(
  path: string,
  extra: readonly string[] = [],
): Promise<{ code: number; findings: Finding[]; summary: AnalyzeSummary }> {
  const run = await runAnalyze(['--manifests', path, '--format', 'json', ...extra]);
  const parsed = JSON.parse(run.out) as { findings: Finding[]; summary: AnalyzeSummary };
  return { code: run.code, ...parsed };
}

/** `testdata/analyze/<name>`. */
export function fixture(name: string): string {
  return `testdata/analyze/${name}`;
}

/** The 1-based line of the `nth` (1-based) line of `file` containing `text`; throws when there is none. */
export function lineOf(file: string, text: string, nth = 1): number {
  let seen = 0;
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.includes(text) && ++seen === nth) return i + 1;
  }
  throw new Error(`${JSON.stringify(text)} (#${nth}) not found in ${file}`);
}

/** The findings with one code. */
export function withCode(findings: readonly Finding[], code: Finding['code']): Finding[] {
  return findings.filter((f) => f.code === code);
}
