// Golden tests: testdata/translate/<case>/input.yaml is the case's input (included manifests, a pod, a strategy,
// DNS capture, SDS; see golden-cases.ts); the translated resources, encoded with Envoy's protos and printed as
// canonical proto3 JSON, must equal <case>/{listeners,clusters,routes,endpoints}.json. UPDATE_GOLDEN=1 rewrites them
// (and deletes stale ones); never under CI (test/support/golden.ts).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { renderResources } from '../../src/translate/render.ts';
import { validateResources } from '../../src/validate/index.ts';
import { matchGolden, removeStaleGoldens } from '../support/golden.ts';
import { GOLDEN_ROOT as ROOT, goldenCases, translateCase } from './golden-cases.ts';

const KINDS = ['listeners', 'clusters', 'routes', 'endpoints'] as const;

const cases = goldenCases();

test('there are golden cases', () => assert.ok(cases.length >= 6));

for (const name of cases) {
  test(`golden ${name}`, async () => {
    const dir = path.join(ROOT, name);
    const resources = await translateCase(name);
    const rendered = renderResources(resources);
    for (const kind of KINDS) matchGolden(path.join(dir, `${kind}.json`), `${JSON.stringify(rendered[kind], null, 2)}\n`, `${name}/${kind}.json`);
    removeStaleGoldens(dir, '.json', KINDS.map((k) => `${k}.json`));
    assert.ok(KINDS.every((k) => existsSync(path.join(dir, `${k}.json`))));
    assert.deepEqual(validateResources(resources), [], 'the validator accepts every golden');
  });
}
