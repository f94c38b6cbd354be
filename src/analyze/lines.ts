// Points findings at the line of their field, not only of their object: the model knows an object's first line and a
// field path; the manifest text knows where that field is written. Pure: the texts are passed in.
import { LineCounter, isMap, isSeq, parseAllDocuments } from 'yaml';
import { fieldLine } from '../sources/files/field-line.ts';
import type { Finding, FindingCode } from './types.ts';

/** Codes whose line is an object's first line and whose field is a path inside that object. */
const OBJECT_FIELD_CODES: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'model',
  'one-family-endpoints',
  'single-stack-backends',
  'pod-ip-order',
  'no-vip-for-family',
  'one-family-addresses',
]);

/** The object nodes of one file by their first line, and the counter that maps offsets to lines. */
interface FileNodes {
  readonly counter: LineCounter;
  readonly byLine: ReadonlyMap<number, unknown>;
}

/** Moves each finding's line to its field's line when the field is found in `texts` (file name → content). */
export function locateFields(findings: readonly Finding[], texts: ReadonlyMap<string, string>): Finding[] {
  const cache = new Map<string, FileNodes>();
  return findings.map((finding) => {
    const { file, line, field } = finding;
    if (file === undefined || line === undefined || field === undefined || !OBJECT_FIELD_CODES.has(finding.code)) return finding;
    const text = texts.get(file);
    if (text === undefined) return finding;
    let nodes = cache.get(file);
    if (!nodes) {
      nodes = objectNodes(text);
      cache.set(file, nodes);
    }
    const node = nodes.byLine.get(line);
    const at = node === undefined ? undefined : fieldLine(node, field, nodes.counter);
    return at === undefined ? finding : { ...finding, line: at };
  });
}

/** Every top-level mapping of a file (and every item of a `kind: *List`), keyed by the line it starts on. */
function objectNodes(text: string): FileNodes {
  const counter = new LineCounter();
  const byLine = new Map<number, unknown>();
  const add = (node: unknown): void => {
    const start = (node as { range?: readonly number[] } | null)?.range?.[0];
    if (isMap(node) && start !== undefined) byLine.set(counter.linePos(start).line, node);
  };
  for (const doc of parseAllDocuments(text, { lineCounter: counter })) {
    const contents = doc.contents;
    add(contents);
    const items = isMap(contents) ? contents.get('items', true) : undefined;
    if (isSeq(items)) items.items.forEach(add);
  }
  return { counter, byLine };
}
