// deploy/ read for the tests: every manifest parsed, by kind, plus the Dockerfile's stages.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The deploy/ folder. */
export const DEPLOY = new URL('../../deploy/', import.meta.url).pathname;
const REPO = new URL('../../', import.meta.url).pathname;

/** A Kubernetes object as parsed, loosely typed: tests read the fields they check. */
export type Obj = Record<string, any>;

/** Every object in deploy/*.yaml (the kustomization excluded), with the file it came from. */
export function deployObjects(): { file: string; obj: Obj }[] {
  const out: { file: string; obj: Obj }[] = [];
  for (const file of readdirSync(DEPLOY).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort()) {
    for (const doc of parseAllDocuments(readFileSync(path.join(DEPLOY, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const obj = doc.toJS() as Obj | null;
      if (obj) out.push({ file, obj });
    }
  }
  return out;
}

/** The one object of `kind` (named `name`, when given) in deploy/ (throws when there is not exactly one). */
export function one(kind: string, name?: string): Obj {
  const found = deployObjects().filter((o) => o.obj['kind'] === kind && (name === undefined || o.obj['metadata']?.['name'] === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name === undefined ? '' : ` ${name}`} in deploy/, found ${found.length}`);
  return found[0]!.obj;
}

/** deploy/kustomization.yaml, parsed. */
export function kustomization(): Obj {
  return parseAllDocuments(readFileSync(path.join(DEPLOY, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as Obj;
}

/** One stage of the Dockerfile: its FROM line and its instructions as [keyword, rest]. */
export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly steps: readonly (readonly [string, string])[];
}

/** The Dockerfile's stages, comments and blank lines dropped. */
export function dockerStages(): Stage[] {
  const stages: { from: string; name: string | undefined; steps: [string, string][] }[] = [];
  for (const raw of readFileSync(path.join(REPO, 'Dockerfile'), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: m?.[1] ?? args, name: m?.[2], steps: [] });
    } else {
      stages.at(-1)?.steps.push([keyword.toUpperCase(), args]);
    }
  }
  return stages;
}
