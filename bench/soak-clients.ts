// The soak's client process: N bare ADS streams (SotW or delta) that ACK everything, remember what they hold
// (bench/soak-state.ts) and reconnect whenever their stream ends (the server is restarted under them).
// Driven over IPC: {cmd:'open'|'synced'|'check'|'close'}; answers {evt:'opened'|'synced'|'checked'|'closed'|'error'}.
import * as grpc from '@grpc/grpc-js';
import type { ClientNode } from './ads-clients.ts';
import { TYPES, ack, firstRequest, nodeMessage } from './ads-requests.ts';
import { applyResponse, divergence, parseDelta, parseSotw } from './soak-state.ts';
import type { Holdings } from './soak-state.ts';

/** One stream the parent asks for. */
export interface SoakStreamSpec {
  readonly kind: 'sotw' | 'delta';
  readonly node: ClientNode;
}

/** Messages from the parent. */
export type SoakCommand =
  | { readonly cmd: 'open'; readonly target: string; readonly streams: readonly SoakStreamSpec[] }
  | { readonly cmd: 'synced'; readonly since: number }
  | { readonly cmd: 'check'; readonly quietMs: number }
  | { readonly cmd: 'close' };

interface Stream {
  readonly spec: SoakStreamSpec;
  readonly client: grpc.Client;
  call: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
  held: Holdings;
  openedAt: number;
  seen: Set<string>;
  lastResponseAt: number;
  reconnects: number;
}

const identity = (b: Buffer): Buffer => b;
const COMPLETE = [TYPES[0], TYPES[2]] as string[];
const streams: Stream[] = [];
let closing = false;
/** Why streams ended: message → count. */
const errors = new Map<string, number>();
let target = '';

function channel(): grpc.Client {
  return new grpc.Client(target, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_receive_message_length': -1,
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 1000,
  });
}

/** (Re)starts a stream's call with empty holdings, as a restarted proxy would. */
function start(s: Stream): void {
  const method = s.spec.kind === 'sotw' ? 'StreamAggregatedResources' : 'DeltaAggregatedResources';
  const call = s.client.makeBidiStreamRequest(`/envoy.service.discovery.v3.AggregatedDiscoveryService/${method}`, identity, identity);
  s.call = call;
  s.held = new Map();
  s.seen = new Set();
  s.openedAt = Date.now();
  call.on('data', (bytes: Buffer) => {
    const r = s.spec.kind === 'sotw' ? parseSotw(bytes) : parseDelta(bytes);
    applyResponse(s.held, s.spec.kind, r);
    s.seen.add(r.typeUrl);
    s.lastResponseAt = Date.now();
    call.write(ack(s.spec.kind, r.typeUrl, r.version, r.nonce));
  });
  let ended = false;
  const restart = (): void => {
    if (ended) return;
    ended = true;
    if (closing) return;
    s.reconnects++;
    setTimeout(() => !closing && start(s), 200 + Math.random() * 300);
  };
  call.on('error', (err: Error) => {
    errors.set(err.message, (errors.get(err.message) ?? 0) + 1);
    restart();
  });
  call.on('end', restart);
  call.on('status', restart);
  const node = nodeMessage(s.spec.node);
  TYPES.forEach((t, i) => call.write(firstRequest(s.spec.kind, t, i === 0 ? node : undefined)));
}

function openStream(spec: SoakStreamSpec): Stream {
  const s: Stream = { spec, client: channel(), call: undefined, held: new Map(), openedAt: 0, seen: new Set(), lastResponseAt: 0, reconnects: 0 };
  start(s);
  return s;
}

const synced = (s: Stream, since: number): boolean => s.openedAt >= since && COMPLETE.every((t) => s.seen.has(t));

/** Opens one fresh delta stream per node id, waits until they are quiet, and compares every stream with its node's. */
async function check(quietMs: number): Promise<{ lost: number; examples: string[]; references: number }> {
  const refs = new Map<string, Stream>();
  for (const s of streams) if (!refs.has(s.spec.node.id)) refs.set(s.spec.node.id, openStream({ kind: 'delta', node: s.spec.node }));
  const quiet = (): boolean => [...refs.values()].every((r) => synced(r, 0) && Date.now() - r.lastResponseAt > quietMs)
    && streams.every((s) => Date.now() - s.lastResponseAt > quietMs);
  const deadline = Date.now() + 120_000;
  while (!quiet() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  let lost = 0;
  const examples: string[] = [];
  for (const s of streams) {
    const ref = refs.get(s.spec.node.id) as Stream;
    const diff = divergence(s.held, ref.held, s.spec.kind);
    if (diff.length === 0) continue;
    lost++;
    if (examples.length < 5) examples.push(`${s.spec.kind} ${s.spec.node.id}: ${diff.slice(0, 3).join('; ')}`);
  }
  for (const r of refs.values()) {
    r.call?.cancel();
    r.client.close();
  }
  return { lost, examples, references: refs.size };
}

function send(message: object): void {
  process.send?.(message);
}

process.on('message', (message: SoakCommand) => {
  void (async () => {
    try {
      if (message.cmd === 'open') {
        target = message.target;
        for (const spec of message.streams) streams.push(openStream(spec));
        send({ evt: 'opened', count: message.streams.length });
      } else if (message.cmd === 'synced') {
        const reconnects = streams.reduce((n, s) => n + s.reconnects, 0);
        send({ evt: 'synced', count: streams.filter((s) => synced(s, message.since)).length, total: streams.length, reconnects, errors: Object.fromEntries(errors) });
      } else if (message.cmd === 'check') {
        send({ evt: 'checked', ...(await check(message.quietMs)) });
      } else if (message.cmd === 'close') {
        closing = true;
        for (const s of streams.splice(0)) {
          s.call?.cancel();
          s.client.close();
        }
        send({ evt: 'closed' });
      }
    } catch (err) {
      send({ evt: 'error', message: (err as Error).message });
    }
  })();
});

process.on('disconnect', () => process.exit(0));
