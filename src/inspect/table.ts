// Aligned text tables for the inspection commands: a header row and data rows, columns padded to their widest cell.

/** A table as plain data: the header and one array of cells per row (same length as the header). */
export interface Table {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Column gap, as wide as istioctl's so the output reads the same. */
const GAP = '   ';

/** The table as text: every column padded to its widest cell, no trailing spaces, one line per row. */
export function renderTable(table: Table): string {
  const widths = table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join(GAP).trimEnd();
  return `${[line(table.headers), ...table.rows.map(line)].join('\n')}\n`;
}

/** A list for one cell: the first `max` items, then "+N more", so one long list cannot widen a column forever. */
export function cellList(items: readonly string[], max = 3): string {
  if (items.length === 0) return '-';
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} +${items.length - max} more` : shown;
}

/** How long ago, in the largest two units (`42s`, `3m12s`, `2h5m`, `4d1h`); `-` when unknown. */
export function formatAge(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}
