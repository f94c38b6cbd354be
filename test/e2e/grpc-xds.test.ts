// End to end with the real independent xDS consumer: `startServer` watches a manifest folder, grpc-js-xds clients of
// every IP mode resolve `xds:///who.e2e...:7070` through it and call real grpc-js backends on 127.0.0.1 and [::1].
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { startServer } from '../../src/server/pipeline.ts';
import type { ServerHandle } from '../../src/server/pipeline.ts';
import { FileSource } from '../../src/sources/files/index.ts';
import { Backend, Manifests, TARGET, bootstrapOption, callUntil, callWho, freePort, getText, grpcNode, poll, summary } from './harness.ts';
import type { Reply } from './harness.ts';

const require = createRequire(import.meta.url);
const xdsLib = require('@grpc/grpc-js-xds') as { register(): void; XdsServer: new (options: grpc.ServerOptions) => grpc.Server };
xdsLib.register();

interface Syncz {
  proxies: { nodeId: string; ipMode?: string; nacks: number; streams: { types: { type: string; status: string }[] }[] }[];
  nackHistory: unknown[];
}

const only = (pod: string, family: string) => (rs: readonly Reply[]) => rs.some((r) => r.pod === pod && r.family === family);

test('grpc-js-xds clients and servers run on biplane serve over both families', { timeout: 150_000 }, async (t) => {
  const manifests = await Manifests.create();
  const backends: Backend[] = [];
  const channels: grpc.Client[] = [];
  let server: ServerHandle | undefined;
  let xdsServer: grpc.Server | undefined;
  t.after(async () => {
    for (const c of channels) c.close();
    xdsServer?.forceShutdown();
    for (const b of backends) b.stop();
    await server?.stop();
    await manifests.remove();
    // grpc-js-xds keeps the XdsClient of a per-channel bootstrap (and its idle connection to biplane) after the channel
    // closes, and offers no way to close it: bound how long such a leftover may keep this test process alive.
    setTimeout(() => process.exit(process.exitCode ?? 0), 3000).unref();
  });

  // who-0 is IPv4-primary, who-1 IPv6-primary; both listen on 127.0.0.1 and [::1].
  const who0 = await Backend.start('who-0');
  const who1 = await Backend.start('who-1');
  backends.push(who0, who1);
  await manifests.writePod('who-0', ['127.0.0.1', '::1'], who0.port);
  await manifests.writePod('who-1', ['::1', '127.0.0.1'], who1.port);
  server = await startServer({
    source: new FileSource({ path: manifests.dir, debounceMs: 20 }),
    xdsAddresses: ['127.0.0.1:0', '[::1]:0'],
    adminAddress: '127.0.0.1:0',
    debounceMs: 50,
    debounceMaxMs: 500,
  });
  const xds4 = server.xdsAddresses[0] as string;
  const xds6 = server.xdsAddresses[1] as string;
  const admin = server.adminAddress as string;
  const open = (name: string, ips: readonly string[], xds = xds4): grpc.Client => {
    const c = new grpc.Client(`xds:///${TARGET}`, grpc.credentials.createInsecure(), bootstrapOption(xds, grpcNode(name, ips)));
    channels.push(c);
    return c;
  };
  const dual = open('client-dual', ['10.244.0.5', 'fd00:10:244::5']);
  const v4 = open('client-v4', ['10.244.0.6']);
  const v6 = open('client-v6', ['fd00:10:244::7'], xds6);

  await t.test('a dual-stack client reaches each pod over its primary family', async () => {
    const replies = await callUntil(dual, (rs) => only('who-0', 'IPv4')(rs) && only('who-1', 'IPv6')(rs), 'dual client');
    assert.ok(only('who-0', 'IPv4')(replies) && only('who-1', 'IPv6')(replies), summary(replies));
  });

  await t.test('an IPv4-only client gets only IPv4 addresses and an IPv6-only client only IPv6', async () => {
    const fours = await callUntil(v4, (rs) => only('who-0', 'IPv4')(rs) && only('who-1', 'IPv4')(rs), 'v4 client');
    assert.ok(fours.every((r) => r.family === 'IPv4'), summary(fours));
    const sixes = await callUntil(v6, (rs) => only('who-0', 'IPv6')(rs) && only('who-1', 'IPv6')(rs), 'v6 client');
    assert.ok(sixes.every((r) => r.family === 'IPv6'), summary(sixes));
  });

  await t.test('with a pod’s IPv4 listener gone, calls reach it over IPv6 (additional_addresses), and the reverse', async () => {
    who0.kill('IPv4');
    const after = await callUntil(dual, only('who-0', 'IPv6'), 'who-0 over IPv6 after its IPv4 listener died');
    assert.ok(only('who-0', 'IPv6')(after), summary(after));
    await who0.revive('IPv4');
    who1.kill('IPv6');
    const reverse = await callUntil(dual, only('who-1', 'IPv4'), 'who-1 over IPv4 after its IPv6 listener died');
    assert.ok(only('who-1', 'IPv4')(reverse), summary(reverse));
    await who1.revive('IPv6');
  });

  await t.test('a pod added to the manifests receives calls; once deleted it receives none', async () => {
    const who2 = await Backend.start('who-2');
    backends.push(who2);
    const written = performance.now();
    await manifests.writePod('who-2', ['127.0.0.1', '::1'], who2.port);
    const reached = await callUntil(dual, (rs) => rs.some((r) => r.pod === 'who-2'), 'new pod who-2', { maxCalls: 2000 });
    console.log(`e2e: file write → first call on the new pod: ${(performance.now() - written).toFixed(0)} ms`);
    assert.ok(reached.some((r) => r.pod === 'who-2'));
    await manifests.deletePod('who-2');
    // After the delete lands, a window of 30 calls in a row has none for who-2.
    const quiet = await callUntil(
      dual,
      (rs) => rs.length >= 30 && rs.slice(-30).every((r) => r.pod !== 'who-2'),
      'who-2 gone',
      { maxCalls: 2000 },
    );
    assert.ok(quiet.slice(-30).every((r) => r.pod !== 'who-2'));
  });

  await t.test('an xDS-enabled gRPC server gets its listener from biplane and serves', async () => {
    await manifests.writePod('srv-0', ['127.0.0.1', '::1'], 1, 'srv');
    const node = grpcNode('srv-0', ['127.0.0.1', '::1']);
    xdsServer = new xdsLib.XdsServer(bootstrapOption(xds4, node));
    xdsServer.addService(
      { Am: { path: '/biplane.e2e.Who/Am', requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b } },
      { Am: (_c: unknown, done: grpc.sendUnaryData<Buffer>) => done(null, Buffer.from(JSON.stringify({ pod: 'srv-0', family: 'IPv4' }))) },
    );
    const free = await freePort();
    const port = await new Promise<number>((resolve, reject) =>
      xdsServer?.bindAsync(`127.0.0.1:${free}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const direct = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    channels.push(direct);
    const reply = await poll(() => callWho(direct, 1000).catch(() => undefined), 'the xDS server to serve', 20_000);
    assert.equal(reply.pod, 'srv-0');
    const sz = JSON.parse((await getText(admin, '/debug/syncz')).body) as Syncz;
    const srv = sz.proxies.find((p) => p.nodeId === node.id);
    assert.ok(srv, 'the server is listed in syncz');
    assert.ok(srv.streams.some((s) => s.types.some((x) => x.type === 'lds' && x.status === 'SYNCED')), JSON.stringify(srv));
  });

  await t.test('no client NACKed anything, in any IP mode (from biplane’s own syncz)', async () => {
    const sz = JSON.parse((await getText(admin, '/debug/syncz')).body) as Syncz;
    const modes = new Set(sz.proxies.map((p) => p.ipMode));
    assert.deepEqual([...modes].filter((m) => m !== undefined).sort(), ['Dual', 'IPv4', 'IPv6']);
    assert.deepEqual(sz.nackHistory, []);
    for (const p of sz.proxies) {
      assert.equal(p.nacks, 0, p.nodeId);
      for (const s of p.streams) for (const x of s.types) assert.notEqual(x.status, 'NACKED', `${p.nodeId} ${x.type}`);
    }
    const metrics = (await getText(admin, '/metrics')).body;
    assert.doesNotMatch(metrics, /^pilot_total_xds_rejects\{/m);
    assert.match(metrics, /^pilot_xds_pushes\{type="eds"\} [1-9]/m);
  });
});
