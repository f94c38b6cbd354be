// `npm run bench`: runs the chosen scenarios, prints a table for each and writes its JSON under bench/results/.
import { parseBenchArgs } from './args.ts';
import type { BenchArgs, Scenario } from './args.ts';
import type { ClusterShape } from './cluster.ts';
import { formatTable, progressDone, writeResult } from './report.ts';
import type { ScenarioResult } from './report.ts';
import { runChurn } from './churn.ts';
import { runEnvoyChurn } from './envoy-churn.ts';
import { runMemory } from './memory.ts';
import { runPeer } from './peer.ts';
import { runPush } from './push.ts';
import { runSize } from './size.ts';
import { runTargets } from './targets.ts';
import { runTranslate } from './translate-bench.ts';

function shape(args: BenchArgs, services: number, proxiesTotal = 4): ClusterShape {
  return { services, podsPerService: args.pods, proxiesPerMode: Math.max(1, Math.ceil(proxiesTotal / 4)), stack: 'dual', seed: args.seed };
}

async function run(args: BenchArgs, scenario: Scenario): Promise<ScenarioResult> {
  switch (scenario) {
    case 'size':
      return runSize(args.sizeServices.map((s) => shape(args, s)));
    case 'translate':
      return runTranslate(args.sizeServices.map((s) => shape(args, s, 8)), args.quick ? 2 : 5);
    case 'push':
      return runPush(args.proxies.map((n) => shape(args, args.services, n)), args.quick ? 1 : 3);
    case 'churn':
      return runChurn(args.proxies.map((n) => shape(args, args.services, n)), args.debounceMs, !args.serverChurn);
    case 'memory':
      return runMemory(args.proxies.map((n) => shape(args, args.services, n)));
    case 'peer':
      return runPeer(args.proxies.map((n) => shape(args, args.services, n)), args.peer, args.rounds);
    case 'envoy-churn':
      return runEnvoyChurn(shape(args, args.services, 4), args.envoys, args.quick);
    case 'targets':
      return runTargets({
        shape: shape(args, args.services, Math.max(...args.proxies)), largeProxies: args.largeProxies, debounceMs: args.debounceMs, peer: args.peer,
        command: ['npm run bench --', ...process.argv.slice(2)].join(' '), budgetMs: (args.quick ? 5 : 20) * 60_000, out: args.out,
      });
  }
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  for (const scenario of args.scenarios) {
    const started = performance.now();
    const result = await run(args, scenario);
    progressDone();
    process.stdout.write(`${formatTable(`${scenario} (${((performance.now() - started) / 1000).toFixed(1)} s)`, result.rows)}\n`);
    const file = writeResult(args.out, result, { ...args });
    process.stdout.write(`wrote ${file}\n\n`);
  }
  progressDone();
}

main().catch((err: unknown) => {
  progressDone();
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
