// The fuzzer's xDS side: a well-behaved raw-bytes ADS stream that keeps what it holds (bench/soak-state.ts), a fresh
// subscriber's state, and hostile requests on live streams (garbage bytes, bad type URLs, huge node ids, stale
// nonces, NACK floods, oversized subscriptions), each chosen by the seeded generator.
import * as grpc from '@grpc/grpc-js';
import { TypeUrl, encodeMessage } from '../src/envoy-api/protos.ts';
import type { ClientNode } from './ads-clients.ts';
import { TYPES, ack, firstRequest, nodeMessage } from './ads-requests.ts';
import { below, pick } from './fuzz-mutate.ts';
import type { Rng } from './fuzz-mutate.ts';
import { applyResponse, parseDelta, parseSotw } from './soak-state.ts';
import type { Holdings } from './soak-state.ts';

const identity = (b: Buffer): Buffer => b;
const COMPLETE: readonly string[] = [TypeUrl.Cluster, TypeUrl.Listener];
const SOTW_REQ = 'envoy.service.discovery.v3.DiscoveryRequest';
const DELTA_REQ = 'envoy.service.discovery.v3.DeltaDiscoveryRequest';
const method = (kind: 'sotw' | 'delta'): string =>
  `/envoy.service.discovery.v3.AggregatedDiscoveryService/${kind === 'sotw' ? 'StreamAggregatedResources' : 'DeltaAggregatedResources'}`;

/** One raw ADS stream that ACKs every response and keeps its holdings; `ended` says why it stopped, if it did. */
export class HeldStream {
  readonly held: Holdings = new Map();
  readonly seen = new Set<string>();
  lastResponseAt = 0;
  ended: string | undefined;
  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<Buffer, Buffer>;

  constructor(target: string, readonly kind: 'sotw' | 'delta', node: ClientNode) {
    this.#client = new grpc.Client(target, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
    this.#call = this.#client.makeBidiStreamRequest(method(kind), identity, identity);
    this.#call.on('data', (bytes: Buffer) => {
      const r = kind === 'sotw' ? parseSotw(bytes) : parseDelta(bytes);
      applyResponse(this.held, kind, r);
      this.seen.add(r.typeUrl);
      this.lastResponseAt = Date.now();
      this.#call.write(ack(kind, r.typeUrl, r.version, r.nonce));
    });
    this.#call.on('error', (err: Error) => (this.ended ??= err.message));
    this.#call.on('end', () => (this.ended ??= 'ended by the server'));
    const msg = nodeMessage(node);
    TYPES.forEach((t, i) => this.#call.write(firstRequest(kind, t, i === 0 ? msg : undefined)));
  }

  /**
   * True once CDS and LDS (complete in every response) have answered and nothing arrived for `quietMs`. EDS and RDS
   * follow them at once when there is anything to send; a delta server need not answer a type that has nothing.
   */
  quiet(quietMs: number): boolean {
    return COMPLETE.every((t) => this.seen.has(t)) && Date.now() - this.lastResponseAt >= quietMs;
  }

  /** Cancels the call and closes the channel. */
  close(): void {
    this.ended ??= 'closed';
    this.#call.cancel();
    this.#client.close();
  }
}

/** What a fresh delta subscriber holds once it is quiet; rejects when it does not get there within `ms`. */
export async function freshState(target: string, node: ClientNode, ms = 10_000): Promise<Holdings> {
  const s = new HeldStream(target, 'delta', node);
  try {
    const deadline = Date.now() + ms;
    while (!s.quiet(200)) {
      if (s.ended !== undefined) throw new Error(`a fresh subscriber's stream ended: ${s.ended}`);
      if (Date.now() > deadline) throw new Error(`a fresh subscriber got no complete, quiet snapshot within ${ms} ms (types: ${[...s.seen].map((t) => `${t.split('.').at(-1)} ${s.held.get(t)?.size ?? 0}`).join(', ') || 'none'})`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return s.held;
  } finally {
    s.close();
  }
}

type Send = (call: grpc.ClientDuplexStream<Buffer, Buffer>, kind: 'sotw' | 'delta', r: Rng) => string;

const node = (id: string, extra: Record<string, string> = {}): object => nodeMessage({ id, metadata: { INSTANCE_IPS: '10.244.1.10', ...extra } });
const request = (kind: 'sotw' | 'delta', message: object): Buffer => Buffer.from(encodeMessage(kind === 'sotw' ? SOTW_REQ : DELTA_REQ, message));
const names = (kind: 'sotw' | 'delta', list: string[]): object => (kind === 'sotw' ? { resource_names: list } : { resource_names_subscribe: list });

const HOSTILE: readonly Send[] = [
  (call, _k, r) => {
    for (let i = 0; i < 1 + below(r, 4); i++) call.write(Buffer.from(Array.from({ length: 1 + below(r, 2048) }, () => below(r, 256))));
    return 'garbage bytes';
  },
  (call, kind, r) => {
    const urls = ['', 'type.googleapis.com/', `type.googleapis.com/${'x'.repeat(below(r, 5000))}`, 'not a url', '\u0000\uffff', TypeUrl.Secret];
    for (let i = 0; i < 1 + below(r, 50); i++) call.write(request(kind, { type_url: `${pick(r, urls)}${i}`, node: node(`fuzz-url-${i}`) }));
    return 'bad type URLs';
  },
  (call, kind, r) => {
    const size = pick(r, [2048, 200_000, 2_000_000]);
    call.write(request(kind, { type_url: TypeUrl.Cluster, node: node(`sidecar~10.244.1.10~${'n'.repeat(size)}.demo~demo.svc.cluster.local`) }));
    return `huge node id (${size} chars)`;
  },
  (call, kind, r) => {
    call.write(request(kind, { type_url: TypeUrl.Cluster, node: node('sidecar~10.244.1.10~client-v4.demo~demo.svc.cluster.local') }));
    for (let i = 0; i < 20; i++) call.write(request(kind, { type_url: pick(r, TYPES), version_info: String(below(r, 1e6)), response_nonce: String(below(r, 1e9)) }));
    return 'stale and foreign nonces';
  },
  (call, kind, r) => {
    call.write(request(kind, { type_url: TypeUrl.Cluster, node: node(`sidecar~10.244.1.10~nack${below(r, 1e6)}.demo~demo.svc.cluster.local`) }));
    const detail = { code: 3, message: 'e'.repeat(pick(r, [100, 100_000, 900_000])) };
    for (let i = 0; i < 30; i++) call.write(request(kind, { type_url: pick(r, TYPES), response_nonce: String(i), error_detail: detail }));
    return 'NACK flood';
  },
  (call, kind, r) => {
    const list = Array.from({ length: pick(r, [100, 5000, 70_000]) }, (_, i) => `fuzz-${i}`);
    call.write(request(kind, { type_url: TypeUrl.ClusterLoadAssignment, node: node('sidecar~10.244.1.10~client-v4.demo~demo.svc.cluster.local', { GENERATOR: r() < 0.5 ? 'grpc' : '' }), ...names(kind, list) }));
    return `oversized subscription (${list.length} names)`;
  },
  (call, kind, r) => {
    const meta = Object.fromEntries(Array.from({ length: 1 + below(r, 3000) }, (_, i) => [`k${i}`, 'v'.repeat(below(r, 300))]));
    call.write(request(kind, { type_url: TypeUrl.Listener, node: node('sidecar~10.244.1.10~client-v4.demo~demo.svc.cluster.local', meta) }));
    return 'huge metadata';
  },
];

/** Opens a stream, sends one hostile burst the generator picks, lets the server answer briefly, and cancels. */
export async function hostile(target: string, r: Rng): Promise<string> {
  const kind = r() < 0.5 ? 'sotw' : 'delta';
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
  const call = client.makeBidiStreamRequest(method(kind), identity, identity);
  call.on('error', () => undefined);
  call.on('data', () => undefined);
  try {
    const what = pick(r, HOSTILE)(call, kind, r);
    await new Promise((res) => setTimeout(res, 50));
    return `${kind}: ${what}`;
  } finally {
    call.cancel();
    client.close();
  }
}
