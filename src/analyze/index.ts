// `biplane analyze`'s pure core: (manifest objects and load problems, options) → sorted findings. It runs the stages
// the server runs (model build, validate, per-proxy translate and xDS validation) and adds dual-stack warnings.
import { buildModel, checkModel, indexModel, servableModel } from '../model/index.ts';
import { dualStackFindings } from './dual-stack.ts';
import { findingOf } from './findings.ts';
import { sortFindings } from './format.ts';
import { locateFields } from './lines.ts';
import { checkProxies, selectPods } from './proxies.ts';
import type { AnalyzeInput, AnalyzeOptions, AnalyzeResult, Finding } from './types.ts';

export type * from './types.ts';
export { compareFindings, failsAt, formatFinding, formatJson, formatSummary, formatText, sortFindings } from './format.ts';
export { findingOf } from './findings.ts';
export { locateFields } from './lines.ts';
export { INJECT_ANNOTATION, TEMPLATES_ANNOTATION, podProxyNode, podProxyType } from '../model/index.ts';

/** Every finding about a set of manifests, sorted, with counts; `input.texts` sharpens lines to fields. */
export function analyze(input: AnalyzeInput, options: AnalyzeOptions = {}): AnalyzeResult {
  const built = buildModel(input.objects);
  // The server's validation, acted on the same way: services and endpoints with a model error are not translated.
  const check = checkModel(built.model);
  const index = indexModel(servableModel(built.model, check));
  const names = options.pods ?? [];
  const selected = selectPods(built.model, names);
  const checked = checkProxies(index, selected.pods, options.strategy ?? 'shared', names.length > 0, options.onProgress);
  const all: Finding[] = [
    ...input.problems.map((p) => findingOf(p, 'input')),
    ...built.problems.map((p) => findingOf(p, 'model')),
    ...check.problems.map((p) => findingOf(p, 'model')),
    ...selected.findings,
    ...checked.findings,
    ...dualStackFindings(index, input.objects, checked.proxies),
  ];
  const findings = sortFindings(input.texts ? locateFields(all, input.texts) : all);
  const count = (severity: Finding['severity']): number => findings.filter((f) => f.severity === severity).length;
  return {
    findings,
    summary: { errors: count('error'), warnings: count('warning'), objects: input.objects.length, proxies: checked.proxies.length },
  };
}
