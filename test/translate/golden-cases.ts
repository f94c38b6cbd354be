// The translate golden cases: testdata/translate/<case>/input.yaml is the case's whole input: the manifests it
// includes (`include:`, shared files named explicitly), the pod, the strategy, whether the pod's agent captures DNS
// (`dnsCapture: true`, node metadata DNS_CAPTURE + DNS_AUTO_ALLOCATE) and whether it has certificates over SDS
// (`sds: true`). One reader, so every test that walks the goldens translates a case the same way.
import assert from 'node:assert/strict';
import path from 'node:path';
import { meshOf } from '../../src/pipeline/index.ts';
import { translate } from '../../src/translate/index.ts';
import type { EnvoyResources } from '../../src/translate/index.ts';
import { caseNames, loadCaseManifests, readCaseInput } from '../support/golden.ts';

/** Where the golden cases live. */
export const GOLDEN_ROOT = path.join(import.meta.dirname, '../../testdata/translate');

/** One case as its input.yaml says. */
export interface GoldenCase {
  readonly name: string;
  readonly dir: string;
  /** The manifest files the case includes, absolute, in order. */
  readonly include: readonly string[];
  /** The pod whose sidecar is translated, `namespace/name`. */
  readonly proxy: string;
  readonly strategy: 'shared' | 'per-family';
  readonly dnsCapture: boolean;
  readonly sds: boolean;
}

const SETTINGS = ['proxy', 'strategy', 'dnsCapture', 'sds'];

/** The case folder names, sorted. */
export function goldenCases(): string[] {
  return caseNames(GOLDEN_ROOT);
}

/** Reads one case's input.yaml, checking every setting's type. */
export function goldenCase(name: string): GoldenCase {
  const input = readCaseInput(path.join(GOLDEN_ROOT, name), SETTINGS);
  const { proxy, strategy = 'shared', dnsCapture = false, sds = false } = input.settings;
  const where = `${name}/input.yaml`;
  assert.ok(typeof proxy === 'string' && /^[^/]+\/[^/]+$/.test(proxy), `${where}: proxy: namespace/pod`);
  assert.ok(strategy === 'shared' || strategy === 'per-family', `${where}: strategy: shared or per-family`);
  assert.ok(typeof dnsCapture === 'boolean' && typeof sds === 'boolean', `${where}: dnsCapture and sds are booleans`);
  return { name, dir: input.dir, include: input.include, proxy, strategy, dnsCapture, sds };
}

/** What the case's proxy gets, translated as its input.yaml says. */
export async function translateCase(name: string): Promise<EnvoyResources> {
  const spec = goldenCase(name);
  const [namespace = '', pod = ''] = spec.proxy.split('/');
  const mesh = meshOf(await loadCaseManifests(spec.include), namespace, pod, `${name}/input.yaml`);
  assert.ok(!('error' in mesh), 'error' in mesh ? mesh.error : '');
  const dns = spec.dnsCapture ? { dnsCapture: true, dnsAutoAllocate: true } : {};
  const sds = spec.sds ? { sds: true } : {};
  return translate(mesh.index, { ...mesh.proxy, ...dns, ...sds }, { strategy: spec.strategy });
}
