// Golden tests: testdata/inject/<case>.yaml → <case>.out.yaml (what `biplane inject` prints) and <case>.report.txt
// (its per-object report). UPDATE_GOLDEN=1 rewrites them; without it a difference fails the test.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_INJECT, injectManifests, type InjectResult } from '../../src/inject/index.ts';

const ROOT = new URL('../../testdata/inject/', import.meta.url).pathname;
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

/** The report as the CLI prints it on stderr. */
export function reportText(result: InjectResult): string {
  return result.reports.map((r) => `${r.outcome}  ${r.object}${r.detail.map((d) => `\n  ${d}`).join('')}\n`).join('');
}

const cases = readdirSync(ROOT).filter((f) => f.endsWith('.yaml') && !f.endsWith('.out.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();

test('there are golden cases for every workload kind, the traffic annotations and the opt-outs', () => {
  assert.deepEqual(cases, ['annotations', 'opt-out', 'workloads']);
});

for (const name of cases) {
  test(`inject output and report for ${name} match the golden files`, () => {
    const input = readFileSync(path.join(ROOT, `${name}.yaml`), 'utf8');
    const result = injectManifests(input, `${name}.yaml`, DEFAULT_INJECT);
    assert.ok(result.yaml !== undefined, reportText(result));
    const files: [string, string][] = [[`${name}.out.yaml`, result.yaml], [`${name}.report.txt`, reportText(result)]];
    for (const [file, text] of files) {
      const at = path.join(ROOT, file);
      if (UPDATE) writeFileSync(at, text);
      else {
        assert.ok(existsSync(at), `${file} missing: run with UPDATE_GOLDEN=1`);
        assert.equal(text, readFileSync(at, 'utf8'), `${file} differs`);
      }
    }
  });
}
