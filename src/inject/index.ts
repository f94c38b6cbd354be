// `biplane inject`'s core, pure: multi-document YAML in, the same documents out with biplane's init container and
// sidecar added to every workload that wants them (Istio's opt-out and traffic annotations honoured), and a report
// per object. Documents that are not workloads, or opt out, come out as they went in.
import { Document, parseAllDocuments } from 'yaml';
import { injectObject } from './workload.ts';
import type { InjectOptions } from './containers.ts';
import { InjectError } from './settings.ts';

export { DEFAULT_INJECT, INIT_NAME, injectOptions, PROXY_NAME, WORK_DIR, WORK_VOLUME, initContainer, proxyContainer, proxyEnv, sidecarCommand, sidecarVolumes, SIDECAR_VOLUMES, ROOT_DIR, ROOT_VOLUME, TOKEN_VOLUME } from './containers.ts';
export type { InjectOptions } from './containers.ts';
export { ANNOTATION_FLAGS, INJECT_KEY, InjectError, podSettings } from './settings.ts';
export type { Interception, PodSettings } from './settings.ts';
export { STATUS_ANNOTATION, TLS_MODE_LABEL, WORKLOAD_KINDS, injectObject } from './workload.ts';
export type { ObjectOutcome } from './workload.ts';

/** What happened to one object: `Kind/namespace/name`, the outcome, and the reason or warnings. */
export interface InjectReport {
  readonly object: string;
  readonly outcome: 'injected' | 'skipped' | 'error';
  readonly detail: readonly string[];
}

/** The injected YAML (when nothing failed) and one report per workload. */
export interface InjectResult {
  readonly yaml: string | undefined;
  readonly reports: readonly InjectReport[];
}

type Json = Record<string, unknown>;

function label(obj: Json, where: string): string {
  const meta = (obj['metadata'] ?? {}) as Json;
  const ns = typeof meta['namespace'] === 'string' ? `${meta['namespace']}/` : '';
  return `${where}: ${String(obj['kind'])}/${ns}${String(meta['name'] ?? '?')}`;
}

/** Injects one parsed object, recursing into `kind: List` items; pushes reports, returns the new object. */
function injectAny(obj: unknown, where: string, options: InjectOptions, reports: InjectReport[]): unknown {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return obj;
  const o = obj as Json;
  if (o['kind'] === 'List' && Array.isArray(o['items'])) {
    return { ...o, items: o['items'].map((item, i) => injectAny(item, `${where} item ${i}`, options, reports)) };
  }
  try {
    const r = injectObject(o, options);
    if (r.outcome === 'not-a-workload') return o;
    if (r.outcome === 'skipped') {
      reports.push({ object: label(o, where), outcome: 'skipped', detail: [r.reason] });
      return o;
    }
    reports.push({ object: label(o, where), outcome: 'injected', detail: r.warnings });
    return r.object;
  } catch (err) {
    if (!(err instanceof InjectError)) throw err;
    reports.push({ object: label(o, where), outcome: 'error', detail: [err.message] });
    return o;
  }
}

/** Injects every workload in `text` (multi-document YAML or JSON); `file` names it in reports. */
export function injectManifests(text: string, file: string, options: InjectOptions): InjectResult {
  const reports: InjectReport[] = [];
  const out: string[] = [];
  parseAllDocuments(text).forEach((doc, index) => {
    const where = `${file} document ${index + 1}`;
    if (doc.errors.length > 0) {
      reports.push({ object: where, outcome: 'error', detail: doc.errors.map((e) => e.message) });
      return;
    }
    const before = doc.toJS() as unknown;
    if (before === null || before === undefined) return;
    const after = injectAny(before, where, options, reports);
    // An untouched document keeps its own text (comments, style); its `---` is dropped since the join adds one.
    const kept = () => doc.toString({ lineWidth: 0 }).replace(/^---[ \t]*\n/, '');
    out.push(after === before ? kept() : new Document(after, { aliasDuplicateObjects: false }).toString({ lineWidth: 0 }));
  });
  const failed = reports.some((r) => r.outcome === 'error');
  return { yaml: failed ? undefined : out.join('---\n'), reports };
}
