// The command itself: the demo is clean of errors, broken input exits 1 naming file:line, text and JSON agree, exit
// codes follow --fail-on, usage errors exit 2, and the output is the same on every run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { analyzeJson, fixture, lineOf, runAnalyze } from './helpers.ts';

const DEMO = 'examples/demo';

test('the demo cluster analyzes with zero errors and checks every pod with a proxy', async (t) => {
  const r = await analyzeJson(DEMO);
  const errors = r.findings.filter((f) => f.severity === 'error');
  assert.deepEqual(errors, [], JSON.stringify(errors, null, 2));
  assert.equal(r.code, 0);
  assert.equal(r.summary.proxies, 18);
  assert.ok(r.summary.objects > 0);
  for (const f of r.findings) t.diagnostic(`${f.code}: ${f.object}: ${f.message}`);
  // The demo's designed single-stack corners surface as warnings, each on the object they are about.
  assert.ok(r.findings.some((f) => f.code === 'single-stack-backends' && f.object === 'Service/demo/echo'));
  assert.ok(r.findings.some((f) => f.code === 'no-vip-for-family' && f.object === 'Service/shop/metrics'));
});

test('the demo has no errors under per-family forwarding either', async () => {
  const r = await analyzeJson(DEMO, ['--strategy', 'per-family']);
  assert.deepEqual(r.findings.filter((f) => f.severity === 'error'), []);
  assert.equal(r.summary.proxies, 18);
});

test('broken manifests exit 1 and name the file and line of each problem', async () => {
  const dir = fixture('broken');
  const r = await runAnalyze(['--manifests', dir]);
  assert.equal(r.code, 1);
  const lines = r.out.trimEnd().split('\n');
  const types = `${dir}/types.yaml`;
  assert.ok(lines.some((l) => l.startsWith(`error    ${dir}/bad-yaml.yaml:`) && l.includes('invalid YAML')), r.out);
  const port = lines.find((l) => l.includes('Service/app/web'));
  assert.equal(port, `error    ${types}:${lineOf(types, 'port: eighty')}  Service/app/web  spec.ports[0].port: must be a port number 1..65535, got string "eighty"`);
  assert.ok(lines.some((l) => l.includes(`${types}:${lineOf(types, 'kind: Pod') - 1}  Pod/app/client  duplicate object`)), r.out);
  assert.equal(lines.at(-1), '3 errors, 0 warnings in 1 object, 1 proxy checked');
});

test('a missing manifest folder is an error finding, not a crash', async () => {
  const r = await runAnalyze(['--manifests', 'testdata/analyze/does-not-exist']);
  assert.equal(r.code, 1);
  assert.match(r.out, /^error {4}testdata\/analyze\/does-not-exist {2}- {2}cannot read/);
});

test('--format json carries the same findings as the text lines, and a summary', async () => {
  const dir = fixture('model');
  const text = await runAnalyze(['--manifests', dir]);
  const json = await analyzeJson(dir);
  const lines = text.out.trimEnd().split('\n');
  assert.equal(lines.length, json.findings.length + 1);
  json.findings.forEach((f, i) => {
    assert.ok(lines[i]?.startsWith(f.severity), lines[i]);
    assert.ok(lines[i]?.includes(`${f.file}:${f.line}  ${f.object}  ${f.field}: ${f.message}`), lines[i]);
  });
  assert.equal(lines.at(-1), `${json.summary.errors} errors, ${json.summary.warnings} warnings in ${json.summary.objects} objects, 1 proxy checked`);
  assert.equal(json.code, text.code);
});

test('--fail-on warning makes warnings fail the run; the default only fails on errors', async () => {
  const dir = fixture('one-family-endpoints');
  assert.equal((await runAnalyze(['--manifests', dir])).code, 0);
  assert.equal((await runAnalyze(['--manifests', dir, '--fail-on', 'warning'])).code, 1);
  assert.equal((await runAnalyze(['--manifests', dir, '--fail-on', 'error'])).code, 0);
  assert.equal((await runAnalyze(['--manifests', fixture('clean'), '--fail-on', 'warning'])).code, 0);
});

test('usage errors exit 2 with the usage text; --help exits 0', async () => {
  for (const args of [
    [],
    ['--manifests', DEMO, '--pod', 'no-slash'],
    ['--manifests', DEMO, '--format', 'yaml'],
    ['--manifests', DEMO, '--fail-on', 'info'],
    ['--manifests', DEMO, '--strategy', 'native'],
    ['--manifests', DEMO, '--bogus'],
  ]) {
    const r = await runAnalyze(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /usage: biplane analyze/);
    assert.equal(r.out, '');
  }
  const help = await runAnalyze(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /--fail-on error\|warning/);
});

test('the report is sorted and identical on every run', async () => {
  const first = await runAnalyze(['--manifests', DEMO]);
  const second = await runAnalyze(['--manifests', DEMO]);
  assert.equal(first.out, second.out);
  const findings = first.out.trimEnd().split('\n').slice(0, -1);
  const places = findings.map((l) => l.split(/\s{2,}/)[1] ?? '');
  const key = (p: string): [string, number] => [p.replace(/:\d+$/, ''), Number(/:(\d+)$/.exec(p)?.[1] ?? 0)];
  const sorted = [...places].sort((a, b) => (key(a)[0] < key(b)[0] ? -1 : key(a)[0] > key(b)[0] ? 1 : key(a)[1] - key(b)[1]));
  assert.deepEqual(places, sorted);
});

test('the biplane binary dispatches to analyze and returns its exit code', () => {
  const r = spawnSync(process.execPath, ['bin/biplane.js', 'analyze', '--manifests', fixture('one-family-endpoints'), '--fail-on', 'warning'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /one-family-endpoints\/service\.yaml:\d+ {2}Service\/app\/api {2}spec\.ipFamilyPolicy: /);
  assert.match(r.stdout, /0 errors, 1 warning in 3 objects, 1 proxy checked\n$/);
});
