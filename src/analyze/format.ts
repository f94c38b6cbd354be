// How findings are ordered, counted and printed: one sorted line each (or JSON), then a summary line.
import { compareStrings } from '../compare-strings.ts';
import type { AnalyzeResult, AnalyzeSummary, Finding, Severity } from './types.ts';


/** The one order findings are printed in: by file, line, object, field, then errors first, then code and message. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareStrings(a.file ?? '', b.file ?? '') ||
    (a.line ?? 0) - (b.line ?? 0) ||
    compareStrings(a.object ?? '', b.object ?? '') ||
    compareStrings(a.field ?? '', b.field ?? '') ||
    compareStrings(a.severity, b.severity) ||
    compareStrings(a.code, b.code) ||
    compareStrings(a.message, b.message)
  );
}

/** Sorted findings with exact repeats dropped (the same problem reached twice, e.g. by two hosts of one entry). */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return [...findings].sort(compareFindings).filter((f) => {
    const key = JSON.stringify([f.severity, f.code, f.file, f.line, f.object, f.field, f.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `file:line`, `file`, or `-` when the finding has no place in the input. */
function place(f: Finding): string {
  if (f.file === undefined) return '-';
  return f.line === undefined ? f.file : `${f.file}:${f.line}`;
}

/** One finding as a text line: `severity  file:line  object  field: message`. */
export function formatFinding(f: Finding): string {
  return `${f.severity.padEnd(7)}  ${place(f)}  ${f.object ?? '-'}  ${f.field ? `${f.field}: ` : ''}${f.message}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `N errors, M warnings in K objects, P proxies checked`. */
export function formatSummary(s: AnalyzeSummary): string {
  const proxies = s.proxies === 1 ? '1 proxy' : `${s.proxies} proxies`;
  return `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')} in ${plural(s.objects, 'object')}, ${proxies} checked`;
}

/** The whole text report, ending with a newline. */
export function formatText(result: AnalyzeResult): string {
  return [...result.findings.map(formatFinding), formatSummary(result.summary)].join('\n') + '\n';
}

/** The JSON report: `{ findings, summary }`, two-space indented, ending with a newline. */
export function formatJson(result: AnalyzeResult): string {
  return `${JSON.stringify({ findings: result.findings, summary: result.summary }, null, 2)}\n`;
}

/** Whether any finding is at or above `threshold` (an error is above a warning). */
export function failsAt(findings: readonly Finding[], threshold: Severity): boolean {
  return findings.some((f) => f.severity === 'error' || threshold === 'warning');
}
