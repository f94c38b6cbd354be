// The translate golden cases: testdata/translate/<case>/case.yaml names manifests, a pod, a strategy, whether the
// proxy captures DNS and whether it has certificates over SDS (`sds: true`, as node metadata SDS would say). One reader, so every test that walks the goldens translates a case the same way.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadMesh } from '../../src/index.ts';
import { translate } from '../../src/translate/index.ts';
import type { EnvoyResources } from '../../src/translate/types.ts';

/** Where the golden cases live. */
export const GOLDEN_ROOT = path.join(import.meta.dirname, '../../testdata/translate');

/** The case folder names, sorted. */
export function goldenCases(): string[] {
  return readdirSync(GOLDEN_ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

/** What the case's proxy gets, translated as its case.yaml says. */
export async function translateCase(name: string): Promise<EnvoyResources> {
  const dir = path.join(GOLDEN_ROOT, name);
  const spec = parse(readFileSync(path.join(dir, 'case.yaml'), 'utf8')) as { manifests?: string; proxy: string; strategy?: string; dnsCapture?: boolean; sds?: boolean };
  const mesh = await loadMesh(path.join(dir, spec.manifests ?? 'input.yaml'), spec.proxy);
  assert.ok(!('error' in mesh), 'error' in mesh ? mesh.error : '');
  const dns = spec.dnsCapture === true ? { dnsCapture: true, dnsAutoAllocate: true } : {};
  const sds = spec.sds === true ? { sds: true } : {};
  return translate(mesh.index, { ...mesh.proxy, ...dns, ...sds }, { strategy: spec.strategy === 'per-family' ? 'per-family' : 'shared' });
}
