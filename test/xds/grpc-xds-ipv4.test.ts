import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TypeUrl } from '../../src/xds/index.ts';
import { runGrpcXds } from './grpc-xds-run.ts';

test('@grpc/grpc-js-xds resolves xds:/// through biplane over 127.0.0.1 and completes an RPC', async () => {
  const result = await runGrpcXds('127.0.0.1');
  assert.equal(result.reply, 'echo hi via 127.0.0.1');
  assert.deepEqual(result.problems, []);
  assert.deepEqual(result.nacks, []);
  assert.deepEqual(result.acked, [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration].sort());
});
