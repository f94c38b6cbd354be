// Golden tests: testdata/translate/<case>/case.yaml names manifests, a pod, a strategy and whether the pod's agent
// captures its DNS (`dnsCapture: true`, as node metadata DNS_CAPTURE + DNS_AUTO_ALLOCATE would say); the translated
// resources, encoded with Envoy's protos and printed as canonical proto3 JSON, must equal
// <case>/{listeners,clusters,routes,endpoints}.json. UPDATE_GOLDEN=1 rewrites them (and deletes stale ones); never in CI.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { renderResources } from '../../src/translate/render.ts';
import { validateResources } from '../../src/validate/index.ts';
import { underCi } from '../support/requirements.ts';
import { GOLDEN_ROOT as ROOT, goldenCases, translateCase } from './golden-cases.ts';

const KINDS = ['listeners', 'clusters', 'routes', 'endpoints'] as const;
const update = process.env['UPDATE_GOLDEN'] === '1' && !underCi();

const cases = goldenCases();

test('there are golden cases', () => assert.ok(cases.length >= 6));

for (const name of cases) {
  test(`golden ${name}`, async () => {
    const dir = path.join(ROOT, name);
    const resources = await translateCase(name);
    const rendered = renderResources(resources);
    for (const kind of KINDS) {
      const file = path.join(dir, `${kind}.json`);
      const actual = `${JSON.stringify(rendered[kind], null, 2)}\n`;
      if (update) writeFileSync(file, actual);
      else assert.equal(actual, readFileSync(file, 'utf8'), `${name}/${kind}.json differs (UPDATE_GOLDEN=1 to accept)`);
    }
    if (update) {
      for (const f of readdirSync(dir)) {
        if (f.endsWith('.json') && !KINDS.some((k) => `${k}.json` === f)) rmSync(path.join(dir, f));
      }
    }
    assert.ok(KINDS.every((k) => existsSync(path.join(dir, `${k}.json`))));
    assert.deepEqual(validateResources(resources), [], 'the validator accepts every golden');
  });
}
