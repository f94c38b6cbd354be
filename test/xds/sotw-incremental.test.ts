// SotW conformance for what the xDS protocol lets travel incrementally: EDS and RDS responses carry only changed or
// newly subscribed resources, while LDS and CDS always carry the complete state. Over real gRPC, IPv4 and IPv6.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TypeUrl, makeSnapshot, snapshotVersion } from '../../src/xds/index.ts';
import type { Resource } from '../../src/xds/index.ts';
import { LOOPBACKS, cluster, endpoints, listener, node, route, serveForSuite } from './fixtures.ts';
import { openSotw, sotwMessages, sotwNames } from './raw-client.ts';
import type { RawStream, SotwResponse } from './raw-client.ts';

const QUIET_MS = 400;

function ack(s: RawStream<SotwResponse>, r: SotwResponse, names: string[] = []): void {
  s.send({ type_url: r.type_url, version_info: r.version_info, response_nonce: r.nonce, resource_names: names });
}

/** Three services; `port` moves the endpoints of service `moved` only. */
function services(moved = -1, port = 9000, extra: readonly Resource[] = []): ReturnType<typeof makeSnapshot> {
  const rs: Resource[] = [...extra];
  for (let i = 0; i < 3; i++) {
    rs.push(cluster(`c${i}`), endpoints(`c${i}`, ['10.0.0.1', 'fd00::1'], i === moved ? port : 8000), listener(`l${i}`, `r${i}`, 15000 + i), route(`r${i}`, `c${i}`));
  }
  return makeSnapshot(rs);
}

for (const family of LOOPBACKS) {
  describe(`SotW incremental EDS/RDS on ${family}`, () => {
    const suite = serveForSuite(family, openSotw);
    const connect = (): RawStream<SotwResponse> => suite.connect();

    test('a change to one ClusterLoadAssignment sends only that one, with the new type version', async () => {
      suite.run.cache.setSnapshot('eds-one', services());
      const named = connect();
      const wild = connect();
      named.send({ node: node('eds-one'), type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['c0', 'c1', 'c2'] });
      wild.send({ node: node('eds-one'), type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['*'] });
      const [n0, w0] = [await named.next(), await wild.next()];
      assert.deepEqual(sotwNames(n0), ['c0', 'c1', 'c2']);
      assert.deepEqual(sotwNames(w0), ['c0', 'c1', 'c2']);
      ack(named, n0, ['c0', 'c1', 'c2']);
      ack(wild, w0, ['*']);
      const changed = services(1, 9001);
      suite.run.cache.setSnapshot('eds-one', changed);
      for (const s of [named, wild]) {
        const r = await s.next();
        assert.deepEqual(sotwNames(r), ['c1']);
        assert.match(JSON.stringify(sotwMessages(r)[0]), /9001/);
        assert.equal(r.version_info, snapshotVersion(changed, TypeUrl.ClusterLoadAssignment));
      }
    });

    test('a newly subscribed name gets its resource alone; a removed one sends nothing', async () => {
      suite.run.cache.setSnapshot('eds-new', services());
      const s = connect();
      s.send({ node: node('eds-new'), type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['c0'] });
      const r0 = await s.next();
      assert.deepEqual(sotwNames(r0), ['c0']);
      ack(s, r0, ['c0', 'c2']);
      const r1 = await s.next();
      assert.deepEqual(sotwNames(r1), ['c2'], 'c0 is held already');
      ack(s, r1, ['c0', 'c2']);
      suite.run.cache.setSnapshot('eds-new', makeSnapshot([cluster('c0'), endpoints('c0', ['10.0.0.1', 'fd00::1'], 8000)]));
      assert.equal(await s.maybeNext(QUIET_MS), undefined, 'c2 went away: absence is no deletion in SotW EDS, so nothing is sent');
    });

    test('a changed route travels alone in RDS', async () => {
      suite.run.cache.setSnapshot('rds', services());
      const s = connect();
      s.send({ node: node('rds'), type_url: TypeUrl.RouteConfiguration, resource_names: ['r0', 'r1', 'r2'] });
      const r0 = await s.next();
      assert.deepEqual(sotwNames(r0), ['r0', 'r1', 'r2']);
      ack(s, r0, ['r0', 'r1', 'r2']);
      suite.run.cache.setSnapshot('rds', makeSnapshot([route('r0', 'c0'), route('r1', 'c1'), route('r2', 'c2', 'moved.example')]));
      assert.deepEqual(sotwNames(await s.next()), ['r2']);
    });

    test('LDS and CDS still carry every resource when one changes, and a removal by leaving it out', async () => {
      suite.run.cache.setSnapshot('full', services());
      const s = connect();
      s.send({ node: node('full'), type_url: TypeUrl.Cluster });
      const c0 = await s.next();
      ack(s, c0);
      s.send({ type_url: TypeUrl.Listener });
      const l0 = await s.next();
      assert.deepEqual(sotwNames(l0), ['l0', 'l1', 'l2']);
      ack(s, l0);
      const rs = [cluster('c0'), cluster('c1', 4), listener('l0', 'r0', 15000), listener('l1', 'r1', 15011)];
      suite.run.cache.setSnapshot('full', makeSnapshot(rs));
      const c1 = await s.next();
      const l1 = await s.next();
      assert.deepEqual(sotwNames(c1), ['c0', 'c1']);
      assert.deepEqual(sotwNames(l1), ['l0', 'l1']);
    });

    test('the same snapshot again on one stream comes with a nonce that stream never had', async () => {
      const a = makeSnapshot([cluster('c0')]);
      const b = makeSnapshot([cluster('c0', 5)]);
      suite.run.cache.setSnapshot('renonce', a);
      const s = connect();
      s.send({ node: node('renonce'), type_url: TypeUrl.Cluster });
      const first = await s.next();
      ack(s, first);
      suite.run.cache.setSnapshot('renonce', b);
      const second = await s.next();
      ack(s, second);
      suite.run.cache.setSnapshot('renonce', a);
      const third = await s.next();
      assert.equal(third.version_info, first.version_info, 'the same content as the first response');
      assert.equal(new Set([first.nonce, second.nonce, third.nonce]).size, 3, `nonces ${first.nonce}, ${second.nonce}, ${third.nonce} differ`);
      ack(s, first);
      assert.equal(await s.maybeNext(QUIET_MS), undefined);
      const status = suite.run.server.streamsOfNode('renonce')[0]?.status()[0];
      assert.equal(status?.pending, true, 'an ACK carrying the first nonce is stale and does not settle the third response');
      ack(s, third);
    });
  });
}
