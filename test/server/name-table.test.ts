// The server sends each sidecar's name table to the agent stream that subscribes to it, and a new table when the
// mesh changes; Envoy's own resource types are unaffected.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { NameTableClient } from '../../src/agent/ads-client.ts';
import { startServer } from '../../src/server/pipeline.ts';
import { FileSource } from '../../src/sources/files/index.ts';
import type { NameTable } from '../../src/translate/nds.ts';
import { Manifests, poll } from '../e2e/harness.ts';

test('an agent subscribed to the name table gets the sidecar\'s table, filtered by its IP mode, and updates', async (t) => {
  const manifests = await Manifests.create();
  await manifests.writePod('who-0', ['10.244.0.10', 'fd00:10:244::10'], 8080);
  const server = await startServer({
    source: new FileSource({ path: manifests.dir, debounceMs: 10 }),
    xdsAddresses: ['127.0.0.1:0'],
    adminAddress: '127.0.0.1:0',
    debounceMs: 20,
    debounceMaxMs: 200,
  });
  const tables: { v4: NameTable[]; dual: NameTable[] } = { v4: [], dual: [] };
  const clients = (['v4', 'dual'] as const).map((kind) => {
    const ips = kind === 'v4' ? '10.244.0.20' : '10.244.0.21,fd00:10:244::21';
    const client = new NameTableClient({
      target: server.xdsAddresses[0] as string,
      node: { id: `sidecar~${ips.split(',')[0]}~c-${kind}.e2e~e2e.svc.cluster.local`, metadata: { NAMESPACE: 'e2e', INSTANCE_IPS: ips } },
      onTable: (table) => tables[kind].push(table),
    });
    client.start();
    return client;
  });
  t.after(async () => {
    clients.forEach((c) => c.close());
    await server.stop();
    await manifests.remove();
  });
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
