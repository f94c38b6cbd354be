// The API server's own limits on names, labels and annotations, so a manifest folder accepts no object a cluster
// would refuse: DNS-1123 / DNS-1035 names with their lengths, qualified label and annotation keys, label values of at
// most 63 characters and at most 256 KiB of annotations. Messages never repeat an over-long value in full.
import { fail } from './check-fields.ts';
import type { Sink } from './check-fields.ts';
import { isRecord } from './json-readers.ts';
import type { Raw } from './json-readers.ts';

/** The longest DNS label (RFC 1123 / 1035) and the longest DNS subdomain. */
export const MAX_LABEL = 63;
export const MAX_SUBDOMAIN = 253;
/** The API server's cap on all annotations of one object together (keys plus values, in bytes). */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
/** How much of a bad value a message quotes. */
const QUOTED = 64;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** A string for a message: quoted, cut to its first characters with its length when long. */
export function quote(value: string): string {
  if (value.length <= QUOTED) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, QUOTED))}… (${value.length} characters)`;
}

/** Why `value` is not a DNS-1123 label (lowercase alphanumerics and '-', at most 63), or undefined when it is one. */
export function dns1123Label(value: string): string | undefined {
  if (value.length > MAX_LABEL) return `must be at most ${MAX_LABEL} characters, got ${value.length}`;
  if (!DNS1123_LABEL.test(value)) return `${quote(value)} is not a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit)`;
  return undefined;
}

/** Why `value` is not a DNS-1035 label (a DNS-1123 label starting with a letter), or undefined when it is one. */
export function dns1035Label(value: string): string | undefined {
  if (value.length > MAX_LABEL) return `must be at most ${MAX_LABEL} characters, got ${value.length}`;
  if (!DNS1035_LABEL.test(value)) return `${quote(value)} is not a DNS-1035 label (lowercase letters, digits and '-', starting with a letter)`;
  return undefined;
}

/** Why `value` is not a DNS-1123 subdomain (dot-separated labels, at most 253), or undefined when it is one. */
export function dns1123Subdomain(value: string): string | undefined {
  if (value.length > MAX_SUBDOMAIN) return `must be at most ${MAX_SUBDOMAIN} characters, got ${value.length}`;
  if (value.split('.').some((label) => !DNS1123_LABEL.test(label))) {
    return `${quote(value)} is not a DNS subdomain (lowercase letters, digits, '-' and '.')`;
  }
  return undefined;
}

/** Why `value` is not a host name (a DNS subdomain in any case, optionally `*.`-prefixed), or undefined. */
export function hostName(value: string): string | undefined {
  return dns1123Subdomain((value.startsWith('*.') ? value.slice(2) : value).toLowerCase());
}

/** Why `key` is not a label or annotation key (`[prefix/]name`, prefix a subdomain, name at most 63). */
export function qualifiedName(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    const why = prefix === '' ? 'is empty' : dns1123Subdomain(prefix);
    if (why) return `key ${quote(key)}: prefix ${why}`;
  }
  if (name.length > MAX_LABEL) return `key ${quote(key)}: name must be at most ${MAX_LABEL} characters, got ${name.length}`;
  if (!QUALIFIED_NAME.test(name)) return `key ${quote(key)}: name must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  return undefined;
}

/** Why `value` is not a label value (empty, or at most 63 of alphanumerics, '-', '_', '.'). */
export function labelValue(value: string): string | undefined {
  if (value.length > MAX_LABEL) return `must be at most ${MAX_LABEL} characters, got ${value.length}`;
  if (value !== '' && !QUALIFIED_NAME.test(value)) return `${quote(value)} must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  return undefined;
}

/** Field path of a map entry, with the key shortened so a path stays readable. */
function entryPath(at: string, key: string): string {
  return `${at}.${key.length <= QUOTED ? key : `${key.slice(0, QUOTED)}…`}`;
}

/** A label map (`metadata.labels`, a selector): qualified keys and label values; type errors are `stringMapField`'s. */
export function checkLabels(sink: Sink, labels: unknown, at: string): void {
  if (!isRecord(labels)) return;
  for (const key of Object.keys(labels).sort()) {
    const keyProblem = qualifiedName(key);
    if (keyProblem) fail(sink, entryPath(at, key), keyProblem);
    const value = labels[key];
    const valueProblem = typeof value === 'string' ? labelValue(value) : undefined;
    if (valueProblem) fail(sink, entryPath(at, key), valueProblem);
  }
}

/** `metadata.annotations`: qualified keys and at most 256 KiB of keys and values together. */
export function checkAnnotations(sink: Sink, metadata: Raw): void {
  const annotations = metadata['annotations'];
  if (!isRecord(annotations)) return;
  let bytes = 0;
  for (const key of Object.keys(annotations).sort()) {
    const keyProblem = qualifiedName(key);
    if (keyProblem) fail(sink, entryPath('metadata.annotations', key), keyProblem);
    const value = annotations[key];
    bytes += Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  }
  if (bytes > MAX_ANNOTATIONS_BYTES) fail(sink, 'metadata.annotations', `must be at most ${MAX_ANNOTATIONS_BYTES} bytes in total, got ${bytes}`);
}
