// The packed tarball works in a project of its own: the CLI through npx, and `biplane/xds` type-checked and serving
// a @grpc/grpc-js-xds client, with no TypeScript loader and no access to this repository's sources.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ECHO_PROTO } from '../xds/grpc-xds-run.ts';
import { compileConsumer, installedFiles, makeConsumer, npxBiplane, packRepo, runPipeline, startConsumer } from './consumer.ts';

type EchoClient = grpc.Client & {
  Say(req: { text: string }, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { text: string }) => void): void;
};
type EchoCtor = (new (target: string, creds: grpc.ChannelCredentials) => EchoClient) & { service: grpc.ServiceDefinition };

const AUTHORITY = 'echo.consumer.test:50051';

test('the packed tarball installs into a fresh project where npx biplane and the biplane/xds embedding example work', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-pack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const project = path.join(dir, 'consumer');
  makeConsumer(project, packRepo(dir));

  const files = installedFiles(project);
  assert.ok(files.includes(path.join('dist', 'xds', 'index.d.ts')), 'declarations ship');
  assert.ok(files.includes(path.join('dist', 'cli', 'main.js.map')), 'source maps ship');
  assert.ok(files.includes(path.join('dist', 'server', 'ui', 'script.js')), 'the web view ships (its assets are modules)');
  assert.ok(!files.some((f) => f.startsWith('test')), 'tests stay out of the package');

  const help = npxBiplane(project, ['--help']);
  assert.match(help, /^usage: biplane <command>/);
  for (const name of ['serve', 'translate', 'bootstrap', 'capture', 'analyze']) assert.match(help, new RegExp(`\\n  ${name} `));

  compileConsumer(project);
  const pipeline = runPipeline(project);
  assert.equal(pipeline.mode, 'Dual');
  assert.ok(pipeline.listeners > 0, 'the offline pipeline from the root export translates a pod');
  assert.equal(pipeline.problems, 0);

  const protoFile = path.join(dir, 'echo.proto');
  writeFileSync(protoFile, ECHO_PROTO);
  const Echo = (grpc.loadPackageDefinition(protoLoader.loadSync(protoFile)) as unknown as { echo: { Echo: EchoCtor } }).echo.Echo;
  const backend = new grpc.Server();
  t.after(() => backend.forceShutdown());
  backend.addService(Echo.service, {
    Say: (call: grpc.ServerUnaryCall<{ text: string }, { text: string }>, cb: grpc.sendUnaryData<{ text: string }>) =>
      cb(null, { text: `echo ${call.request.text}` }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    backend.bindAsync('[::1]:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );

  const server = startConsumer(project, ['::1', String(port), AUTHORITY]);
  t.after(() => server.child.kill('SIGKILL'));
  const bound = await server.bound;
  assert.equal(bound.length, 2);
  const v6 = bound.find((a) => a.startsWith('[::1]:'));
  assert.ok(v6, `an IPv6 address among ${bound.join(', ')}`);

  process.env['GRPC_XDS_BOOTSTRAP_CONFIG'] = JSON.stringify({
    xds_servers: [{ server_uri: v6, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: 'grpc-client-1', locality: {} },
  });
  const xdsModule = (await import('@grpc/grpc-js-xds')) as unknown as { register: () => void; default?: { register: () => void } };
  (xdsModule.register ?? xdsModule.default?.register)?.();
  const client = new Echo(`xds:///${AUTHORITY}`, grpc.credentials.createInsecure());
  t.after(() => client.close());
  const reply = await new Promise<string>((resolve, reject) =>
    client.Say({ text: 'packed' }, { deadline: Date.now() + 20_000 }, (err, res) => (err ? reject(err) : resolve(res?.text ?? ''))),
  );
  assert.equal(reply, 'echo packed');
});
