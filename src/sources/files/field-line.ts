// Finds the 1-based line of a dotted field path (`spec.clusterIPs[1]`, `metadata.annotations.biplane.io/x`) inside one
// parsed YAML node, so a problem can point at the field rather than only at its object.
import { isMap, isScalar, isSeq } from 'yaml';
import type { LineCounter, Node } from 'yaml';

/** One step of a field path: a map key or a sequence index. */
type Segment = string | number;

/** Splits `a.b[2].c` and `a["x.y"]` into segments; keys with dots stay joined only when quoted. */
export function splitFieldPath(field: string): Segment[] {
  const out: Segment[] = [];
  const re = /\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\['([^']*)'\]|([^.[\]]+)/g;
  for (const m of field.matchAll(re)) {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else if (m[2] !== undefined) out.push(m[2].replace(/\\(.)/g, '$1'));
    else if (m[3] !== undefined) out.push(m[3]);
    else if (m[4] !== undefined) out.push(m[4]);
  }
  return out;
}

/** Line of `offset` in the text `counter` was filled from. */
export function lineAt(counter: LineCounter, offset: number): number {
  return counter.linePos(offset).line;
}

/**
 * The line of the deepest part of `field` that exists under `node` (the key's line for map entries, the item's line
 * for sequence entries), or undefined when not even the first segment exists. Map keys may contain dots: the longest
 * run of segments that names a key wins, so unquoted annotation names still resolve.
 */
export function fieldLine(node: unknown, field: string, counter: LineCounter): number | undefined {
  const segments = splitFieldPath(field);
  let current: unknown = node;
  let line: number | undefined;
  let i = 0;
  while (i < segments.length) {
    const step = stepInto(current, segments, i);
    if (!step) break;
    if (step.offset !== undefined) line = lineAt(counter, step.offset);
    current = step.node;
    i += step.used;
  }
  return line;
}

interface Step {
  readonly node: unknown;
  readonly offset: number | undefined;
  readonly used: number;
}

function stepInto(current: unknown, segments: readonly Segment[], at: number): Step | undefined {
  const first = segments[at];
  if (isSeq(current) && typeof first === 'number') {
    const item = current.items[first];
    return item === undefined ? undefined : { node: item, offset: rangeStart(item), used: 1 };
  }
  if (!isMap(current)) return undefined;
  for (let used = segments.length - at; used >= 1; used--) {
    const name = segments.slice(at, at + used).join('.');
    const pair = current.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === name);
    if (pair) return { node: pair.value, offset: rangeStart(pair.key) ?? rangeStart(pair.value), used };
  }
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Partial<Node> | null)?.range;
  return range ? range[0] : undefined;
}
