// A separate process of bare ADS clients for the push, churn and memory scenarios: opens K streams (one connection
// each), subscribes to CDS, EDS, LDS and RDS, reads each response's header, counts bytes and ACKs at once.
// Driven over the IPC channel: {cmd:'open'|'stats'|'close'}; answers {evt:'opened'|'stats'|'closed'|'error'}.
import * as grpc from '@grpc/grpc-js';
import { TYPES, ack, firstRequest, nodeMessage } from './ads-requests.ts';
import type { NameLists } from './ads-requests.ts';
import { readResponseHeader } from './wire.ts';

/** A node the parent asks this process to be; `group` picks its resource names from the open command's `names`. */
export interface ClientNode {
  readonly id: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly group?: string;
}

/** Messages from the parent. `names`: per group, explicit names by type URL (default: wildcard CDS/LDS, '*' EDS/RDS). */
export type ClientCommand =
  | { readonly cmd: 'open'; readonly target: string; readonly kind: 'sotw' | 'delta'; readonly nodes: readonly ClientNode[]; readonly names?: Readonly<Record<string, NameLists>> }
  | { readonly cmd: 'stats' }
  | { readonly cmd: 'close' };

/** Counters the parent reads. */
export interface ClientStats {
  readonly streams: number;
  readonly responses: number;
  readonly acks: number;
  readonly bytes: number;
  readonly resources: number;
  readonly errors: number;
  readonly lastError: string;
}

const identity = (b: Buffer): Buffer => b;
const counters = { streams: 0, responses: 0, acks: 0, bytes: 0, resources: 0, errors: 0, lastError: '' };
const open: { client: grpc.Client; call: grpc.ClientDuplexStream<Buffer, Buffer> }[] = [];

function openStream(target: string, kind: 'sotw' | 'delta', node: ClientNode, lists: NameLists | undefined): void {
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_receive_message_length': -1,
  });
  const method = kind === 'sotw' ? 'StreamAggregatedResources' : 'DeltaAggregatedResources';
  const call = client.makeBidiStreamRequest(`/envoy.service.discovery.v3.AggregatedDiscoveryService/${method}`, identity, identity);
  call.on('data', (bytes: Buffer) => {
    counters.responses++;
    counters.bytes += bytes.length;
    const header = readResponseHeader(bytes);
    counters.resources += header.resources;
    call.write(ack(kind, header.typeUrl, header.version, header.nonce, lists));
    counters.acks++;
  });
  call.on('error', (err: Error) => {
    counters.errors++;
    counters.lastError = err.message;
  });
  const nodeMsg = nodeMessage(node);
  TYPES.forEach((t, i) => call.write(firstRequest(kind, t, i === 0 ? nodeMsg : undefined, lists)));
  open.push({ client, call });
  counters.streams++;
}

function send(message: object): void {
  process.send?.(message);
}

process.on('message', (message: ClientCommand) => {
  try {
    if (message.cmd === 'open') {
      for (const node of message.nodes) openStream(message.target, message.kind, node, node.group === undefined ? undefined : message.names?.[node.group]);
      send({ evt: 'opened', count: message.nodes.length });
    } else if (message.cmd === 'stats') {
      send({ evt: 'stats', stats: { ...counters } satisfies ClientStats });
    } else if (message.cmd === 'close') {
      for (const { client, call } of open.splice(0)) {
        call.cancel();
        client.close();
      }
      counters.streams = 0;
      send({ evt: 'closed' });
    }
  } catch (err) {
    send({ evt: 'error', message: (err as Error).message });
  }
});

process.on('disconnect', () => process.exit(0));
