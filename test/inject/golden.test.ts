// Golden tests: testdata/inject/<case>/input.yaml → output.yaml (what `biplane inject` prints) and report.txt (its
// per-object report). UPDATE_GOLDEN=1 rewrites them and deletes stale files, never under CI; without it a difference fails the test.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_INJECT, injectManifests, type InjectResult } from '../../src/inject/index.ts';
import { underCi } from '../support/requirements.ts';

const ROOT = new URL('../../testdata/inject/', import.meta.url).pathname;
const UPDATE = process.env['UPDATE_GOLDEN'] === '1' && !underCi();

function reportText(result: InjectResult): string {
  return result.reports.map((r) => `${r.outcome}  ${r.object}${r.detail.map((d) => `\n  ${d}`).join('')}\n`).join('');
}

const cases = readdirSync(ROOT).filter((name) => existsSync(path.join(ROOT, name, 'input.yaml'))).sort();

test('there are golden cases for every workload kind, the traffic annotations and the opt-outs', () => {
  assert.deepEqual(cases, ['annotations', 'opt-out', 'workloads']);
});

for (const name of cases) {
  test(`inject output and report for ${name} match the golden files, and the output parses`, () => {
    const dir = path.join(ROOT, name);
    const result = injectManifests(readFileSync(path.join(dir, 'input.yaml'), 'utf8'), `${name}/input.yaml`, DEFAULT_INJECT);
    assert.ok(result.yaml !== undefined, reportText(result));
    assert.ok(parseAllDocuments(result.yaml).every((d) => d.errors.length === 0), 'the output is valid YAML');
    const generated = new Map([['output.yaml', result.yaml], ['report.txt', reportText(result)]]);
    const onDisk = readdirSync(dir).filter((f) => f !== 'input.yaml').sort();
    if (UPDATE) {
      for (const f of onDisk) if (!generated.has(f)) unlinkSync(path.join(dir, f));
      for (const [f, text] of generated) writeFileSync(path.join(dir, f), text);
      return;
    }
    assert.deepEqual(onDisk, [...generated.keys()].sort(), `${name}: expected files differ`);
    for (const [f, text] of generated) assert.equal(text, readFileSync(path.join(dir, f), 'utf8'), `${name}/${f} differs`);
  });
}
