// The gRPC ADS server: AggregatedDiscoveryService with both SotW and delta streams, on any number of addresses.
// `serveOn` adds the same streams to another grpc-js server (say one bound with TLS credentials), optionally behind an
// `authorize` hook that sees each stream's node and call before anything is sent (src/xds/authorize.ts).
import * as grpc from '@grpc/grpc-js';
import { AuthGate } from './authorize.ts';
import type { AuthorizeHook } from './authorize.ts';
import type { XdsCache } from './snapshot-cache.ts';
import { SharedResponses } from './shared-response.ts';
import { framedNonce } from './codec.ts';
import type { XdsNode } from './codec.ts';
import { DeltaStream } from './delta.ts';
import { XdsEvents } from './events.ts';
import { SotwStream } from './sotw.ts';
import type { StreamInfo, StreamIo, StreamLimits } from './stream.ts';

const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService/';

/** Options for `XdsServer`. */
export interface XdsServerOptions<C extends XdsCache = XdsCache> {
  /** Where streams read their snapshots (a `SnapshotCache`, or any other `XdsCache`). */
  readonly cache: C;
  /** Largest request accepted and response sent, in bytes (default 4 MiB in, 64 MiB out when unset). */
  readonly maxMessageBytes?: number;
  /** Most resource names one stream may subscribe to, over all types (default 100000). */
  readonly maxNamesPerStream?: number;
  /** The other per-stream limits: type URLs, node id and metadata size, NACK error length, response size. */
  readonly streamLimits?: Omit<StreamLimits, 'maxNames'>;
  /**
   * The SnapshotCache key a stream's node reads (default: the node id). A server that builds per node content can
   * key by id plus metadata, so two streams claiming one id never read each other's snapshot.
   */
  readonly snapshotKey?: (node: XdsNode) => string;
  /** Extra grpc-js server options (keepalive and such); the size limits above win. */
  readonly grpcOptions?: grpc.ServerOptions;
  /** An existing grpc-js server to add the ADS service to, instead of a new one. */
  readonly grpcServer?: grpc.Server;
  /** Asked before a stream on `grpcServer` is served (default: every stream is served); see `serveOn` for others. */
  readonly authorize?: AuthorizeHook;
}

/** A duplex ADS call as grpc-js hands it to the handlers. */
type AdsCall = grpc.ServerDuplexStream<Buffer, Buffer | OutgoingResponse>;

const identity = (b: Buffer): Buffer => b;

/** A response on its way out: a body shared by many streams and this stream's nonce. */
export interface OutgoingResponse {
  readonly body: Buffer;
  readonly nonce: string;
}

/** Pre-encoded bytes as they are; a shared body gets its nonce as it is copied into grpc-js's frame. */
function serializeResponse(m: Buffer | OutgoingResponse): Buffer {
  return Buffer.isBuffer(m) ? m : framedNonce(m.body, m.nonce);
}

function method(name: string): grpc.MethodDefinition<Buffer, Buffer | OutgoingResponse> {
  return {
    path: `${SERVICE}${name}`,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: serializeResponse,
    responseDeserialize: identity,
    originalName: name,
  };
}

/**
 * The ADS service with raw-bytes codecs: requests are decoded by the streams, responses arrive pre-encoded (a Buffer,
 * or an `OutgoingResponse` whose nonce is added while grpc-js frames it).
 */
export const adsServiceDefinition: grpc.ServiceDefinition = {
  StreamAggregatedResources: method('StreamAggregatedResources'),
  DeltaAggregatedResources: method('DeltaAggregatedResources'),
};

interface Live {
  readonly stream: SotwStream | DeltaStream;
  readonly call: AdsCall;
  /** What the authorize hook resolved to for this stream (undefined without a hook). */
  principal?: unknown;
}

/**
 * Serves a cache (`XdsCache`, usually a `SnapshotCache`) over ADS; emits typed events for every stream, request,
 * response, ACK and NACK. Everything its streams share (interned names, encoded responses, stream ids) is its own.
 */
export class XdsServer<C extends XdsCache = XdsCache> {
  /** Subscribe here for stream/request/response/ack/nack events. */
  readonly events = new XdsEvents();
  readonly cache: C;
  /** Interned subscriptions and encoded responses, shared by this server's streams and nobody else's. */
  readonly responses = new SharedResponses();
  /** The grpc-js server, e.g. to add a health service on the same ports. */
  readonly grpcServer: grpc.Server;
  readonly #limits: StreamLimits;
  readonly #snapshotKey: ((node: XdsNode) => string) | undefined;
  readonly #live = new Map<number, Live>();
  #nextId = 0;

  constructor(options: XdsServerOptions<C>) {
    this.cache = options.cache;
    this.#limits = { ...options.streamLimits, maxNames: options.maxNamesPerStream ?? 100_000 };
    this.#snapshotKey = options.snapshotKey;
    const limits = {
      'grpc.max_receive_message_length': options.maxMessageBytes ?? 4 * 1024 * 1024,
      'grpc.max_send_message_length': options.maxMessageBytes ?? 64 * 1024 * 1024,
    };
    this.grpcServer = options.grpcServer ?? new grpc.Server({ ...options.grpcOptions, ...limits });
    this.serveOn(this.grpcServer, options.authorize);
  }

  /**
   * Serves the ADS service on another grpc-js server too (its streams share this server's cache, events and limits);
   * with `authorize`, each stream's first node is authorized before the stream sees any request.
   */
  serveOn(grpcServer: grpc.Server, authorize?: AuthorizeHook): void {
    grpcServer.addService(adsServiceDefinition, {
      StreamAggregatedResources: (call: AdsCall) => this.#accept('sotw', call, authorize),
      DeltaAggregatedResources: (call: AdsCall) => this.#accept('delta', call, authorize),
    });
  }

  /**
   * Binds every address ("127.0.0.1:18000", "[::1]:0", "[::]:18000", or a Unix socket "unix:/run/xds.sock") without
   * transport security; resolves to the bound addresses. See `bindAddresses`.
   */
  listen(addresses: readonly string[]): Promise<string[]> {
    return bindAddresses(this.grpcServer, addresses, grpc.ServerCredentials.createInsecure());
  }

  /** Ends every stream with OK, then shuts the server down (forcefully after `graceMs`). */
  close(graceMs = 1000): Promise<void> {
    for (const { stream, call } of [...this.#live.values()]) {
      stream.close('server closing');
      call.end();
    }
    this.#live.clear();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.grpcServer.forceShutdown();
        resolve();
      }, graceMs);
      this.grpcServer.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Every live stream, in the order they opened. */
  streams(): StreamInfo[] {
    return [...this.#live.values()].map((l) => l.stream);
  }

  /** One live stream by id. */
  stream(id: number): StreamInfo | undefined {
    return this.#live.get(id)?.stream;
  }

  /**
   * Ends one live stream with a gRPC status, e.g. when a caller's own budget for it is exceeded (safe from inside an
   * event listener of that stream); false when no such stream is open.
   */
  endStream(streamId: number, code: grpc.status, details: string): boolean {
    const live = this.#live.get(streamId);
    if (!live) return false;
    live.stream.end(code, details);
    return true;
  }

  /** What the authorize hook resolved to for a live stream (undefined without a hook, before it resolved, or when gone). */
  principal(streamId: number): unknown {
    return this.#live.get(streamId)?.principal;
  }

  /** The live streams of one node id. */
  streamsOfNode(nodeId: string): StreamInfo[] {
    return this.streams().filter((s) => s.node?.id === nodeId);
  }

  #accept(kind: 'sotw' | 'delta', call: AdsCall, authorize: AuthorizeHook | undefined): void {
    this.#nextId += 1;
    const id = this.#nextId;
    let ended = false;
    const io: StreamIo = {
      id,
      peer: call.getPeer(),
      cache: this.cache,
      shared: this.responses,
      events: this.events,
      limits: this.#limits,
      ...(this.#snapshotKey ? { snapshotKey: this.#snapshotKey } : {}),
      send: (body, nonce) => {
        if (!ended) call.write({ body, nonce } satisfies OutgoingResponse);
      },
      fail: (code, details) => {
        if (ended) return;
        ended = true;
        call.emit('error', { code, details });
      },
    };
    const stream = kind === 'sotw' ? new SotwStream(io) : new DeltaStream(io);
    const live: Live = { stream, call };
    this.#live.set(id, live);
    const done = (error?: string): void => {
      ended = true;
      stream.close(error);
      this.#live.delete(id);
    };
    const gate = authorize
      ? new AuthGate({ kind, call, authorize, allowed: (p) => (live.principal = p), deliver: (b) => stream.receive(b), fail: (code, details) => stream.end(code, details) })
      : undefined;
    call.on('data', (bytes: Buffer) => (gate ? gate.receive(bytes) : stream.receive(bytes)));
    call.on('end', () => {
      done();
      call.end();
    });
    call.on('cancelled', () => done('cancelled'));
    call.on('error', (err: Error) => done(err.message));
    call.on('close', () => done());
  }
}

/**
 * Binds every address on a grpc-js server with the credentials; resolves to the bound addresses. Port 0 after the
 * first ephemeral bind reuses that port when it is free, so both families share one port.
 */
export async function bindAddresses(server: grpc.Server, addresses: readonly string[], credentials: grpc.ServerCredentials): Promise<string[]> {
  const bind = (address: string): Promise<number> =>
    new Promise((resolve, reject) => {
      server.bindAsync(address, credentials, (err, port) => {
        if (err) reject(new Error(`xds server: cannot bind ${address}: ${err.message}`));
        else resolve(port);
      });
    });
  const bound: string[] = [];
  let shared = 0;
  for (const address of addresses) {
    if (address.startsWith('unix:')) {
      await bind(address);
      bound.push(address);
      continue;
    }
    const { host, port } = splitAddress(address);
    let actual: number;
    if (port === 0 && shared !== 0) actual = await bind(`${host}:${shared}`).catch(() => bind(`${host}:0`));
    else actual = await bind(`${host}:${port}`);
    if (port === 0 && shared === 0) shared = actual;
    bound.push(`${host}:${actual}`);
  }
  return bound;
}

/** Splits "host:port" or "[v6]:port" into the host as grpc-js wants it and the port number. */
function splitAddress(address: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(address);
  if (!match) throw new Error(`xds server: address "${address}" is not host:port or [ipv6]:port`);
  const port = Number(match[2]);
  if (port > 65535) throw new Error(`xds server: address "${address}" has port ${port} above 65535`);
  return { host: match[1] as string, port };
}

/** Convenience: a server for the cache, listening on the addresses; resolves once bound. */
export async function startXdsServer<C extends XdsCache>(
  options: XdsServerOptions<C> & { readonly addresses: readonly string[] },
): Promise<{ server: XdsServer<C>; addresses: string[] }> {
  const server = new XdsServer(options);
  const addresses = await server.listen(options.addresses);
  return { server, addresses };
}
