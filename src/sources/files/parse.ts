// Turns the text of one manifest file (multi-document YAML, JSON, `kind: List` output of kubectl) into source objects,
// each with its file and line, and a problem for every document or object that cannot be used.
import { createHash } from 'node:crypto';
import { LineCounter, isMap, isSeq, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import { checkObject } from '../../model/index.ts';
import type { ObjectKey, Origin, Problem, SourceObject } from '../../model/types.ts';
import { keyString } from '../store.ts';
import { toJsWithinBudget } from './aliases.ts';
import { fieldLine, lineAt } from './field-line.ts';

/** What one YAML document of a file produced: its good objects, or the keys it seems to define when it is bad. */
export interface ParsedDocument {
  /** 0-based position of the document in its file. */
  readonly index: number;
  readonly line: number;
  readonly objects: readonly SourceObject[];
  /** True when the document (or one of its List items) was rejected. */
  readonly bad: boolean;
  /** Keys of rejected objects, when they could still be read; used to keep their last good version. */
  readonly badKeys: readonly ObjectKey[];
}

/** Every document of one file, plus the problems found in it. */
export interface ParsedFile {
  readonly file: string;
  readonly documents: readonly ParsedDocument[];
  readonly problems: readonly Problem[];
}

/** Objects and problems of a load; the shape every one-shot reader returns. */
export interface ManifestLoad {
  readonly objects: readonly SourceObject[];
  readonly problems: readonly Problem[];
}

/** Parses one file's text: `file` is only used to name where objects and problems come from. */
export function parseManifests(text: string, file: string): ManifestLoad {
  const parsed = parseFile(text, file);
  const deduped = dedupe(parsed.documents.flatMap((d) => d.objects));
  return { objects: deduped.objects, problems: [...parsed.problems, ...deduped.problems] };
}

/** Parses one file's text document by document, keeping what the watching source needs to hold last good versions. */
export function parseFile(text: string, file: string): ParsedFile {
  const counter = new LineCounter();
  const problems: Problem[] = [];
  const documents: ParsedDocument[] = [];
  parseAllDocuments(text, { lineCounter: counter }).forEach((doc, index) => {
    try {
      const parsed = parseDocument(doc, index, file, counter, problems);
      if (parsed) documents.push(parsed);
    } catch (err) {
      // Whatever goes wrong in one document (an alias bomb, a parser limit) is that document's problem alone.
      const line = lineAt(counter, doc.contents?.range[0] ?? doc.range[0]);
      problems.push(fileProblem('error', firstLine(err instanceof Error ? err.message : String(err)), file, line));
      documents.push({ index, line, objects: [], bad: true, badKeys: [] });
    }
  });
  return { file, documents, problems };
}

/** The label of an object in problems and origins: `Kind/namespace/name`, or `Kind/name` when cluster-scoped. */
export function objectLabel(key: ObjectKey): string {
  return key.namespace ? `${key.kind}/${key.namespace}/${key.name}` : `${key.kind}/${key.name}`;
}

/** Keeps the first object of each key (input order) and reports every later one with both locations. */
export function dedupe(objects: readonly SourceObject[]): { objects: SourceObject[]; problems: Problem[] } {
  const seen = new Map<string, SourceObject>();
  const problems: Problem[] = [];
  for (const obj of objects) {
    const first = seen.get(keyString(obj.key));
    if (!first) {
      seen.set(keyString(obj.key), obj);
      continue;
    }
    problems.push({
      severity: 'error',
      message: `duplicate object ${objectLabel(obj.key)}: already defined at ${where(first.origin)}; this definition at ${where(obj.origin)} is ignored`,
      origin: obj.origin,
    });
  }
  return { objects: [...seen.values()], problems };
}

function where(origin: Origin): string {
  return `${origin.file ?? '?'}:${origin.line ?? '?'}`;
}

function parseDocument(
  doc: Document.Parsed,
  index: number,
  file: string,
  counter: LineCounter,
  problems: Problem[],
): ParsedDocument | undefined {
  const contents = doc.contents;
  const line = lineAt(counter, contents?.range[0] ?? doc.range[0]);
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const at = err.linePos?.[0].line ?? lineAt(counter, err.pos[0]);
      problems.push(fileProblem('error', `invalid YAML: ${firstLine(err.message)}`, file, at));
    }
    return { index, line, objects: [], bad: true, badKeys: keysHint(toJsWithinBudget(doc), file, line) };
  }
  for (const warn of doc.warnings) {
    const at = warn.linePos?.[0].line ?? lineAt(counter, warn.pos[0]);
    problems.push(fileProblem('warning', `YAML: ${firstLine(warn.message)}`, file, at));
  }
  const value: unknown = toJsWithinBudget(doc);
  if (value === null || value === undefined) return undefined;
  if (!isRecord(value)) {
    problems.push(fileProblem('error', 'a manifest document must be a mapping (an object with kind and metadata)', file, line));
    return { index, line, objects: [], bad: true, badKeys: [] };
  }
  const before = problems.length;
  const items = listItems(value, contents, counter, file, line, problems);
  const objects: SourceObject[] = [];
  const badKeys: ObjectKey[] = [];
  let bad = problems.length > before; // a List without a usable `items` sequence
  for (const item of items ?? [{ raw: value, node: contents, line }]) {
    const result = checkOne(item.raw, item.node, item.line, file, counter, problems);
    if (result.object) objects.push(result.object);
    else bad = true;
    if (result.badKey) badKeys.push(result.badKey);
  }
  return { index, line, objects, bad, badKeys };
}

interface Item {
  readonly raw: unknown;
  readonly node: unknown;
  readonly line: number;
}

/** The items of a `kind: List` (or `ServiceList`, ...) document; undefined when the document is no list at all. */
function listItems(
  value: Readonly<Record<string, unknown>>,
  contents: unknown,
  counter: LineCounter,
  file: string,
  line: number,
  problems: Problem[],
): Item[] | undefined {
  const kind = value['kind'];
  if (typeof kind !== 'string' || !kind.endsWith('List')) return undefined;
  const items = value['items'];
  const seq = isMap(contents) ? contents.get('items', true) : undefined;
  if (!Array.isArray(items) || !isSeq(seq)) {
    if (kind !== 'List' && items === undefined) return undefined;
    problems.push({ ...fileProblem('error', `a ${kind} needs an 'items' sequence`, file, line), origin: { source: 'files', file, line, field: 'items' } });
    return [];
  }
  return items.map((raw: unknown, i) => {
    const node = seq.items[i];
    const start = (node as { range?: [number, number, number] } | undefined)?.range?.[0];
    return { raw, node, line: start === undefined ? line : lineAt(counter, start) };
  });
}

interface Checked {
  readonly object?: SourceObject;
  readonly badKey?: ObjectKey;
}

/** Runs the model's schema check on one object and resolves the line of every field it complains about. */
function checkOne(raw: unknown, node: unknown, line: number, file: string, counter: LineCounter, problems: Problem[]): Checked {
  const label = rawLabel(raw);
  const origin: Origin = label ? { source: 'files', file, line, object: label } : { source: 'files', file, line };
  const result = checkObject(raw, origin);
  const finalOrigin: Origin = result.key ? { ...origin, object: objectLabel(result.key) } : origin;
  let rejected = result.key === undefined;
  for (const p of result.problems) {
    if (p.severity === 'error') rejected = true;
    problems.push(locate(p, finalOrigin, node, counter));
  }
  if (!result.key) {
    if (!result.problems.some((p) => p.severity === 'error')) {
      problems.push({ severity: 'error', message: `${label ?? 'document'}: not an object biplane reads`, origin: finalOrigin });
    }
    return {};
  }
  if (rejected) return { badKey: result.key };
  const object = raw as Readonly<Record<string, unknown>>;
  return { object: { key: result.key, object, origin: finalOrigin, version: contentHash(object) } };
}

/** Fills the file, object and line of a problem from the object's origin, and the field's own line when it has one. */
function locate(problem: Problem, base: Origin, node: unknown, counter: LineCounter): Problem {
  const merged: Origin = { ...base, ...problem.origin, source: 'files', file: base.file ?? '' };
  const field = problem.origin.field;
  const at = field ? fieldLine(node, field, counter) : undefined;
  const withObject: Origin = merged.object === undefined && base.object !== undefined ? { ...merged, object: base.object } : merged;
  return { ...problem, origin: at === undefined ? withObject : { ...withObject, line: at } };
}

/** A best-effort key for a document that failed to parse, from what the YAML parser could still read. */
function keysHint(value: unknown, file: string, line: number): ObjectKey[] {
  if (!isRecord(value)) return [];
  const key = checkObject(value, { source: 'files', file, line }).key;
  return key ? [key] : [];
}

function rawLabel(raw: unknown): string | undefined {
  if (!isRecord(raw) || typeof raw['kind'] !== 'string') return undefined;
  const meta = isRecord(raw['metadata']) ? raw['metadata'] : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '?';
  const ns = typeof meta['namespace'] === 'string' ? meta['namespace'] : undefined;
  return ns ? `${raw['kind']}/${ns}/${name}` : `${raw['kind']}/${name}`;
}

/** A stable hash of an object's content: key order and formatting do not matter, values do. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fileProblem(severity: Problem['severity'], message: string, file: string, line: number): Problem {
  return { severity, message, origin: { source: 'files', file, line } };
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
