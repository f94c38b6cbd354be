// Shared pieces of the kube source tests: fixtures the model accepts, a bounded wait, and store/server comparison.
import assert from 'node:assert/strict';
import { afterEach } from 'node:test';
import { KubeConfig, KubeSource, type KubeSourceOptions, type KubeTiming } from '../../src/sources/kube/index.ts';
import { FakeApiServer, type FakeApiServerOptions } from './fake-apiserver.ts';

type Json = Record<string, unknown>;

/** Timing small enough for tests: fast retries, a 1 s stall detector, short start deadline. */
export const FAST: KubeTiming = {
  backoffInitialMs: 20,
  backoffMaxMs: 200,
  stallMs: 1000,
  watchTimeoutSeconds: 300,
  listTimeoutMs: 2000,
  listPageSize: 500,
  retryAfterMaxMs: 1500,
  discoveryIntervalMs: 300,
  startTimeoutMs: 5000,
};

/** A dual-stack ClusterIP Service. */
export function service(namespace: string, name: string, ips: readonly string[] = ['10.96.0.10', 'fd00:10:96::a']): Json {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      clusterIP: ips[0],
      clusterIPs: ips,
      ipFamilies: ips.map((ip) => (ip.includes(':') ? 'IPv6' : 'IPv4')),
      ipFamilyPolicy: ips.length > 1 ? 'RequireDualStack' : 'SingleStack',
      selector: { app: name },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/** A dual-stack Pod. */
export function pod(namespace: string, name: string, ips: readonly string[] = ['10.244.0.5', 'fd00:10:244::5']): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name } },
    spec: { nodeName: 'node-a' },
    status: { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) },
  };
}

/** A Node with a zone. */
export function node(name: string): Json {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'topology.kubernetes.io/zone': 'z1' } } };
}

/** A Namespace. */
export function namespace(name: string): Json {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

/** An IPv6 EndpointSlice of `svc` with one ready pod endpoint. */
export function slice(ns: string, name: string, svc: string, ip = 'fd00:10:244::5'): Json {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv6',
    endpoints: [{ addresses: [ip], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: ns, name: svc } }],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

/** A static ServiceEntry with one IPv4 and one IPv6 address. */
export function serviceEntry(ns: string, name: string): Json {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace: ns },
    spec: {
      hosts: [`${name}.example.com`],
      addresses: ['192.0.2.10', '2001:db8::10'],
      ports: [{ number: 443, name: 'tls', protocol: 'TLS' }],
      resolution: 'STATIC',
      location: 'MESH_EXTERNAL',
      endpoints: [{ address: '192.0.2.20' }],
    },
  };
}

/** Loads a small cluster into the fake: 2 namespaces, 2 nodes, 2 services, 2 pods, 2 slices. */
export function seed(fake: FakeApiServer): void {
  for (const o of [namespace('default'), namespace('shop'), node('node-a'), node('node-b')]) fake.apply(o);
  fake.apply(service('default', 'web'));
  fake.apply(service('shop', 'cart', ['fd00:10:96::c', '10.96.0.12']));
  fake.apply(pod('default', 'web'));
  fake.apply(pod('shop', 'cart', ['fd00:10:244::7', '10.244.0.7']));
  fake.apply(slice('default', 'web-v6', 'web'));
  fake.apply(slice('shop', 'cart-v6', 'cart', 'fd00:10:244::7'));
}

/** A KubeConfig pointing at the fake, built in memory. */
export function kubeConfigFor(fake: FakeApiServer): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(fake.kubeconfigYaml());
  return kc;
}

/** A source on the fake with test timing (not started). */
export function sourceFor(fake: FakeApiServer, options: Partial<KubeSourceOptions> = {}): KubeSource {
  return new KubeSource({ kubeConfig: kubeConfigFor(fake), timing: { ...FAST, ...options.timing }, ...options, log: () => undefined });
}

/** `Kind/namespace/name` → version of every object in the source, in the fake's snapshot format. */
export function view(source: KubeSource): Map<string, string> {
  return new Map(source.objects().map((o) => [`${o.key.kind}/${o.key.namespace}/${o.key.name}`, o.version]));
}

/** Polls `check` every 10 ms until it returns true; fails naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => boolean, timeoutMs = 4000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until the source holds exactly the fake's objects at the fake's resourceVersions, then asserts it. */
export async function waitInSync(source: KubeSource, fake: FakeApiServer, timeoutMs = 4000): Promise<void> {
  const same = (): boolean => JSON.stringify([...view(source)].sort()) === JSON.stringify([...fake.snapshot()].sort());
  try {
    await waitUntil('the source equals the server', same, timeoutMs);
  } catch {
    assert.deepEqual([...view(source)].sort(), [...fake.snapshot()].sort(), 'source and server differ');
  }
}

/** Requests the fake saw for a collection path, split into lists and watches. */
export function requestsTo(fake: FakeApiServer, path: string): { lists: number; watches: { rv: string; status: number }[] } {
  const seen = fake.requests.filter((r) => r.path === path);
  return {
    lists: seen.filter((r) => !r.watch).length,
    watches: seen.filter((r) => r.watch).map((r) => ({ rv: r.query['resourceVersion'] ?? '', status: r.status })),
  };
}

/** How `fakeCluster().start` sets up one test. */
export interface ClusterStart {
  readonly server?: FakeApiServerOptions;
  readonly source?: Partial<KubeSourceOptions>;
  /** Objects to add after the usual seed, before the source starts. */
  readonly before?: (fake: FakeApiServer) => void;
  /** Wait until this many watches are live (every collection watched) before returning. */
  readonly watches?: number;
}

/**
 * For each test of the enclosing `describe`: a seeded fake API server and a started source on it, both ended after
 * the test. `fake` and `source` are the current test's.
 */
export function fakeCluster(): {
  readonly fake: FakeApiServer;
  readonly source: KubeSource;
  start(options?: ClusterStart): Promise<KubeSource>;
} {
  let fake: FakeApiServer | undefined;
  let source: KubeSource | undefined;
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await fake?.close();
  });
  return {
    get fake(): FakeApiServer {
      assert.ok(fake, 'start() first');
      return fake;
    },
    get source(): KubeSource {
      assert.ok(source, 'start() first');
      return source;
    },
    async start(options = {}) {
      const server = await FakeApiServer.start(options.server);
      fake = server;
      seed(server);
      options.before?.(server);
      source = sourceFor(server, options.source);
      await source.start();
      if (options.watches !== undefined) await waitUntil('every collection is watched', () => server.liveWatches() === options.watches);
      return source;
    },
  };
}
