// Runs `biplane analyze` in-process (console captured) and finds fixture lines, so tests check real locations.
import { readFileSync } from 'node:fs';
import { command } from '../../src/cli/analyze.ts';
import type { AnalyzeSummary, Finding } from '../../src/analyze/index.ts';
import { captureCli, type CliRun } from '../support/cli-output.ts';

/** Runs the analyze command with `args`, capturing what it prints. */
export function runAnalyze(args: readonly string[]): Promise<CliRun> {
  return captureCli(() => command.run(args));
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
