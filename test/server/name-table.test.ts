// The server sends each sidecar's name table to the agent stream that subscribes to it, and a new table when the
// mesh changes; Envoy's own resource types are unaffected.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { NameTableClient } from '../../src/agent/ads-client.ts';
import type { NameTable } from '../../src/translate/nds.ts';
import { poll } from '../e2e/harness.ts';
import { serveFolder } from './served-folder.ts';

test('an agent subscribed to the name table gets the sidecar\'s table, filtered by its IP mode, and updates', async (t) => {
  const { manifests, xds, track } = await serveFolder(t);
  const tables: { v4: NameTable[]; dual: NameTable[] } = { v4: [], dual: [] };
  for (const kind of ['v4', 'dual'] as const) {
    const ips = kind === 'v4' ? '10.244.0.20' : '10.244.0.21,fd00:10:244::21';
    const client = new NameTableClient({
      target: xds,
      node: { id: `sidecar~${ips.split(',')[0]}~c-${kind}.e2e~e2e.svc.cluster.local`, metadata: { NAMESPACE: 'e2e', INSTANCE_IPS: ips } },
      onTable: (table) => tables[kind].push(table),
    });
    track(client).start();
  }
  const host = 'who.e2e.svc.cluster.local';
  const dual = await poll(() => tables.dual.find((x) => x.table[host]), 'a name table for the dual proxy');
  assert.equal(dual.table[host]?.ips.length, 2);
  assert.equal(dual.table[host]?.shortname, 'who');
  const v4 = await poll(() => tables.v4.find((x) => x.table[host]), 'a name table for the IPv4 proxy');
  assert.deepEqual(v4.table[host]?.ips.every((ip) => !ip.includes(':')), true);
  assert.equal(v4.table[host]?.ips.length, 1);
  await writeFile(path.join(manifests.dir, 'extra.yaml'), [
    'apiVersion: networking.istio.io/v1', 'kind: ServiceEntry', 'metadata: {name: ext, namespace: e2e}',
    'spec: {hosts: [ext.example.com], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}', '',
  ].join('\n'));
  const updated = await poll(() => tables.dual.find((x) => x.table['ext.example.com']), 'a table with the new ServiceEntry');
  assert.equal(updated.table['ext.example.com']?.ips.length, 2);
});
