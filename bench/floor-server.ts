// The floor of a push: a minimal grpc-js ADS server that writes DiscoveryResponses encoded before the clock starts
// to the same number of streams, and only counts the ACKs that come back. No xDS logic, no per-stream encoding.
import * as grpc from '@grpc/grpc-js';
import { decodeSotwRequest } from '../src/xds/codec.ts';
import { adsServiceDefinition } from '../src/xds/server.ts';

interface FloorStream {
  readonly call: grpc.ServerDuplexStream<Buffer, Buffer>;
  nodeId: string;
  received: number;
  acksOwed: number;
}

/** A grpc-js server that only writes pre-encoded buffers and counts requests. */
export class FloorServer {
  readonly #server = new grpc.Server({ 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 });
  readonly #streams: FloorStream[] = [];
  #onAck: (() => void) | undefined;
  #owed = 0;

  constructor() {
    const accept = (call: grpc.ServerDuplexStream<Buffer, Buffer>): void => {
      const stream: FloorStream = { call, nodeId: '', received: 0, acksOwed: 0 };
      this.#streams.push(stream);
      call.on('data', (bytes: Buffer) => {
        stream.received++;
        if (stream.received === 1) stream.nodeId = decodeSotwRequest(bytes).node?.id ?? '';
        else if (stream.acksOwed > 0 && stream.received > 4) {
          stream.acksOwed--;
          this.#owed--;
          if (this.#owed === 0) this.#onAck?.();
        }
      });
      call.on('error', () => undefined);
      call.on('end', () => call.end());
    };
    this.#server.addService(adsServiceDefinition, { StreamAggregatedResources: accept, DeltaAggregatedResources: accept });
  }

  /** Binds 127.0.0.1 on an ephemeral port; resolves to "127.0.0.1:port". */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(`127.0.0.1:${port}`)));
    });
  }

  /** Streams that have sent their four first requests. */
  ready(): number {
    return this.#streams.filter((s) => s.received >= 4).length;
  }

  /** Writes each stream's buffers (chosen by node id) and resolves when every one was ACKed; returns the bytes sent. */
  push(buffersFor: (nodeId: string) => readonly Buffer[], ms: number): Promise<number> {
    let bytes = 0;
    for (const s of this.#streams) {
      const buffers = buffersFor(s.nodeId);
      s.acksOwed += buffers.length;
      this.#owed += buffers.length;
      for (const b of buffers) {
        s.call.write(b);
        bytes += b.length;
      }
    }
    return new Promise((resolve, reject) => {
      if (this.#owed === 0) return resolve(bytes);
      const timer = setTimeout(() => reject(new Error(`floor: ${this.#owed} ACKs missing after ${ms} ms`)), ms);
      this.#onAck = () => {
        clearTimeout(timer);
        resolve(bytes);
      };
    });
  }

  /** Ends every stream and stops the server. */
  close(): Promise<void> {
    for (const s of this.#streams.splice(0)) s.call.end();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, 2000);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
