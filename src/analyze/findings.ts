// The one conversion from a model Problem (an input problem, located by its Origin) to an analyzer Finding (a report
// line with a stable code, located flat by file, line, object and field). They stay two types: a Problem is what the
// model and the pipeline report wherever they run; a Finding adds the code `--fail-on`, scripts and JSON readers key on.
import type { Problem } from '../model/index.ts';
import type { Finding, FindingCode } from './types.ts';

/** Where a finding is, when it is not where its problem's origin says (a proxy's problem shown on its pod). */
export type FindingPlace = Pick<Finding, 'file' | 'line' | 'object'>;

/**
 * A problem as a finding with the given code: at its origin's file, line and object (or at `place`), with its origin's
 * field; a message that starts with that field does not repeat it.
 */
export function findingOf(problem: Problem, code: FindingCode, place?: FindingPlace): Finding {
  const o = problem.origin;
  const severity = problem.severity;
  const message = o.field && problem.message.startsWith(`${o.field}: `) ? problem.message.slice(o.field.length + 2) : problem.message;
  const field = o.field !== undefined && o.field !== '' ? { field: o.field } : {};
  if (place) return { ...place, severity, code, message, ...field };
  return {
    severity,
    code,
    message,
    ...(o.file !== undefined ? { file: o.file } : {}),
    ...(o.line !== undefined ? { line: o.line } : {}),
    ...(o.object !== undefined ? { object: o.object } : {}),
    ...field,
  };
}
