// The manifest folder against hostile or clumsy input: aliases, special files, symlink loops, editor saves and
// hijacking duplicates. One bad file must never stop, shrink or hold up what every other file serves.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import { aliasExpansion } from '../../src/sources/files/aliases.ts';
import { parseFile } from '../../src/sources/files/parse.ts';
import { loadManifests } from '../../src/sources/files/index.ts';
import { parseAllDocuments } from 'yaml';
import { Watched, serviceYaml, watchedFolder } from './helpers.ts';

/** An EndpointSlice whose `n` endpoints all share one anchored `conditions` block. */
function aliasedSlice(n: number): string {
  const endpoints = Array.from({ length: n }, (_, i) => `  - addresses: ["10.244.${Math.floor(i / 250)}.${(i % 250) + 1}"]\n    conditions: ${i === 0 ? '&c { ready: true }' : '*c'}`);
  return [
    'apiVersion: discovery.k8s.io/v1',
    'kind: EndpointSlice',
    'metadata: { name: web-abc, namespace: demo, labels: { kubernetes.io/service-name: web } }',
    'addressType: IPv4',
    'ports: [{ name: http, port: 8080 }]',
    'endpoints:',
    ...endpoints,
    '',
  ].join('\n');
}

/** A small "billion laughs": each level doubles the one before, ten times over. */
const ALIAS_BOMB = [
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata: { name: lol, namespace: demo }',
  'data:',
  '  a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
  ...Array.from({ length: 12 }, (_, i) => `  a${i + 1}: &a${i + 1} [*a${i}, *a${i}, *a${i}, *a${i}, *a${i}, *a${i}, *a${i}, *a${i}]`),
  '',
].join('\n');

describe('aliases', () => {
  it('counts what resolving aliases adds, even for a bomb, without resolving them', () => {
    const [small] = parseAllDocuments(aliasedSlice(120));
    assert.equal(aliasExpansion(small as never), 119 * 3, "each alias adds its map, key and value");
    const [bomb] = parseAllDocuments(ALIAS_BOMB);
    assert.ok(aliasExpansion(bomb as never) > 8 ** 12);
  });

  it('loads a valid slice that uses one anchor 120 times', () => {
    const parsed = parseFile(aliasedSlice(120), 'slice.yaml');
    assert.deepEqual(parsed.problems, []);
    const endpoints = parsed.documents[0]?.objects[0]?.object['endpoints'] as unknown[];
    assert.equal(endpoints.length, 120);
  });

  it('refuses an alias bomb as that document only, naming file and line, and keeps the file’s other documents', () => {
    const parsed = parseFile(`${serviceYaml('a')}---\n${ALIAS_BOMB}`, 'bomb.yaml');
    assert.equal(parsed.documents[0]?.objects.length, 1);
    assert.equal(parsed.documents[1]?.bad, true);
    const [problem] = parsed.problems;
    assert.match(problem?.message ?? '', /aliases would expand .* over the budget/);
    assert.equal(problem?.origin.file, 'bomb.yaml');
    assert.equal(problem?.origin.line, 11);
  });
});

describe('FileSource under hostile input', () => {
  const folder = watchedFolder();
  let dir = '';
  beforeEach(() => {
    dir = folder.dir();
  });
  const start = (): Promise<Watched> => folder.start();

  /** Names every object the source withdrew since it started. */
  const withdrawn = (w: Watched): string[] => w.changes.flatMap((c) => c.deleted.map((k) => `${k.kind}/${k.namespace}/${k.name}`));

  it('keeps applying every other file while one holds an alias bomb', async () => {
    await writeFile(path.join(dir, 'bomb.yaml'), ALIAS_BOMB);
    await writeFile(path.join(dir, 'svc.yaml'), serviceYaml('a'));
    const w = await start();
    await writeFile(path.join(dir, 'svc2.yaml'), serviceYaml('b'));
    await w.until('the later file', () => w.names().includes('Service/demo/b'));
    const bomb = w.errors().find((p) => p.origin.file === path.join(dir, 'bomb.yaml'));
    assert.equal(bomb?.origin.line, 1);
  });

  it('never reads a FIFO named *.yaml, reports it, keeps watching and stops promptly', async () => {
    execFileSync('mkfifo', [path.join(dir, 'pipe.yaml')]);
    await writeFile(path.join(dir, 'svc.yaml'), serviceYaml('a'));
    const w = await start();
    assert.deepEqual(w.names(), ['Service/demo/a']);
    assert.match(w.errors()[0]?.message ?? '', /pipe\.yaml: not a regular file \(a FIFO\)/);
    await writeFile(path.join(dir, 'svc2.yaml'), serviceYaml('b'));
    await w.until('a later edit', () => w.names().includes('Service/demo/b'));
    const stopped = await Promise.race([w.source.stop().then(() => 'stopped'), new Promise((r) => setTimeout(() => r('hung'), 5000))]);
    assert.equal(stopped, 'stopped');
  });

  it('walks each real folder once: symlink loops read nothing twice and links never leave the folder', async () => {
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', 'svc.yaml'), serviceYaml('a'));
    await symlink('.', path.join(dir, 'loop'));
    await symlink('..', path.join(dir, 'sub', 'up'));
    await symlink('/dev/zero', path.join(dir, 'zero.yaml'));
    await symlink('/etc', path.join(dir, 'etc'));
    const load = await loadManifests(dir);
    assert.deepEqual(load.objects.map((o) => o.key.name), ['a']);
    assert.deepEqual(load.problems.filter((p) => p.severity === 'error'), [], 'no duplicates: every file read once');
    const outside = load.problems.map((p) => p.message).filter((m) => m.includes('outside the manifest folder'));
    assert.equal(outside.length, 2, `links out of the folder reported: ${JSON.stringify(load.problems)}`);
  });

  it('withdraws nothing, not even for a moment, through truncate-then-write, temp-then-rename, delete-then-recreate and garbage saves', async () => {
    const file = path.join(dir, 'svcs.yaml');
    const full = ['a', 'b', 'c', 'd'].map((n, i) => serviceYaml(n, `10.96.0.${i + 1}`)).join('---\n');
    await writeFile(file, full);
    const w = await start();
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 200));
    await writeFile(file, full.slice(0, Math.floor(full.length / 2))); // truncated halfway, as a slow save leaves it
    await settle();
    await writeFile(file, full);
    await writeFile(file, ''); // emptied, rewritten 300 ms later
    await new Promise((r) => setTimeout(r, 300));
    await writeFile(file, full);
    await writeFile(`${file}.tmp`, full.replace('10.96.0.4', '10.96.0.9'));
    await rename(`${file}.tmp`, file);
    await w.until('the renamed save', () => w.source.objects().some((o) => JSON.stringify(o.object).includes('10.96.0.9')));
    await rm(file); // deleted and re-created
    await settle();
    await writeFile(file, full);
    await writeFile(file, randomBytes(2000)); // garbage
    await settle();
    await writeFile(file, full);
    await settle();
    await new Promise((r) => setTimeout(r, 1200)); // past the grace period
    assert.deepEqual(withdrawn(w), []);
    assert.deepEqual(w.names(), ['Service/demo/a', 'Service/demo/b', 'Service/demo/c', 'Service/demo/d']);
  });

  it('withdraws the objects of a file that stays deleted once the grace period has passed', async () => {
    await writeFile(path.join(dir, 'a.yaml'), serviceYaml('a'));
    await writeFile(path.join(dir, 'b.yaml'), serviceYaml('b', '10.96.0.2'));
    const w = await start();
    await rm(path.join(dir, 'b.yaml'));
    await w.until('the withdrawal', () => w.names().length === 1, 5000);
    assert.deepEqual(withdrawn(w), ['Service/demo/b']);
  });

  it('keeps serving the object seen first when a newcomer file defines it again, whatever the file names', async () => {
    await writeFile(path.join(dir, 'frontend.yaml'), serviceYaml('frontend', '10.96.0.1', 'shop'));
    const w = await start();
    await writeFile(path.join(dir, 'aa-hijack.yaml'), serviceYaml('frontend', '10.96.0.66', 'shop'));
    await w.until('the duplicate report', () => w.errors().length === 1);
    const served = w.source.objects()[0];
    assert.equal(served?.origin.file, path.join(dir, 'frontend.yaml'));
    const [dup] = w.errors();
    assert.equal(dup?.origin.file, path.join(dir, 'aa-hijack.yaml'), 'the newcomer is the one reported');
    await rm(path.join(dir, 'frontend.yaml'));
    await w.until('the takeover', () => w.source.objects()[0]?.origin.file === path.join(dir, 'aa-hijack.yaml'));
    assert.deepEqual(w.errors(), []);
  });
});
