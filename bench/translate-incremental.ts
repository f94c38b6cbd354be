// How much the TranslationCache saves when one endpoint changes: a generated cluster (1,000 services × 10 pods by
// default), N sidecars that are pods in the model (each with its own inbound configuration, so whole-translation
// memoisation never hits), translated uncached and through the cache, cold and after the change. Also the server's
// whole per-proxy build (translate + encode + validate) after the change. One run, medians and p99 per proxy.
//   node --import tsx bench/translate-incremental.ts [--services 1000] [--pods 10] [--proxies 200]
import { buildModel, createModelBuilder, indexModel, parseProxy, reindexModel } from '../src/model/index.ts';
import type { MeshModel, ModelIndex, Proxy, SourceObject } from '../src/model/index.ts';
import { buildContext, buildProxy } from '../src/server/proxy-build.ts';
import { SharedResources } from '../src/server/shared-resources.ts';
import { TranslationCache, translate } from '../src/translate/index.ts';
import { generateCluster } from './cluster.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs a positive integer`);
  return value;
}

const services = arg('services', 1000);
const podsPerService = arg('pods', 10);
const count = arg('proxies', 200);

function timed<T>(work: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = work();
  return { value, ms: performance.now() - start };
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function model(objects: readonly SourceObject[]): { model: MeshModel; index: ModelIndex } {
  const { model: m, problems } = buildModel(objects);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new Error(`model errors: ${errors[0]?.message}`);
  return { model: m, index: indexModel(m) };
}

/** N pods spread over the services, as the sidecar node each would send. */
function podProxies(m: MeshModel): Proxy[] {
  const step = Math.max(1, Math.floor(m.pods.length / count));
  return m.pods
    .filter((_, i) => i % step === 0)
    .slice(0, count)
    .map((pod) => {
      const ips = pod.ips.map((a) => a.ip);
      const node = { id: `sidecar~${ips[0]}~${pod.name}.${pod.namespace}~${pod.namespace}.svc.cluster.local`, metadata: { INSTANCE_IPS: ips.join(','), NAMESPACE: pod.namespace, NAME: pod.name } };
      const { proxy, problems } = parseProxy(node, m);
      if (!proxy) throw new Error(`${node.id}: ${problems.map((p) => p.message).join('; ')}`);
      return proxy;
    });
}

/** Per-proxy times of one pass; `first` is the first proxy (it pays the per-generation and per-view work). */
function pass(proxies: readonly Proxy[], work: (p: Proxy) => unknown): { first: number; median: number; p99: number; total: number } {
  const times = proxies.map((p) => timed(() => work(p)).ms);
  return { first: times[0] ?? 0, median: quantile(times, 0.5), p99: quantile(times, 0.99), total: times.reduce((a, b) => a + b, 0) };
}

function row(label: string, r: ReturnType<typeof pass>): void {
  const f = (n: number): string => n.toFixed(3).padStart(10);
  console.log(`${label.padEnd(44)}${f(r.first)}${f(r.median)}${f(r.p99)}${f(r.total)}`);
}

const cluster = generateCluster({ services, podsPerService, proxiesPerMode: 1, stack: 'dual', seed: 1 });
const before = timed(() => model(cluster.objects));
const proxies = podProxies(before.value.model);
const modes = new Map<string, number>();
for (const p of proxies) modes.set(`${p.mode}/${p.primaryFamily}`, (modes.get(`${p.mode}/${p.primaryFamily}`) ?? 0) + 1);
console.log(`${services} services × ${podsPerService} pods, ${proxies.length} pod sidecars (${[...modes].map(([m, n]) => `${m} ${n}`).join(', ')}); model ${before.ms.toFixed(0)} ms`);

// One endpoint removed from one service's IPv4 slice.
const sliceName = 'svc-5-ipv4';
const changed = cluster.objects.map((o) =>
  o.key.kind === 'EndpointSlice' && o.key.name === sliceName
    ? { ...o, object: { ...o.object, endpoints: (o.object['endpoints'] as unknown[]).slice(1) }, version: '2' }
    : o,
);
const after = timed(() => model(changed));
console.log(`after removing one endpoint of ${sliceName}: model ${after.ms.toFixed(0)} ms`);
console.log(`${'per proxy, ms'.padEnd(44)}${'first'.padStart(10)}${'median'.padStart(10)}${'p99'.padStart(10)}${'total'.padStart(10)}`);

const uncachedBefore = pass(proxies, (p) => translate(before.value.index, p));
row('uncached translate', uncachedBefore);
const cache = new TranslationCache();
row('cached translate, cold cache', pass(proxies, (p) => translate(before.value.index, p, { cache })));
const uncachedAfter = pass(proxies, (p) => translate(after.value.index, p));
row('uncached translate after the change', uncachedAfter);
const misses = cache.stats().misses;
const cachedAfter = pass(proxies, (p) => translate(after.value.index, p, { cache }));
row('cached translate after the change', cachedAfter);
console.log(`fragments rebuilt after the change: ${cache.stats().misses - misses} (one per view of the changed service)`);
console.log(`median ratio uncached/cached after the change: ${(uncachedAfter.median / cachedAfter.median).toFixed(0)}×`);
console.log(`total ratio uncached/cached after the change: ${(uncachedAfter.total / cachedAfter.total).toFixed(1)}×`);

// The same change through the incremental ModelBuilder, which keeps unchanged Service/Endpoint objects identical, so
// the cache stamps services by identity instead of by content.
const builder = createModelBuilder();
const first = builder.update(cluster.objects);
const firstIndex = reindexModel(first.model, undefined, first.changedServices);
const incremental = new TranslationCache();
pass(proxies, (p) => translate(firstIndex, p, { cache: incremental }));
const next = timed(() => {
  const update = builder.update(changed);
  return { model: update.model, index: reindexModel(update.model, firstIndex, update.changedServices) };
});
console.log(`ModelBuilder update + reindex after the change: ${next.ms.toFixed(0)} ms`);
row('cached translate after the change (ModelBuilder)', pass(proxies, (p) => translate(next.value.index, p, { cache: incremental })));

// The server's whole build per proxy (parse, translate with the server's cache, encode, validate), as a push does it.
const shared = new SharedResources();
const serverPass = (m: { model: MeshModel; index: ModelIndex }): ReturnType<typeof pass> => {
  const ctx = buildContext(m.model, m.index, 'shared', shared);
  const nodes = new Map(proxies.map((p) => [p, { id: p.id, metadata: p.metadata }]));
  return pass(proxies, (p) => buildProxy(ctx, nodes.get(p) ?? { id: p.id, metadata: {} }, new Set(), undefined));
};
row('server build per proxy, cold', serverPass(before.value));
row('server build per proxy after the change', serverPass(after.value));
