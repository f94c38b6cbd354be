// parseManifests: one file's text to objects with lines, and a located problem for everything it cannot use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseManifests } from '../../src/sources/files/index.ts';
import { fieldLine, splitFieldPath } from '../../src/sources/files/field-line.ts';
import { LineCounter, parseDocument } from 'yaml';
import { serviceYaml } from './helpers.ts';

const lines = (objects: readonly { key: { name: string }; origin: { line?: number } }[]) =>
  objects.map((o) => `${o.key.name}@${o.origin.line}`);

describe('parseManifests', () => {
  it('reads every document of a multi-document file with the line each object starts on', () => {
    const text = `# leading comment\n${serviceYaml('a')}---\n${serviceYaml('b')}---\n\n# empty document above\n${serviceYaml('c')}`;
    const { objects, problems } = parseManifests(text, 'svc.yaml');
    assert.deepEqual(problems, []);
    assert.deepEqual(lines(objects), ['a@2', 'b@12', 'c@24']);
    assert.deepEqual(objects[1]?.origin, { source: 'files', file: 'svc.yaml', line: 12, object: 'Service/demo/b' });
    assert.deepEqual(objects[1]?.key, { kind: 'Service', namespace: 'demo', name: 'b' });
  });

  it('reads kubectl List output as one object per item, each at its own line', () => {
    const text = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - apiVersion: v1',
      '    kind: Namespace',
      '    metadata: { name: one }',
      '  - apiVersion: v1',
      '    kind: Node',
      '    metadata:',
      '      name: two',
      '',
    ].join('\n');
    const { objects, problems } = parseManifests(text, 'list.yaml');
    assert.deepEqual(problems, []);
    assert.deepEqual(lines(objects), ['one@4', 'two@7']);
    assert.equal(objects[1]?.origin.object, 'Node/two');
  });

  it('reads JSON manifests, lines included', () => {
    const text = '{\n  "apiVersion": "v1",\n  "kind": "Namespace",\n  "metadata": { "name": "json" }\n}\n';
    const { objects, problems } = parseManifests(text, 'ns.json');
    assert.deepEqual(problems, []);
    assert.deepEqual(lines(objects), ['json@1']);
  });

  it('gives the same version to the same content however it is formatted, and a new one when a value changes', () => {
    const a = parseManifests('apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n', 'a.yaml').objects[0];
    const b = parseManifests('# moved\nkind: Namespace\nmetadata:\n  name: x\napiVersion: v1\n', 'b.yaml').objects[0];
    const c = parseManifests('apiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: {a: b}}\n', 'c.yaml').objects[0];
    assert.ok(a && b && c);
    assert.equal(a.version, b.version);
    assert.notEqual(a.version, c.version);
  });

  it('reports invalid YAML with file and line and still serves the other documents', () => {
    const text = `${serviceYaml('a')}---\nkind: Service\nmetadata: {name: b\n  x: [\n---\n${serviceYaml('c')}`;
    const { objects, problems } = parseManifests(text, 'bad.yaml');
    assert.deepEqual(lines(objects), ['a@1', 'c@15']);
    assert.ok(problems.length > 0);
    for (const p of problems) {
      assert.equal(p.severity, 'error');
      assert.equal(p.origin.file, 'bad.yaml');
      assert.ok(p.origin.line !== undefined && p.origin.line >= 11 && p.origin.line <= 14, `line ${p.origin.line}`);
      assert.match(p.message, /invalid YAML/);
    }
  });

  it('rejects an object with a wrong field type and names its file, line and field', () => {
    const text = [
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: web',
      '  namespace: demo',
      'spec:',
      '  ports:',
      '    - name: http',
      '      port: eighty',
      '',
    ].join('\n');
    const { objects, problems } = parseManifests(text, 'web.yaml');
    assert.deepEqual(objects, []);
    const errors = problems.filter((p) => p.severity === 'error');
    assert.equal(errors.length, 1);
    assert.deepEqual(
      { file: errors[0]?.origin.file, line: errors[0]?.origin.line, field: errors[0]?.origin.field, object: errors[0]?.origin.object },
      { file: 'web.yaml', line: 9, field: 'spec.ports[0].port', object: 'Service/demo/web' },
    );
  });

  it('reports an unknown kind at its document and keeps the rest', () => {
    const text = `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\n${serviceYaml('a')}`;
    const { objects, problems } = parseManifests(text, 'mixed.yaml');
    assert.deepEqual(lines(objects), ['a@5']);
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.message ?? '', /Deployment/);
    assert.equal(problems[0]?.origin.line, 2);
    assert.equal(problems[0]?.origin.field, 'kind');
  });

  it('reports a document that is not a mapping', () => {
    const { objects, problems } = parseManifests('- just\n- a list\n', 'seq.yaml');
    assert.deepEqual(objects, []);
    assert.deepEqual(problems.map((p) => [p.severity, p.origin.file, p.origin.line]), [['error', 'seq.yaml', 1]]);
  });

  it('keeps the first of two definitions of one object and reports the second with both locations', () => {
    const text = `${serviceYaml('a', '10.96.0.1')}---\n${serviceYaml('a', '10.96.0.2')}`;
    const { objects, problems } = parseManifests(text, 'dup.yaml');
    assert.deepEqual(lines(objects), ['a@1']);
    assert.deepEqual(objects[0]?.object['spec'], { clusterIPs: ['10.96.0.1'], ports: [{ name: 'http', port: 80 }] });
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.origin.line, 11);
    assert.match(problems[0]?.message ?? '', /dup\.yaml:1\b.*dup\.yaml:11\b/);
  });
});

describe('fieldLine', () => {
  const text = 'metadata:\n  annotations:\n    biplane.io/ip-family-forwarding: native\nspec:\n  clusterIPs:\n    - 10.0.0.1\n    - "fd00::1"\n';
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });

  it('finds sequence items and annotation keys that contain dots', () => {
    assert.equal(fieldLine(doc.contents, 'spec.clusterIPs[1]', counter), 7);
    assert.equal(fieldLine(doc.contents, 'metadata.annotations.biplane.io/ip-family-forwarding', counter), 3);
    assert.equal(fieldLine(doc.contents, 'metadata.annotations["biplane.io/ip-family-forwarding"]', counter), 3);
  });

  it('falls back to the deepest part of the path that exists', () => {
    assert.equal(fieldLine(doc.contents, 'spec.clusterIPs[5]', counter), 5);
    assert.equal(fieldLine(doc.contents, 'status.podIPs', counter), undefined);
    assert.deepEqual(splitFieldPath('a.b[2]["c.d"]'), ['a', 'b', 2, 'c.d']);
  });
});
