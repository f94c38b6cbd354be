// The `targets` scenario's report, pure: issue 13's targets with the measured figure, met / missed / not run, as
// result rows and as a Markdown table headed by the command, the run's dates and the load average at start and end.
import type { Row } from './report.ts';

/** One target and what the run measured for it; `value` null means not measured (`note` says why). */
export interface TargetFigure {
  readonly target: string;
  /** The figure must be ≤ this to be met. */
  readonly limit: number;
  readonly unit: 'ms' | 'KiB' | '×';
  readonly value: number | null;
  /** What the figure is made of (e.g. "added 120 / removed 180 ms"), or why it was not run. */
  readonly note?: string;
}

/** The run's circumstances, printed above the table. */
export interface RunHeader {
  readonly command: string;
  readonly started: string;
  readonly ended: string;
  readonly loadStart: readonly number[];
  readonly loadEnd: readonly number[];
}

/** Met when measured and at or below the limit; a figure that is not a finite number is missed. */
export function verdict(f: TargetFigure): 'met' | 'missed' | 'not run' {
  if (f.value === null) return 'not run';
  return Number.isFinite(f.value) && f.value <= f.limit ? 'met' : 'missed';
}

/** A figure with its unit: whole numbers with separators for ms, one decimal for KiB, two for ratios. */
export function formatValue(value: number | null, unit: TargetFigure['unit']): string {
  if (value === null) return '-';
  if (!Number.isFinite(value)) return String(value);
  const digits = unit === 'ms' ? 0 : unit === 'KiB' ? 1 : 2;
  const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit === '×' ? text : `${text} ${unit}`;
}

function limitText(f: TargetFigure): string {
  return `≤ ${formatValue(f.limit, f.unit)}`;
}

/** One result row per target (for the JSON and the console table). */
export function targetRows(figures: readonly TargetFigure[]): Row[] {
  return figures.map((f) => ({ target: f.target, limit: limitText(f), figure: formatValue(f.value, f.unit), result: verdict(f), detail: f.note ?? null }));
}

function loads(l: readonly number[]): string {
  return l.map((x) => x.toFixed(2)).join(' / ');
}

/** The Markdown block for BENCHMARKS.md: command, dates, load averages (1/5/15 min), then the table. */
export function formatTargets(header: RunHeader, figures: readonly TargetFigure[]): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [
    `Command: \`${header.command}\``,
    `Run: ${header.started} → ${header.ended}`,
    `Load average (1 / 5 / 15 min): ${loads(header.loadStart)} at start, ${loads(header.loadEnd)} at end`,
    '',
    '| target | limit | figure | result | detail |',
    '| --- | ---: | ---: | --- | --- |',
  ];
  for (const f of figures) {
    const v = verdict(f);
    const result = v === 'not run' ? (f.note ?? 'not run') : `**${v}**`;
    lines.push(`| ${cell(f.target)} | ${limitText(f)} | ${formatValue(f.value, f.unit)} | ${cell(result)} | ${cell(v === 'not run' ? '' : (f.note ?? ''))} |`);
  }
  return lines.join('\n');
}
