// A bare ADS client for conformance tests: Envoy's protos through @grpc/proto-loader, no xDS logic of its own.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { decodeMessage, protoEntryFiles, protoIncludeDirs } from '../../src/envoy-api/protos.ts';

type AnyMsg = { type_url: string; value: Buffer };

/** A DiscoveryResponse as proto-loader decodes it. */
export interface SotwResponse {
  version_info: string;
  type_url: string;
  nonce: string;
  resources: AnyMsg[];
}

/** A DeltaDiscoveryResponse as proto-loader decodes it. */
export interface DeltaResponse {
  system_version_info: string;
  type_url: string;
  nonce: string;
  resources: { name: string; version: string; resource: AnyMsg }[];
  removed_resources: string[];
}

type ClientCtor = new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => grpc.Client & {
  StreamAggregatedResources(metadata?: grpc.Metadata): grpc.ClientDuplexStream<object, SotwResponse>;
  DeltaAggregatedResources(metadata?: grpc.Metadata): grpc.ClientDuplexStream<object, DeltaResponse>;
};

let ctor: ClientCtor | undefined;

function adsClientCtor(): ClientCtor {
  if (ctor) return ctor;
  const definition = protoLoader.loadSync([...protoEntryFiles()], {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    includeDirs: protoIncludeDirs(),
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    envoy: { service: { discovery: { v3: { AggregatedDiscoveryService: ClientCtor } } } };
  };
  ctor = pkg.envoy.service.discovery.v3.AggregatedDiscoveryService;
  return ctor;
}

/** One open ADS stream with a queue of received responses and the final status. */
export class RawStream<Res> {
  readonly #queue: Res[] = [];
  #waiter: ((r: Res | undefined) => void) | undefined;
  #status: grpc.StatusObject | undefined;
  #statusWaiters: ((s: grpc.StatusObject) => void)[] = [];

  constructor(
    readonly client: grpc.Client,
    readonly call: grpc.ClientDuplexStream<object, Res>,
  ) {
    call.on('data', (r: Res) => {
      if (this.#waiter) {
        const w = this.#waiter;
        this.#waiter = undefined;
        w(r);
      } else this.#queue.push(r);
    });
    call.on('status', (s: grpc.StatusObject) => this.#finish(s));
    call.on('error', (e: grpc.ServiceError) => this.#finish({ code: e.code, details: e.details, metadata: e.metadata }));
  }

  #finish(s: grpc.StatusObject): void {
    if (this.#status) return;
    this.#status = s;
    this.#waiter?.(undefined);
    this.#waiter = undefined;
    for (const w of this.#statusWaiters) w(s);
  }

  /** Writes one request (plain object, snake_case). */
  send(request: object): void {
    this.call.write(request);
  }

  /** The next response; rejects when none arrives within `ms` or the stream ends first. */
  next(ms = 3000): Promise<Res> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#status) return Promise.reject(new Error(`stream ended: ${this.#status.code} ${this.#status.details}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`no response within ${ms} ms`));
      }, ms);
      this.#waiter = (r) => {
        clearTimeout(timer);
        if (r === undefined) reject(new Error(`stream ended: ${this.#status?.code} ${this.#status?.details}`));
        else resolve(r);
      };
    });
  }

  /** Resolves to the response that arrives within `ms`, or undefined when none does (for "no resend" checks). */
  async maybeNext(ms: number): Promise<Res | undefined> {
    try {
      return await this.next(ms);
    } catch (err) {
      if (String(err).includes('no response within')) return undefined;
      throw err;
    }
  }

  /** The stream's final status, within `ms`. */
  status(ms = 3000): Promise<grpc.StatusObject> {
    if (this.#status) return Promise.resolve(this.#status);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no status within ${ms} ms`)), ms);
      this.#statusWaiters.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
    });
  }

  /** Cancels the call and closes the channel (unless the channel is shared). */
  close(keepChannel = false): void {
    this.call.cancel();
    if (!keepChannel) this.client.close();
  }
}

/** A generated ADS client (one channel); pass it to openSotw/openDelta to multiplex streams on it. */
export type AdsClient = InstanceType<ClientCtor>;

/** A new ADS client for `address`. */
export function adsClient(address: string): AdsClient {
  return new (adsClientCtor())(address, grpc.credentials.createInsecure());
}

/** A new ADS client for `address` over the given channel credentials (TLS) and options. */
export function adsClientWith(address: string, creds: grpc.ChannelCredentials, options: grpc.ChannelOptions = {}): AdsClient {
  return new (adsClientCtor())(address, creds, options);
}

/** Opens a SotW stream to `address` ("127.0.0.1:port" or "[::1]:port"). */
export function openSotw(address: string, shared?: AdsClient): RawStream<SotwResponse> {
  const client = shared ?? adsClient(address);
  return new RawStream(client, client.StreamAggregatedResources());
}

/** Opens a delta stream to `address`. */
export function openDelta(address: string, shared?: AdsClient): RawStream<DeltaResponse> {
  const client = shared ?? adsClient(address);
  return new RawStream(client, client.DeltaAggregatedResources());
}

/** Names of the resources in a SotW response (decoded from Any.value with the resource's own type). */
export function sotwNames(res: SotwResponse): string[] {
  return res.resources.map((any) => {
    const msg = decodeMessage(any.type_url, any.value);
    return String(msg['name'] ?? msg['cluster_name']);
  });
}

/** Decoded resource messages of a SotW response. */
export function sotwMessages(res: SotwResponse): Record<string, unknown>[] {
  return res.resources.map((any) => decodeMessage(any.type_url, any.value));
}

/** Names of the resources in a delta response. */
export function deltaNames(res: DeltaResponse): string[] {
  return res.resources.map((r) => r.name);
}
