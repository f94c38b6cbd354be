// A tiny Prometheus registry: counters, gauges and histograms with labels, rendered in the text exposition format
// (version 0.0.4). Names and meanings follow istiod's where it has the same metric, so its dashboards work.
import { compareStrings } from '../compare-strings.ts';
import { TypeUrl } from '../envoy-api/protos.ts';

/** Label values of one series, by label name. */
export type Labels = Readonly<Record<string, string>>;

/** A summary's state: (quantile, value) pairs, the sum and the count of what it summarizes. */
export interface SummaryValue {
  readonly quantiles: readonly (readonly [number, number])[];
  readonly sum: number;
  readonly count: number;
}

type Kind = 'counter' | 'gauge' | 'histogram' | 'summary';

interface HistogramValue {
  readonly counts: number[];
  sum: number;
  count: number;
}

/** One labelled series of a family. */
interface Series {
  labels: Labels;
  value: number;
  histogram?: HistogramValue;
  summary?: SummaryValue;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly kind: Kind;
  readonly buckets: readonly number[];
  readonly series: Map<string, Series>;
}

/** Default histogram buckets for durations in seconds (istiod's convergence buckets). */
export const SECONDS_BUCKETS: readonly number[] = [0.01, 0.1, 0.5, 1, 3, 5, 10, 20, 30];

/** Buckets for config sizes in bytes (istiod's `pilot_xds_config_size_bytes`). */
export const BYTES_BUCKETS: readonly number[] = [1, 10_000, 1_000_000, 4_000_000, 10_000_000, 40_000_000];

/** Holds every metric family; `render` writes them all, sorted by name, series sorted by labels. */
export class MetricsRegistry {
  readonly #families = new Map<string, Family>();

  /** Declares a metric (idempotent for the same name and kind). */
  define(name: string, kind: Kind, help: string, buckets: readonly number[] = SECONDS_BUCKETS): void {
    const existing = this.#families.get(name);
    if (existing) {
      if (existing.kind !== kind) throw new Error(`metrics: ${name} is already a ${existing.kind}`);
      return;
    }
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`metrics: invalid metric name ${JSON.stringify(name)}`);
    this.#families.set(name, { name, help, kind, buckets: [...buckets].sort((a, b) => a - b), series: new Map() });
  }

  /** Adds `by` (default 1) to a counter. */
  inc(name: string, labels: Labels = {}, by = 1): void {
    const series = this.#series(name, 'counter', labels);
    series.value += by;
  }

  /** Sets a gauge. */
  set(name: string, value: number, labels: Labels = {}): void {
    this.#series(name, 'gauge', labels).value = value;
  }

  /** Replaces a summary's quantiles (quantile → value), sum and count. */
  summarize(name: string, value: SummaryValue, labels: Labels = {}): void {
    this.#series(name, 'summary', labels).summary = value;
  }

  /** Records one observation in a histogram. */
  observe(name: string, value: number, labels: Labels = {}): void {
    const family = this.#family(name, 'histogram');
    const series = this.#series(name, 'histogram', labels);
    series.histogram ??= { counts: family.buckets.map(() => 0), sum: 0, count: 0 };
    const h = series.histogram;
    family.buckets.forEach((bound, i) => {
      if (value <= bound) h.counts[i] = (h.counts[i] ?? 0) + 1;
    });
    h.sum += value;
    h.count += 1;
  }

  /** The current value of a counter or gauge series (0 when never touched); for tests and status pages. */
  value(name: string, labels: Labels = {}): number {
    return this.#families.get(name)?.series.get(labelKey(labels))?.value ?? 0;
  }

  /** How many observations a histogram series has. */
  observations(name: string, labels: Labels = {}): number {
    return this.#families.get(name)?.series.get(labelKey(labels))?.histogram?.count ?? 0;
  }

  /** Every metric in Prometheus text format. */
  render(): string {
    const lines: string[] = [];
    for (const family of [...this.#families.values()].sort((a, b) => compareStrings(a.name, b.name))) {
      lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.kind}`);
      const series = [...family.series.entries()].sort(([a], [b]) => compareStrings(a, b));
      for (const [, s] of series) lines.push(...renderSeries(family, s));
    }
    return `${lines.join('\n')}\n`;
  }

  #family(name: string, kind: Kind): Family {
    const family = this.#families.get(name);
    if (!family) throw new Error(`metrics: ${name} is not defined`);
    if (family.kind !== kind) throw new Error(`metrics: ${name} is a ${family.kind}, not a ${kind}`);
    return family;
  }

  #series(name: string, kind: Kind, labels: Labels): Series {
    const family = this.#family(name, kind);
    const key = labelKey(labels);
    let series = family.series.get(key);
    if (!series) family.series.set(key, (series = { labels: { ...labels }, value: 0 }));
    return series;
  }
}

function renderSeries(family: Family, series: Series): string[] {
  const { labels, value, histogram: h, summary } = series;
  if (family.kind === 'summary') {
    if (!summary) return [];
    const out = summary.quantiles.map(([q, v]) => `${family.name}${labelText({ ...labels, quantile: num(q) })} ${num(v)}`);
    out.push(`${family.name}_sum${labelText(labels)} ${num(summary.sum)}`, `${family.name}_count${labelText(labels)} ${summary.count}`);
    return out;
  }
  if (family.kind !== 'histogram') return [`${family.name}${labelText(labels)} ${num(value)}`];
  if (!h) return [];
  const out = family.buckets.map((bound, i) => `${family.name}_bucket${labelText({ ...labels, le: num(bound) })} ${h.counts[i] ?? 0}`);
  out.push(`${family.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${h.count}`);
  out.push(`${family.name}_sum${labelText(labels)} ${num(h.sum)}`, `${family.name}_count${labelText(labels)} ${h.count}`);
  return out;
}

/** A stable key of a label set: sorted `name="value"` pairs. */
function labelKey(labels: Labels): string {
  return labelText(labels);
}

function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => compareStrings(a, b));
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function num(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}


/** The message name a type URL ends with (`type.googleapis.com/a.b.C` → `a.b.C`). */
function messageNameOf(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

/** istiod's type label for each type biplane serves, keyed by message name. */
const KNOWN_TYPES: ReadonlyMap<string, string> = new Map([
  [messageNameOf(TypeUrl.Cluster), 'cds'],
  [messageNameOf(TypeUrl.ClusterLoadAssignment), 'eds'],
  [messageNameOf(TypeUrl.Listener), 'lds'],
  [messageNameOf(TypeUrl.RouteConfiguration), 'rds'],
]);

/** The xDS type label istiod uses for a type URL (cds, eds, lds, rds), else the message name. */
export function typeLabel(typeUrl: string): string {
  const short = messageNameOf(typeUrl);
  return KNOWN_TYPES.get(short) ?? short;
}

/**
 * The `type` label of a metric series: cds, eds, lds or rds, and `other` for every type URL biplane does not serve,
 * so client-chosen type URLs can never add series.
 */
export function metricTypeLabel(typeUrl: string): string {
  const short = messageNameOf(typeUrl);
  return typeUrl === `type.googleapis.com/${short}` ? (KNOWN_TYPES.get(short) ?? 'other') : 'other';
}

/** Defines the metrics biplane serve exports (istiod's names where istiod has the same thing). */
export function serverMetrics(): MetricsRegistry {
  const r = new MetricsRegistry();
  r.define('pilot_xds', 'gauge', 'Number of endpoints connected to this control plane using xDS.');
  r.define('pilot_xds_pushes', 'counter', 'xDS responses sent, by type (cds, eds, lds, rds).');
  r.define('pilot_proxy_convergence_time', 'histogram', 'Seconds from a config change to its push reaching a proxy stream.');
  r.define('pilot_xds_push_time', 'histogram', 'Seconds from a model generation until the push queue it filled has drained (every proxy rebuilt or skipped).');
  r.define('pilot_total_xds_rejects', 'counter', 'xDS responses rejected (NACKed) by proxies, by type.');
  r.define('pilot_xds_config_size_bytes', 'histogram', 'Size in bytes of xDS responses, by type.', BYTES_BUCKETS);
  r.define('pilot_services', 'gauge', 'Total services known to the control plane.');
  r.define('biplane_snapshot_rejections', 'counter', 'Snapshots not published because they failed validation.');
  r.define('biplane_model_builds', 'counter', 'Mesh models built from the sources.');
  r.define('biplane_last_applied_seconds', 'gauge', 'Seconds since the sources\' state was last applied (the last successful model build).');
  r.define('biplane_problems', 'gauge', 'Current input and validation problems, by severity.');
  r.define('biplane_shared_resources', 'gauge', 'Encoded xDS resources alive in the shared content-keyed cache.');
  r.define('pilot_push_triggers', 'counter', 'Pushes queued, by trigger (label `trigger`): config (a new model generation), proxy (a new connection).');
  r.define('pilot_proxy_queue_time', 'histogram', 'Seconds a proxy waited in the push queue before its push started.');
  r.define('pilot_xds_send_time', 'histogram', 'Seconds spent publishing one proxy\'s new snapshot (its streams write their responses then).');
  r.define('biplane_push_skipped', 'counter', 'Queued pushes skipped because nothing the proxy reads changed since its last build.');
  r.define('biplane_push_queue_length', 'gauge', 'Proxies waiting in the push queue.');
  r.define('biplane_pushes_in_flight', 'gauge', 'xDS streams with a response sent and not yet ACKed or NACKed.');
  r.define('biplane_event_loop_delay_seconds', 'summary', 'Event-loop delay since the previous scrape (quantiles 0.5, 0.9, 0.99 and 1 = max).');
  return r;
}
