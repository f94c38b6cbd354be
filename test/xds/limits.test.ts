// Bad requests end their own stream with INVALID_ARGUMENT; the server keeps serving; many streams at once work.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { TypeUrl } from '../../src/xds/index.ts';
import { LOOPBACKS, node, start, world, stillServes } from './fixtures.ts';
import type { Running } from './fixtures.ts';
import { adsClient, openDelta, openSotw, sotwNames } from './raw-client.ts';
import type { AdsClient, RawStream, SotwResponse } from './raw-client.ts';

for (const family of LOOPBACKS) {
  describe(`limits and load on ${family}`, () => {
    let run: Running;
    before(async () => {
      run = await start(family, { maxNamesPerStream: 5 });
      run.cache.setSnapshot('ok', world(2));
    });
    after(async () => {
      await run.server.close();
    });


    test('a request without type_url ends that stream with INVALID_ARGUMENT and the server serves others', async () => {
      const s = openSotw(run.address);
      s.send({ node: node('ok') });
      const status = await s.status();
      s.close();
      assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
      assert.match(status.details, /type_url/);
      await stillServes(run.address);
    });

    test('a first request without a node id is rejected', async () => {
      const s = openDelta(run.address);
      s.send({ type_url: TypeUrl.Cluster });
      const status = await s.status();
      s.close();
      assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
      assert.match(status.details, /node\.id/);
    });

    test('subscribing to more names than the limit is rejected, in SotW and delta', async () => {
      const names = ['a', 'b', 'c', 'd', 'e', 'f'];
      const s = openSotw(run.address);
      s.send({ node: node('ok'), type_url: TypeUrl.ClusterLoadAssignment, resource_names: names });
      const d = openDelta(run.address);
      d.send({ node: node('ok'), type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: ['a', 'b', 'c'] });
      d.send({ type_url: TypeUrl.RouteConfiguration, resource_names_subscribe: ['d', 'e', 'f'] });
      const [ss, ds] = [await s.status(), await d.status()];
      s.close();
      d.close();
      assert.equal(ss.code, grpc.status.INVALID_ARGUMENT);
      assert.equal(ds.code, grpc.status.INVALID_ARGUMENT);
      assert.match(ds.details, /limit of 5/);
      await stillServes(run.address);
    });

    test('bytes that are not a DiscoveryRequest are rejected without harming the server', async () => {
      const client = new grpc.Client(run.address, grpc.credentials.createInsecure());
      const identity = (b: Buffer): Buffer => b;
      const call = client.makeBidiStreamRequest(
        '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
        identity,
        identity,
      );
      const status = await new Promise<grpc.StatusObject>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no status within 3 s')), 3000);
        call.on('status', (st: grpc.StatusObject) => {
          clearTimeout(timer);
          resolve(st);
        });
        call.on('error', () => undefined);
        call.on('data', () => undefined);
        call.write(Buffer.from([0x0f])); // field 1 with wire type 7, which does not exist
      });
      client.close();
      assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
      assert.match(status.details, /malformed/);
      await stillServes(run.address);
    });

    test('200 concurrent streams on a few channels each get their snapshot and the next update', async () => {
      const clients: AdsClient[] = [0, 1, 2, 3].map(() => adsClient(run.address));
      const streams: RawStream<SotwResponse>[] = [];
      try {
        for (let i = 0; i < 200; i++) {
          run.cache.setSnapshot(`many-${i % 20}`, world(1 + (i % 20) % 3));
          const s = openSotw(run.address, clients[i % 4]);
          streams.push(s);
          s.send({ node: node(`many-${i % 20}`), type_url: TypeUrl.Cluster });
        }
        const first = await Promise.all(streams.map((s) => s.next(10_000)));
        first.forEach((r, i) => assert.equal(r.resources.length, 1 + (i % 20) % 3));
        first.forEach((r, i) => streams[i]?.send({ type_url: TypeUrl.Cluster, version_info: r.version_info, response_nonce: r.nonce }));
        assert.equal(run.server.streams().filter((s) => s.node?.id.startsWith('many-')).length, 200);
        run.cache.setSnapshot('many-7', world(5));
        const updated = streams.filter((_, i) => i % 20 === 7);
        const next = await Promise.all(updated.map((s) => s.next(10_000)));
        for (const r of next) assert.deepEqual(sotwNames(r), ['c0', 'c1', 'c2', 'c3', 'c4']);
      } finally {
        for (const s of streams) s.close(true);
        for (const c of clients) c.close();
      }
    });
  });
}
