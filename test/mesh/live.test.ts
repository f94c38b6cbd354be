// Live change through real sidecars: a pod added to the manifest folder starts receiving a client's requests through
// both Envoys, and a deleted one stops, with no restart of anything. The time from the file write to the change in
// traffic is printed as a diagnostic; the only bound is a generous one, so a slow machine never fails it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireOrSkip } from '../support/requirements.ts';
import { waitFor } from '../support/envoy.ts';
import { startMesh, type MeshPodSpec, type MeshSpec, type PollLine } from './mesh.ts';

const skip = requireOrSkip('the namespace mesh', ['root', 'ip', 'iptables', 'ip6tables', 'envoy']);

/** How long a change may take before the test gives up: far above anything expected, never a performance claim. */
const BOUND_MS = 30_000;
/** After a deletion, this many answers in a row from the remaining pod mean the deleted one stopped. */
const STREAK = 20;

function pod(name: string, ips: string[]): MeshPodSpec {
  return { name, ips, labels: { app: name === 'client' ? 'client' : 'live' }, appPorts: name === 'client' ? [] : [8080] };
}

const CLIENT = pod('client', ['198.18.0.31', '2001:db8::31']);
const A = pod('live-a', ['198.18.0.32', '2001:db8::32']);
const B = pod('live-b', ['2001:db8::33', '198.18.0.33']);
const SERVICE = { name: 'live', vips: ['198.19.0.70', '2001:db8:96::70'], selector: { app: 'live' }, ports: [{ name: 'http-live', port: 80, targetPort: 8080 }] };

const SPEC: MeshSpec = { pods: [CLIENT, A], waiting: [B], services: [SERVICE] };

/** The first attempt at or after `since` that satisfies `match`, or undefined. */
function firstSince(lines: readonly PollLine[], since: number, match: (l: PollLine) => boolean): PollLine | undefined {
  return lines.find((l) => l.at >= since && match(l));
}

/** The first attempt after `since` that starts a run of `STREAK` answers from `app` with no other app after it. */
function settledOn(lines: readonly PollLine[], since: number, app: string): PollLine | undefined {
  const later = lines.filter((l) => l.at >= since);
  const lastOther = later.findLastIndex((l) => l.app !== app);
  const run = later.slice(lastOther + 1);
  return run.length >= STREAK ? run[0] : undefined;
}

test('a pod added to the manifests receives traffic through the sidecars, and a deleted one stops', { skip, timeout: 240_000 }, async (t) => {
  const mesh = await startMesh(t, SPEC);
  for (const vip of SERVICE.vips) {
    const poller = await mesh.poll(t, 'client', { kind: 'http', host: vip, port: 80 }, 25);
    try {
      const added = Date.now();
      mesh.rewrite({ pods: [CLIENT, A, B], services: [SERVICE] });
      await waitFor(() => firstSince(poller.lines, added, (l) => l.app === B.name) !== undefined, BOUND_MS, `${B.name} to answer on ${vip}`);
      const firstB = firstSince(poller.lines, added, (l) => l.app === B.name) as PollLine;
      t.diagnostic(`${vip}: the added pod answered ${firstB.at - added} ms after the file write`);
      // Through B's own sidecar: its app sees the passthrough source of B's primary family (IPv6).
      assert.equal(firstB.remote, '::6');

      const deleted = Date.now();
      mesh.rewrite({ pods: [CLIENT, A], services: [SERVICE] });
      await waitFor(() => settledOn(poller.lines, deleted, A.name) !== undefined, BOUND_MS, `only ${A.name} to answer on ${vip}`);
      const settled = settledOn(poller.lines, deleted, A.name) as PollLine;
      t.diagnostic(`${vip}: the deleted pod stopped getting requests ${settled.at - deleted} ms after the file write`);
      const failed = poller.lines.filter((l) => l.at >= added && l.error !== undefined);
      assert.deepEqual(failed, [], 'no request failed while pods came and went');
    } finally {
      poller.stop();
    }
  }
});
