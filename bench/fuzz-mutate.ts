// The fuzzer's manifest mutations: seeded edits of the demo's valid manifests written live into the watched folder
// (truncations, random bytes, field type flips, huge strings, aliases, duplicates, deletions, editor saves, special
// files). Every choice comes from the seeded generator, so a seed and a step number replay the same edit.
import { spawnSync } from 'node:child_process';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { prng } from './cluster.ts';

/** A seeded generator of numbers in [0, 1) (mulberry32). */
export type Rng = () => number;

/** The seeded generator the bench's cluster generator uses too (mulberry32), so a seed replays a run. */
export const rng: (seed: number) => Rng = prng;

/** An integer in [0, n). */
export const below = (r: Rng, n: number): number => Math.floor(r() * n);
/** One element of a non-empty list. */
export const pick = <T>(r: Rng, list: readonly T[]): T => list[below(r, list.length)] as T;

/** What a mutation did, and whether the served configuration must stay exactly the baseline while it lasts. */
export interface Mutation {
  readonly name: string;
  readonly file: string;
  /** True when nothing the folder served may change (a newcomer duplicate, a special file, a refused new file). */
  readonly keepsBaseline: boolean;
}

/** The folder being mutated: its path and the original text of each demo file. */
export interface Folder {
  readonly dir: string;
  readonly originals: ReadonlyMap<string, string>;
}

type Json = unknown;

function flipType(value: Json, r: Rng): Json {
  const options: Json[] = [below(r, 70_000) - 1000, 'x'.repeat(below(r, 40)), [value], { v: value }, null, r() < 0.5, -1.5e308, ''];
  return pick(r, options.filter((o) => typeof o !== typeof value || Array.isArray(o) !== Array.isArray(value)));
}

/** Replaces one randomly chosen node of `doc` (not the root) by `make(old)`. */
function replaceAt(doc: Json, r: Rng, make: (old: Json) => Json): Json {
  if (doc === null || typeof doc !== 'object') return make(doc);
  const entries: [string | number, Json][] = Array.isArray(doc) ? doc.map((v: Json, i) => [i, v]) : Object.entries(doc as Record<string, Json>);
  if (entries.length === 0) return make(doc);
  const [key, child] = pick(r, entries);
  const deeper = child !== null && typeof child === 'object' && r() < 0.7;
  const next = deeper ? replaceAt(child, r, make) : make(child);
  if (Array.isArray(doc)) return doc.map((v: Json, i) => (i === key ? next : v));
  return { ...(doc as Record<string, Json>), [key]: next };
}

function editDocument(text: string, r: Rng, make: (old: Json) => Json): string {
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Json);
  const at = below(r, docs.length);
  return docs.map((d, i) => stringify(i === at ? replaceAt(d, r, make) : d)).join('---\n');
}

function aliasBomb(levels: number): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < levels; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: bomb, namespace: demo }\ndata:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

/** A valid Service and EndpointSlice whose 120 endpoints share one anchored `conditions` (legitimate alias use). */
function anchoredSlice(step: number): string {
  const eps = Array.from({ length: 120 }, (_, i) => `  - addresses: ["10.244.8.${(i % 250) + 1}"]\n    conditions: ${i === 0 ? '&c { ready: true }' : '*c'}`);
  return `apiVersion: v1\nkind: Service\nmetadata: { name: anchored-${step}, namespace: shop }\nspec:\n  ipFamilies: [IPv4]\n  clusterIPs: [10.96.1.${step % 250}]\n  ports: [{ name: tcp-a, port: 7100 }]\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: anchored-${step}\n  namespace: shop\n  labels: { kubernetes.io/service-name: anchored-${step} }\naddressType: IPv4\nports: [{ name: tcp-a, port: 7100 }]\nendpoints:\n${eps.join('\n')}\n`;
}

function randomBytes(r: Rng, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => below(r, 256)));
}

type Mutator = (f: Folder, r: Rng, step: number) => Mutation | Promise<Mutation>;

const MUTATORS: readonly Mutator[] = [
  (f, r) => {
    const [name, text] = pick(r, [...f.originals]);
    writeFileSync(path.join(f.dir, name), text.slice(0, below(r, text.length)));
    return { name: 'truncate', file: name, keepsBaseline: false };
  },
  (f, r) => {
    const [name, text] = pick(r, [...f.originals]);
    const at = below(r, text.length);
    writeFileSync(path.join(f.dir, name), Buffer.concat([Buffer.from(text.slice(0, at)), randomBytes(r, 1 + below(r, 64)), Buffer.from(text.slice(at + 32))]));
    return { name: 'random bytes', file: name, keepsBaseline: false };
  },
  (f, r, step) => {
    writeFileSync(path.join(f.dir, `fuzz-${step}.yaml`), randomBytes(r, 1 + below(r, 4096)));
    return { name: 'new file of random bytes', file: `fuzz-${step}.yaml`, keepsBaseline: false };
  },
  (f, r) => {
    const [name, text] = pick(r, [...f.originals]);
    writeFileSync(path.join(f.dir, name), editDocument(text, r, (old) => flipType(old, r)));
    return { name: 'field type flip', file: name, keepsBaseline: false };
  },
  (f, r) => {
    const [name, text] = pick(r, [...f.originals]);
    const size = pick(r, [300, 70_000, 1_500_000]);
    writeFileSync(path.join(f.dir, name), editDocument(text, r, () => 'h'.repeat(size)));
    return { name: `huge string (${size} chars)`, file: name, keepsBaseline: false };
  },
  (f, r, step) => {
    writeFileSync(path.join(f.dir, `fuzz-${step}.yaml`), aliasBomb(6 + below(r, 4)));
    return { name: 'alias bomb', file: `fuzz-${step}.yaml`, keepsBaseline: true };
  },
  (f, _r, step) => {
    writeFileSync(path.join(f.dir, `fuzz-${step}.yaml`), anchoredSlice(step));
    return { name: 'anchor used 120 times', file: `fuzz-${step}.yaml`, keepsBaseline: false };
  },
  (f, r, step) => {
    const [name, text] = pick(r, [...f.originals].filter(([n]) => n !== 'namespaces.yaml'));
    const mutated = text.replace(/10\.96\.0\.(\d+)/g, '10.96.7.$1').replace(/10\.244\./g, '10.245.');
    writeFileSync(path.join(f.dir, `aa-dup-${step}.yaml`), mutated);
    return { name: 'duplicate (newcomer sorts first)', file: `aa-dup-${step}.yaml`, keepsBaseline: true };
  },
  (f, r) => {
    const [name] = pick(r, [...f.originals]);
    rmSync(path.join(f.dir, name), { force: true });
    return { name: 'delete', file: name, keepsBaseline: false };
  },
  async (f, r) => {
    const [name, text] = pick(r, [...f.originals]);
    writeFileSync(path.join(f.dir, name), '');
    await new Promise((res) => setTimeout(res, below(r, 300)));
    writeFileSync(path.join(f.dir, name), text);
    return { name: 'emptied then rewritten', file: name, keepsBaseline: true };
  },
  (f, _r, step) => {
    const fifo = path.join(f.dir, `fifo-${step}.yaml`);
    const made = spawnSync('mkfifo', [fifo]).status === 0;
    if (!made) writeFileSync(fifo, '');
    return { name: made ? 'FIFO named .yaml' : 'empty file (no mkfifo)', file: `fifo-${step}.yaml`, keepsBaseline: true };
  },
  (f, r, step) => {
    symlinkSync(pick(r, ['.', '..', '/dev/zero', '/']), path.join(f.dir, `loop-${step}${r() < 0.5 ? '.yaml' : ''}`));
    return { name: 'symlink loop or escape', file: `loop-${step}`, keepsBaseline: true };
  },
];

/** Applies the mutation the generator picks for this step. */
export function mutate(f: Folder, r: Rng, step: number): Mutation | Promise<Mutation> {
  return pick(r, MUTATORS)(f, r, step);
}
