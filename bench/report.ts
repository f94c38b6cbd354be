// Printing result tables and writing result JSON under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { progressReporter } from '../src/cli/progress.ts';

/** One result row: column name → value. */
export type Row = Readonly<Record<string, string | number | boolean | null>>;

/** What every scenario returns: its rows plus anything else worth keeping in the JSON. */
export interface ScenarioResult {
  readonly scenario: string;
  readonly rows: readonly Row[];
  readonly extra?: Readonly<Record<string, unknown>>;
}

function cell(v: Row[string] | undefined): string {
  if (typeof v === 'number') {
    const digits = Number.isInteger(v) || Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 3;
    return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  return v === undefined || v === null ? '-' : String(v);
}

/** An aligned text table of rows (columns = union of keys); wide tables wrap, repeating the first two columns. */
export function formatTable(title: string, rows: readonly Row[], maxWidth = 150): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const width = (c: string): number => Math.max(c.length, ...rows.map((r) => cell(r[c]).length));
  const keys = columns.slice(0, 2);
  const groups: string[][] = [];
  let current: string[] = [...keys];
  for (const c of columns.slice(2)) {
    const used = current.reduce((sum, x) => sum + width(x) + 2, 0);
    if (current.length > keys.length && used + width(c) > maxWidth) {
      groups.push(current);
      current = [...keys];
    }
    current.push(c);
  }
  groups.push(current);
  const out = [`\n== ${title}`];
  for (const group of groups) {
    const line = (parts: readonly string[]): string => parts.map((p, i) => p.padStart(width(group[i] ?? ''))).join('  ');
    out.push(line(group), line(group.map((c) => '-'.repeat(width(c)))), ...rows.map((r) => line(group.map((c) => cell(r[c])))), '');
  }
  return out.join('\n');
}

/** The machine a run happened on, for the JSON and BENCHMARKS.md. */
export function machine(): Record<string, unknown> {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

/** Writes `bench/results/<scenario>-<stamp>.json` (and `<scenario>-latest.json`); returns the path. */
export function writeResult(dir: string, result: ScenarioResult, args: Readonly<Record<string, unknown>>): string {
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const body = JSON.stringify({ ...result, args, machine: machine(), at: new Date().toISOString() }, null, 2);
  const file = path.join(dir, `${result.scenario}-${stamp}.json`);
  writeFileSync(file, body);
  writeFileSync(path.join(dir, `${result.scenario}-latest.json`), body);
  return file;
}

const reporter = progressReporter(process.stderr);

/** Progress on long runs: one line rewritten in place on a TTY stderr, nothing when stderr is piped. */
export function progress(message: string): void {
  reporter.update(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** Clears the progress line before a result table is printed. */
export function progressDone(): void {
  reporter.done();
}

/** Rounds to `digits` decimals (for ratios in rows). */
export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
