// loadManifests: the one-shot load CLI commands use, over temp folders and the bundled demo cluster.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildModel, ipModeOf } from '../../src/model/index.ts';
import { loadManifests } from '../../src/sources/files/index.ts';
import { serviceYaml, tempDir } from './helpers.ts';

const DEMO = path.join(import.meta.dirname, '..', '..', 'examples', 'demo');

describe('loadManifests', () => {
  it('loads a folder once, first definition of a duplicate winning in sorted file order', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(path.join(dir, 'b.yaml'), serviceYaml('x', '10.96.0.2'));
      await writeFile(path.join(dir, 'a.yaml'), `${serviceYaml('y')}---\n${serviceYaml('x', '10.96.0.1')}`);
      const { objects, problems } = await loadManifests(dir);
      assert.deepEqual(objects.map((o) => `${o.key.name}@${path.basename(o.origin.file ?? '')}:${o.origin.line}`), ['x@a.yaml:11', 'y@a.yaml:1']);
      assert.equal(problems.length, 1);
      assert.equal(problems[0]?.origin.file, path.join(dir, 'b.yaml'));
      assert.match(problems[0]?.message ?? '', /a\.yaml:11/);
    } finally {
      await cleanup();
    }
  });

  it('reports a path that does not exist instead of throwing', async () => {
    const { objects, problems } = await loadManifests('/nonexistent/biplane/manifests');
    assert.deepEqual(objects, []);
    assert.deepEqual(problems.map((p) => [p.severity, p.origin.file]), [['error', '/nonexistent/biplane/manifests']]);
  });
});

describe('the demo cluster (examples/demo)', () => {
  it('loads with no error problems', async () => {
    const { objects, problems } = await loadManifests(DEMO);
    assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
    const count = (kind: string) => objects.filter((o) => o.key.kind === kind).length;
    assert.deepEqual(
      ['Namespace', 'Node', 'Pod', 'Service', 'EndpointSlice', 'ServiceEntry'].map((k) => [k, count(k)]),
      [['Namespace', 2], ['Node', 3], ['Pod', 18], ['Service', 9], ['EndpointSlice', 14], ['ServiceEntry', 2]],
    );
    for (const o of objects) assert.ok(o.origin.file?.startsWith(DEMO) && (o.origin.line ?? 0) > 0, `${o.origin.object} has a location`);
  });

  it('has the client pods of every IP mode in namespace demo', async () => {
    const { objects } = await loadManifests(DEMO);
    const podIPs = (name: string) => {
      const pod = objects.find((o) => o.key.kind === 'Pod' && o.key.namespace === 'demo' && o.key.name === name);
      const status = pod?.object['status'] as { podIPs?: { ip: string }[] } | undefined;
      return (status?.podIPs ?? []).map((p) => (p.ip.includes(':') ? 'v6' : 'v4')).join(',');
    };
    assert.deepEqual(
      ['client-v4', 'client-v6', 'client-dual', 'client-dual6'].map(podIPs),
      ['v4', 'v6', 'v4,v6', 'v6,v4'],
    );
  });

  it('builds a model with every kind of service, merged dual-stack endpoints and every pod IP mode', async () => {
    const { objects } = await loadManifests(DEMO);
    const { model, problems } = buildModel(objects);
    assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
    const svc = (host: string) => {
      const s = model.services.find((x) => x.hostname === host);
      assert.ok(s, `service ${host}`);
      return s;
    };
    const vips = (host: string) => svc(host).vips.map((a) => a.ip);
    assert.equal(model.services.length, 11);
    assert.deepEqual(vips('frontend.shop.svc.cluster.local'), ['10.96.0.20', 'fd00:10:96::20']);
    assert.deepEqual(vips('catalog.shop.svc.cluster.local'), ['fd00:10:96::30', '10.96.0.30']);
    assert.deepEqual(vips('legacy-db.shop.svc.cluster.local'), ['10.96.0.40']);
    assert.deepEqual(vips('metrics.shop.svc.cluster.local'), ['fd00:10:96::50']);
    assert.equal(svc('cache.shop.svc.cluster.local').headless, true);
    assert.equal(svc('payments.shop.svc.cluster.local').externalName, 'api.payments.example.com');
    assert.equal(svc('reviews.shop.svc.cluster.local').forwarding, 'native');
    assert.equal(svc('greeter.demo.svc.cluster.local').ports[0]?.protocol, 'GRPC');
    assert.equal(svc('frontend.shop.svc.cluster.local').ports[0]?.protocol, 'HTTP');
    assert.equal(svc('legacy-db.shop.svc.cluster.local').ports[0]?.protocol, 'TCP');
    assert.deepEqual(vips('billing.partner.example'), ['192.0.2.10', '2001:db8:10::10']);
    assert.equal(svc('api.weather.example').resolution, 'DNS');

    const modes = Object.fromEntries(model.pods.filter((p) => p.namespace === 'demo').map((p) => [p.name, [ipModeOf(p.ips), p.ips[0]?.family]]));
    assert.deepEqual(
      ['client-v4', 'client-v6', 'client-dual', 'client-dual6'].map((n) => modes[n]),
      [['IPv4', 'IPv4'], ['IPv6', 'IPv6'], ['Dual', 'IPv4'], ['Dual', 'IPv6']],
    );

    const endpoints = (host: string) =>
      model.endpoints.filter((e) => e.service === host).map((e) => `${e.pod?.name}:${e.addresses.map((a) => a.ip).join(',')}@${e.locality.zone}`);
    assert.deepEqual(endpoints('catalog.shop.svc.cluster.local'), [
      'catalog-0:fd00:10:244:2::50,10.244.2.50@eu-west-a',
      'catalog-1:fd00:10:244:3::50,10.244.3.50@eu-west-b',
    ]);
    assert.deepEqual(endpoints('echo.demo.svc.cluster.local').sort(), [
      'echo-0:10.244.2.30,fd00:10:244:2::30@eu-west-a',
      'echo-1:fd00:10:244:3::30@eu-west-b',
    ]);
  });
});
