// `biplane proxy-status` as data: one row per connected proxy from the syncz page, each xDS type's state merged over
// the proxy's streams, and the NACK errors listed under the table.
import { compareStrings } from '../compare-strings.ts';
import { proxyName, type SynczProxy, type SynczType } from './syncz.ts';
import { formatAge, renderTable, type Table } from './table.ts';

/** The xDS types shown as columns, in push order. */
export const STATUS_TYPES = ['cds', 'lds', 'eds', 'rds'] as const;

/** Worst first: a proxy with two streams shows the state that needs attention. */
const RANK = ['NACKED', 'STALE', 'SYNCED', 'NOT_SENT'];

/** One type's state over all streams of a proxy; `-` when no stream subscribed to it. */
function mergedState(types: readonly SynczType[]): string {
  if (types.length === 0) return '-';
  const rank = (s: string): number => (RANK.includes(s) ? RANK.indexOf(s) : -1);
  const worst = types.map((t) => t.status).sort((a, b) => rank(a) - rank(b))[0] ?? '-';
  return worst === 'NOT_SENT' ? 'NOT SENT' : worst;
}

/** The newest push of any type on any stream, in ms since the epoch. */
function lastPush(p: SynczProxy): number | undefined {
  const times = p.streams.flatMap((s) => s.types.map((t) => (t.lastPush ? Date.parse(t.lastPush) : NaN))).filter(Number.isFinite);
  return times.length > 0 ? Math.max(...times) : undefined;
}

/** The proxy-status table: NAME, TYPE, IP MODE, IPS, one column per xDS type, LAST PUSH (age at `now`). */
export function statusTable(proxies: readonly SynczProxy[], now: number): Table {
  const sorted = [...proxies].sort((a, b) => compareStrings(proxyName(a), proxyName(b)));
  const rows = sorted.map((p) => {
    const all = p.streams.flatMap((s) => s.types);
    const pushed = lastPush(p);
    return [
      proxyName(p),
      p.type ?? '-',
      p.ipMode ?? '-',
      p.ips.length > 0 ? p.ips.join(', ') : '-',
      ...STATUS_TYPES.map((type) => mergedState(all.filter((t) => t.type === type))),
      pushed === undefined ? '-' : formatAge(now - pushed),
    ];
  });
  return { headers: ['NAME', 'TYPE', 'IP MODE', 'IPS', ...STATUS_TYPES.map((t) => t.toUpperCase()), 'LAST PUSH'], rows };
}

/** What needs a closer look, one line each: every NACK with its error, every proxy whose newest build was refused. */
export function statusNotes(proxies: readonly SynczProxy[]): string[] {
  const notes: string[] = [];
  for (const p of proxies) {
    for (const s of p.streams) {
      for (const t of s.types) {
        if (t.status === 'NACKED') notes.push(`${proxyName(p)}: ${t.type.toUpperCase()} NACKED (${s.kind}): ${t.error ?? 'no error message'}`);
      }
    }
    if (p.rejected) notes.push(`${proxyName(p)}: its newest configuration failed validation and was not sent (see /debug/problems)`);
  }
  return notes.sort();
}

/** The whole proxy-status output. */
export function formatStatus(proxies: readonly SynczProxy[], now: number): string {
  if (proxies.length === 0) return 'no proxies connected\n';
  const notes = statusNotes(proxies);
  return `${renderTable(statusTable(proxies, now))}${notes.length > 0 ? `\n${notes.join('\n')}\n` : ''}`;
}
