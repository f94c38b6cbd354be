// Reading Kubernetes-shaped JSON without trusting it: every reader returns undefined (or an empty value) for the wrong
// type, so the builders never crash on input that slipped past `checkObject`.
import type { ObjectKey, Origin, Problem } from './types.ts';

/** A raw JSON object as read from YAML or the API server. */
export type Raw = Readonly<Record<string, unknown>>;

/** Whether a value is a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value when it is a JSON object, else undefined. */
export function asRecord(value: unknown): Raw | undefined {
  return isRecord(value) ? value : undefined;
}

/** The value when it is a string, else undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The value when it is an array, else an empty list. */
export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The string entries of a JSON object (labels, annotations, selectors); other entries are dropped. */
export function stringMap(value: unknown): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const key of Object.keys(value).sort()) {
    const v = value[key];
    if (typeof v === 'string') out[key] = v;
  }
  return out;
}

/** Whether a value is an integer port number (1..65535). */
export function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** `metadata` of a raw object (empty when missing). */
export function metadataOf(raw: Raw): Raw {
  return asRecord(raw['metadata']) ?? {};
}

/** `spec` of a raw object (empty when missing). */
export function specOf(raw: Raw): Raw {
  return asRecord(raw['spec']) ?? {};
}

/** `status` of a raw object (empty when missing). */
export function statusOf(raw: Raw): Raw {
  return asRecord(raw['status']) ?? {};
}

/** `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects: the `Origin.object` spelling. */
export function objectRef(key: ObjectKey): string {
  return key.namespace === '' ? `${key.kind}/${key.name}` : `${key.kind}/${key.namespace}/${key.name}`;
}

/** A problem at `field` of the object `base` describes. */
export function problemAt(
  base: Origin,
  severity: Problem['severity'],
  field: string | undefined,
  message: string,
): Problem {
  const origin: Origin = field === undefined || field === '' ? base : { ...base, field };
  return { severity, message, origin };
}

/** Joins a dotted path: `path('spec', 'ports[0]')` → `spec.ports[0]`. */
export function path(parent: string, child: string): string {
  if (parent === '') return child;
  return child.startsWith('[') ? `${parent}${child}` : `${parent}.${child}`;
}

