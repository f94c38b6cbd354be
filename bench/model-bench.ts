// The model stage alone on the churn cluster: a full `buildModel` and `indexModel`, then single changes (a pod added
// to a service, a pod removed from another) rebuilt both from scratch and through a ModelBuilder. Medians of --runs.
//
//   node --import tsx bench/model-bench.ts [--services 1000] [--pods 10] [--runs 9] [--model DIR/index.ts]
//
// --model loads another copy of the model stage (e.g. an older one copied aside) to compare on the same machine;
// a copy without createModelBuilder/reindexModel gets "n/a" in those rows.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { SourceObject } from '../src/model/types.ts';
import { addPod, removePod } from './churn-edits.ts';
import { generateCluster } from './cluster.ts';
import { fullGc, median } from './measure.ts';

type ModelStage = typeof import('../src/model/index.ts');

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    pods: { type: 'string', default: '10' },
    runs: { type: 'string', default: '9' },
    model: { type: 'string' },
  },
});
const services = Number(values.services);
const runs = Number(values.runs);
const modelUrl = values.model ? pathToFileURL(path.resolve(values.model)).href : '../src/model/index.ts';
const stage = (await import(modelUrl)) as ModelStage;

/** Milliseconds of one call. */
function time(work: () => unknown): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

const rows: [string, string][] = [];
const row = (name: string, ms: readonly number[] | undefined): void => {
  rows.push([name, ms ? `${median(ms).toFixed(2)} ms (min ${Math.min(...ms).toFixed(2)}, n=${ms.length})` : 'n/a']);
};

const shape = { services, podsPerService: Number(values.pods), proxiesPerMode: 0, stack: 'dual', seed: 1 } as const;
const base = generateCluster(shape).objects;
const cold = time(() => stage.buildModel(base));
rows.push(['objects', String(base.length)], ['buildModel, first call in the process', `${cold.toFixed(2)} ms`]);

const full: number[] = [];
const index: number[] = [];
for (let r = 0; r < runs; r++) {
  fullGc();
  let model = stage.buildModel(base).model;
  full.push(time(() => (model = stage.buildModel(base).model)));
  index.push(time(() => stage.indexModel(model)));
}
row('buildModel (all objects)', full);
row('indexModel (whole model)', index);

/** The r-th edit of a run: a pod added to one service, or the first pod removed from another. */
function edit(objects: readonly SourceObject[], r: number, kind: 'add' | 'remove'): SourceObject[] {
  const service = `svc-${(r * 37 + (kind === 'add' ? 0 : 500)) % services}`;
  return kind === 'add' ? addPod(objects, service, 900_000 + r) : removePod(objects, service);
}

for (const kind of ['add', 'remove'] as const) {
  const rebuild: number[] = [];
  const update: number[] = [];
  const reindex: number[] = [];
  let objects: readonly SourceObject[] = base;
  const builder = typeof stage.createModelBuilder === 'function' ? stage.createModelBuilder() : undefined;
  const reindexes = typeof stage.reindexModel === 'function';
  let index = builder ? stage.indexModel(builder.update(objects).model) : undefined;
  for (let r = 0; r < runs; r++) {
    const next = edit(objects, r, kind);
    fullGc();
    if (builder) {
      const started = performance.now();
      const result = builder.update(next);
      update.push(performance.now() - started);
      if (reindexes) reindex.push(time(() => (index = stage.reindexModel(result.model, index, result.changedServices))));
    }
    fullGc();
    rebuild.push(time(() => stage.indexModel(stage.buildModel(next).model)));
    objects = next;
  }
  row(`pod ${kind === 'add' ? 'added' : 'removed'}: buildModel + indexModel from scratch`, rebuild);
  row(`pod ${kind === 'add' ? 'added' : 'removed'}: ModelBuilder.update`, builder ? update : undefined);
  row(`pod ${kind === 'add' ? 'added' : 'removed'}: reindexModel`, builder && reindexes ? reindex : undefined);
}

const width = Math.max(...rows.map(([name]) => name.length));
process.stdout.write(`model stage, ${services} services × ${shape.podsPerService} pods, dual stack (${modelUrl})\n`);
for (const [name, value] of rows) process.stdout.write(`  ${name.padEnd(width)}  ${value}\n`);
