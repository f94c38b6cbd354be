// The README's embedding example is examples/embed-xds.ts verbatim, and it serves a real client on both families.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { main } from '../../examples/embed-xds.ts';
import { SharedResources } from '../../src/server/shared-resources.ts';
import { SnapshotBuilder, TypeUrl } from '../../src/xds/index.ts';
import { openSotw, sotwMessages, sotwNames } from './raw-client.ts';

const root = new URL('../../', import.meta.url);

test('the README xds-embed section shows examples/embed-xds.ts exactly', () => {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  const start = readme.indexOf('<!-- xds-embed:start -->');
  const end = readme.indexOf('<!-- xds-embed:end -->');
  assert.ok(start >= 0 && end > start, 'README has both xds-embed markers in order');
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(start, end));
  assert.ok(block, 'the section has a ```ts code block');
  assert.equal(block[1], readFileSync(new URL('examples/embed-xds.ts', root), 'utf8'));
});

test('the example serves its snapshot to a raw ADS client over 127.0.0.1 and [::1]', async () => {
  const { server, bound } = await main(['127.0.0.1:0', '[::1]:0']);
  try {
    assert.equal(bound.length, 2);
    assert.match(bound[0] ?? '', /^127\.0\.0\.1:\d+$/);
    assert.match(bound[1] ?? '', /^\[::1\]:\d+$/);
    for (const address of bound) {
      const s = openSotw(address);
      try {
        s.send({ node: { id: 'sidecar-1' }, type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['web'] });
        const r = await s.next();
        assert.deepEqual(sotwNames(r), ['web']);
        const endpoint = JSON.stringify(sotwMessages(r)[0]);
        assert.match(endpoint, /10\.1\.0\.5/);
        assert.match(endpoint, /fd00:1::5/);
      } finally {
        s.close();
      }
    }
  } finally {
    await server.close();
  }
});

test('the example imports only src/xds/index.ts, whose SnapshotBuilder is the one biplane serve builds with', () => {
  const source = readFileSync(new URL('examples/embed-xds.ts', root), 'utf8');
  const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
  assert.deepEqual(imports.filter((from) => !from?.startsWith('node:')), ['../src/xds/index.ts']);
  for (const name of ['SnapshotBuilder', 'SnapshotCache', 'XdsServer']) assert.match(source, new RegExp(`new ${name}\\(`), name);
  assert.ok(new SharedResources() instanceof SnapshotBuilder, "serve's builder is the library's");
});
