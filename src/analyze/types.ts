// The analyzer's vocabulary: one finding per thing worth a platform engineer's attention, each with where it is.
import type { Problem, SourceObject } from '../model/types.ts';
import type { ForwardingStrategy } from '../translate/index.ts';

/** How bad a finding is; `--fail-on` compares against it. */
export type Severity = 'error' | 'warning';

/** Stable ids of the checks, so tests, scripts and JSON consumers can tell findings apart without parsing messages. */
export type FindingCode =
  | 'input'
  | 'model'
  | 'proxy'
  | 'xds'
  | 'pod-not-found'
  | 'one-family-endpoints'
  | 'single-stack-backends'
  | 'pod-ip-order'
  | 'no-vip-for-family'
  | 'one-family-addresses';

/** One finding: what is wrong (or suspicious) and where, as precisely as the input allows. */
export interface Finding {
  readonly severity: Severity;
  readonly code: FindingCode;
  readonly message: string;
  readonly file?: string;
  /** 1-based; the field's own line when it could be found, else the object's. */
  readonly line?: number;
  /** `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects. */
  readonly object?: string;
  /** Dotted path inside the object, or `Type[resource].path` inside a generated xDS resource. */
  readonly field?: string;
}

/** What `analyze` reads: the objects and problems of a manifest load (see `loadManifests`). */
export interface AnalyzeInput {
  readonly objects: readonly SourceObject[];
  readonly problems: readonly Problem[];
  /** File name → content of the manifests read, to point findings at their field's line (optional). */
  readonly texts?: ReadonlyMap<string, string>;
}

/** Knobs of `analyze`. */
export interface AnalyzeOptions {
  /** `namespace/name` of the pods whose proxies are checked; all pods when absent or empty. */
  readonly pods?: readonly string[];
  readonly strategy?: ForwardingStrategy;
  /** Called after each pod's proxy is checked (done of total), so a caller can show progress; analysis stays pure. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Counts printed under the findings. */
export interface AnalyzeSummary {
  readonly errors: number;
  readonly warnings: number;
  /** Objects read from the input (the good ones; bad ones appear as findings). */
  readonly objects: number;
  /** Proxies translated and validated. */
  readonly proxies: number;
}

/** Every finding, sorted, and the summary. */
export interface AnalyzeResult {
  readonly findings: readonly Finding[];
  readonly summary: AnalyzeSummary;
}
