// FileSource: a watched folder whose edits are applied live, bad documents reported and skipped, last good kept.
import assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import { FileSource } from '../../src/sources/files/index.ts';
import { Watched, serviceYaml, watchedFolder } from './helpers.ts';

describe('FileSource', () => {
  const folder = watchedFolder();
  let dir = '';
  beforeEach(() => {
    dir = folder.dir();
  });
  const start = (target = dir): Promise<Watched> => folder.start(target);

  it('loads every manifest file of a folder tree in sorted order, ignoring other files', async () => {
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'b.yaml'), serviceYaml('b'));
    await writeFile(path.join(dir, 'sub', 'a.yml'), serviceYaml('a'));
    await writeFile(path.join(dir, 'c.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'c' } }));
    await writeFile(path.join(dir, 'notes.txt'), 'not a manifest');
    await writeFile(path.join(dir, '.hidden.yaml'), 'kind: [');
    const w = await start();
    assert.deepEqual(w.names(), ['Namespace//c', 'Service/demo/a', 'Service/demo/b']);
    assert.deepEqual(w.source.problems(), []);
    assert.equal(w.source.objects()[1]?.origin.file, path.join(dir, 'sub', 'a.yml'));
  });

  it('applies an edit live and reports only the object that really changed', async () => {
    await writeFile(path.join(dir, 'svc.yaml'), `${serviceYaml('a', '10.96.0.1')}---\n${serviceYaml('b', '10.96.0.2')}`);
    const w = await start();
    await writeFile(path.join(dir, 'svc.yaml'), `${serviceYaml('a', '10.96.0.1')}---\n${serviceYaml('b', '10.96.0.3')}`);
    await w.until('the edit', () => w.source.objects()[1]?.object['spec'] !== undefined && clusterIP(w, 1) === '10.96.0.3');
    assert.deepEqual(w.changes, [{ upserted: [{ kind: 'Service', namespace: 'demo', name: 'b' }], deleted: [] }]);
  });

  it('adds a file created later, also in a new sub-folder', async () => {
    const w = await start();
    await mkdir(path.join(dir, 'late'));
    await writeFile(path.join(dir, 'late', 'x.yaml'), serviceYaml('x'));
    await w.until('the new file', () => w.names().includes('Service/demo/x'));
    assert.equal(w.source.objects()[0]?.origin.line, 1);
  });

  it('removes the objects of a deleted file', async () => {
    await writeFile(path.join(dir, 'a.yaml'), serviceYaml('a'));
    await writeFile(path.join(dir, 'b.yaml'), serviceYaml('b'));
    const w = await start();
    await rm(path.join(dir, 'a.yaml'));
    await w.until('the deletion', () => w.names().length === 1);
    assert.deepEqual(w.names(), ['Service/demo/b']);
    assert.deepEqual(w.changes.at(-1), { upserted: [], deleted: [{ kind: 'Service', namespace: 'demo', name: 'a' }] });
  });

  it('follows an editor that writes a temp file and renames it over the original', async () => {
    await writeFile(path.join(dir, 'svc.yaml'), serviceYaml('a', '10.96.0.1'));
    const w = await start();
    await writeFile(path.join(dir, '.svc.yaml.swp'), serviceYaml('a', '10.96.0.9'));
    await rename(path.join(dir, '.svc.yaml.swp'), path.join(dir, 'svc.yaml'));
    await w.until('the replaced file', () => clusterIP(w, 0) === '10.96.0.9');
    assert.deepEqual(w.names(), ['Service/demo/a']);
  });

  it('keeps the last good version of an object whose document turns bad, and reports the problem', async () => {
    const file = path.join(dir, 'svc.yaml');
    await writeFile(file, `${serviceYaml('a', '10.96.0.1')}---\n${serviceYaml('b', '10.96.0.2')}`);
    const w = await start();
    const broken = serviceYaml('b', '10.96.0.3').replace('port: 80', 'port: eighty');
    await writeFile(file, `${serviceYaml('a', '10.96.0.1')}---\n${broken}`);
    await w.until('the problem', () => w.errors().length > 0);
    assert.deepEqual(w.names(), ['Service/demo/a', 'Service/demo/b']);
    assert.equal(clusterIP(w, 1), '10.96.0.2');
    assert.deepEqual(
      w.errors().map((p) => [p.origin.file, p.origin.line, p.origin.field]),
      [[file, 19, 'spec.ports[0].port']],
    );
    // Broken YAML in the same document: still the last good version.
    await writeFile(file, `${serviceYaml('a', '10.96.0.1')}---\nkind: Service\nmetadata: {name: b\n  x: [\n`);
    await w.until('the YAML problem', () => w.errors().some((p) => p.message.includes('invalid YAML')));
    assert.equal(clusterIP(w, 1), '10.96.0.2');
    assert.deepEqual(w.changes, []);
  });

  it('clears the problem when the file is fixed', async () => {
    const file = path.join(dir, 'svc.yaml');
    await writeFile(file, 'kind: Service\nmetadata: [\n');
    const w = await start();
    assert.ok(w.errors().length > 0);
    assert.equal(w.errors()[0]?.origin.file, file);
    await writeFile(file, serviceYaml('a'));
    await w.until('the fix', () => w.source.problems().length === 0);
    assert.deepEqual(w.names(), ['Service/demo/a']);
  });

  it('drops an object whose document is deleted from a still valid file', async () => {
    const file = path.join(dir, 'svc.yaml');
    await writeFile(file, `${serviceYaml('a')}---\n${serviceYaml('b')}`);
    const w = await start();
    await writeFile(file, serviceYaml('a'));
    await w.until('the removal', () => w.names().length === 1);
    assert.deepEqual(w.names(), ['Service/demo/a']);
    assert.deepEqual(w.source.problems(), []);
  });

  it('serves the first of two files defining one object and lets the second take over when the first goes', async () => {
    await writeFile(path.join(dir, 'a.yaml'), serviceYaml('same', '10.96.0.1'));
    await writeFile(path.join(dir, 'b.yaml'), `${serviceYaml('other')}---\n${serviceYaml('same', '10.96.0.2')}`);
    const w = await start();
    assert.equal(clusterIP(w, 1), '10.96.0.1');
    const [dup] = w.errors();
    assert.equal(dup?.origin.file, path.join(dir, 'b.yaml'));
    assert.equal(dup?.origin.line, 11);
    assert.ok(dup?.message.includes(`${path.join(dir, 'a.yaml')}:1`), dup?.message);
    await rm(path.join(dir, 'a.yaml'));
    await w.until('the takeover', () => clusterIP(w, 1) === '10.96.0.2');
    assert.deepEqual(w.source.problems(), []);
  });

  it('watches a single file', async () => {
    const file = path.join(dir, 'one.yaml');
    await writeFile(file, serviceYaml('a', '10.96.0.1'));
    await writeFile(path.join(dir, 'other.yaml'), serviceYaml('ignored'));
    const w = await start(file);
    assert.deepEqual(w.names(), ['Service/demo/a']);
    await writeFile(file, serviceYaml('a', '10.96.0.4'));
    await w.until('the edit', () => clusterIP(w, 0) === '10.96.0.4');
    assert.equal(w.source.objects()[0]?.origin.file, file);
  });

  it('drops everything when the folder is removed and reads it again when it comes back', async () => {
    const root = path.join(dir, 'manifests');
    await mkdir(root);
    await writeFile(path.join(root, 'a.yaml'), serviceYaml('a'));
    const w = await start(root);
    await rm(root, { recursive: true });
    await w.until('the removal', () => w.names().length === 0 && w.errors().length === 1);
    assert.match(w.errors()[0]?.message ?? '', /no such file or folder/);
    await mkdir(root);
    await writeFile(path.join(root, 'b.yaml'), serviceYaml('b'));
    await w.until('the new folder', () => w.names().length === 1);
    assert.deepEqual(w.names(), ['Service/demo/b']);
    assert.deepEqual(w.source.problems(), []);
  });

  it('refuses to start on a path that does not exist', async () => {
    const source = new FileSource({ path: path.join(dir, 'missing') });
    await assert.rejects(source.start(), /no such file or folder/);
    await source.stop();
  });
});

function clusterIP(w: Watched, index: number): unknown {
  const spec = w.source.objects()[index]?.object['spec'] as { clusterIPs?: unknown[] } | undefined;
  return spec?.clusterIPs?.[0];
}
