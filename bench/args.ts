// Command-line flags of `npm run bench`.
import { parseArgs } from 'node:util';
import { PEERS } from './peer-process.ts';
import type { PeerName } from './peer-process.ts';

/** The benchmark scenarios `npm run bench` runs by default, in order. */
export const SCENARIOS = ['size', 'translate', 'push', 'churn', 'memory'] as const;

/**
 * Scenarios that run only when named (`peer` also through `--peer`): they need Go or real Envoys, or (`targets`,
 * issue 13's table in one run) take up to 20 minutes.
 */
export const EXTRA_SCENARIOS = ['peer', 'envoy-churn', 'targets'] as const;

/** One of SCENARIOS or EXTRA_SCENARIOS. */
export type Scenario = (typeof SCENARIOS)[number] | (typeof EXTRA_SCENARIOS)[number];

const KNOWN: readonly string[] = [...SCENARIOS, ...EXTRA_SCENARIOS];

/** What to run and at which sizes. */
export interface BenchArgs {
  readonly quick: boolean;
  readonly scenarios: readonly Scenario[];
  /** Service counts for size and translate. */
  readonly sizeServices: readonly number[];
  /** Service count for push, churn and memory. */
  readonly services: number;
  readonly pods: number;
  /** Total proxies (split evenly over the four IP modes) for push, churn and memory. */
  readonly proxies: readonly number[];
  readonly debounceMs: number;
  /** Churn also through src/server's `startServer` (always with --quick). */
  readonly serverChurn: boolean;
  readonly seed: number;
  readonly out: string;
  /** The peer control plane the `peer` scenario compares with. */
  readonly peer: PeerName;
  /** Alternating rounds (biplane, peer) of the `peer` scenario. */
  readonly rounds: number;
  /** Real Envoys of `envoy-churn` (bounded by free memory when it runs). */
  readonly envoys: number;
  /** Delta proxies of the `targets` scenario's large rows. */
  readonly largeProxies: number;
}

const HELP = `usage: npm run bench -- [--quick] [--scenario size,translate,push,churn,memory,peer,envoy-churn,targets]
  [--services N] [--size-services N,M] [--pods P] [--proxies N,M] [--debounce MS] [--server-churn]
  [--peer go-control-plane] [--rounds R] [--envoys N] [--large-proxies N] [--seed S] [--out DIR]
  --peer NAME   also run the peer scenario: biplane and NAME side by side (needs Go; skipped with a message without)
  --rounds R    alternating rounds per server in the peer scenario (default 3, 1 with --quick)
  --envoys N    real Envoys in envoy-churn (default 32, fewer when free memory is short)
  --large-proxies N  delta proxies of the targets scenario's large rows (default 10000, 16 with --quick);
                the targets scenario's other rows use the largest --proxies count (default 2000)`;

function numbers(text: string | undefined, flag: string): number[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(',').map((t) => Number(t.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`${flag}: "${text}" is not a list of whole numbers\n${HELP}`);
  return list;
}

/** Parses argv (without node and script); throws with the usage text on bad flags. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string' },
      services: { type: 'string' },
      'size-services': { type: 'string' },
      pods: { type: 'string' },
      proxies: { type: 'string' },
      debounce: { type: 'string' },
      'server-churn': { type: 'boolean', default: false },
      seed: { type: 'string' },
      out: { type: 'string' },
      peer: { type: 'string' },
      rounds: { type: 'string' },
      envoys: { type: 'string' },
      'large-proxies': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new Error(HELP);
  const quick = values.quick === true;
  const scenarios = (values.scenario?.split(',').map((s) => s.trim()) ?? [...SCENARIOS]) as Scenario[];
  for (const s of scenarios) if (!KNOWN.includes(s)) throw new Error(`--scenario: unknown "${s}"\n${HELP}`);
  const peer = values.peer ?? 'go-control-plane';
  if (!(PEERS as readonly string[]).includes(peer)) throw new Error(`--peer: unknown "${peer}" (known: ${PEERS.join(', ')})\n${HELP}`);
  if (values.peer !== undefined && !scenarios.includes('peer')) scenarios.push('peer');
  const services = numbers(values.services, '--services')?.[0];
  return {
    quick,
    scenarios,
    sizeServices: numbers(values['size-services'], '--size-services') ?? (services !== undefined ? [services] : quick ? [24] : [1000, 5000]),
    services: services ?? (quick ? 24 : 1000),
    pods: numbers(values.pods, '--pods')?.[0] ?? (quick ? 3 : 10),
    proxies: numbers(values.proxies, '--proxies') ?? (quick ? [8] : [1000, 2000]),
    debounceMs: numbers(values.debounce, '--debounce')?.[0] ?? 100,
    serverChurn: quick || values['server-churn'] === true,
    seed: numbers(values.seed, '--seed')?.[0] ?? 1,
    out: values.out ?? 'bench/results',
    peer: peer as PeerName,
    rounds: numbers(values.rounds, '--rounds')?.[0] ?? (quick ? 1 : 3),
    envoys: numbers(values.envoys, '--envoys')?.[0] ?? 32,
    largeProxies: numbers(values['large-proxies'], '--large-proxies')?.[0] ?? (quick ? 16 : 10_000),
  };
}
