// The agent's own ADS stream to biplane: it subscribes to the name table (NDS) for the same node as its Envoy, hands
// every table it receives to a callback, ACKs it (NACKs bytes that are no NameTable), and reconnects with backoff.
import * as grpc from '@grpc/grpc-js';
import { NAME_TABLE_TYPE_URL, decodeNameTable, type NameTable } from '../translate/nds.ts';
import { messageType } from '../envoy-api/protos.ts';

const METHOD = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

/** Who the agent says it is: the node of its Envoy's bootstrap (id and string metadata). */
export interface AgentNode {
  readonly id: string;
  readonly cluster?: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Options of the name table stream. */
export interface NameTableClientOptions {
  /** gRPC target: `host:port`, `[v6]:port` or `unix:/path`. */
  readonly target: string;
  readonly node: AgentNode;
  readonly onTable: (table: NameTable) => void;
  readonly log?: (line: string) => void;
  /**
   * The channel's credentials, asked again at every (re)connect so a renewed certificate is used: TLS with the pod's
   * certificate for biplane's TLS port (undefined while there is none yet: retried later). Default: plaintext.
   */
  readonly credentials?: () => grpc.ChannelCredentials | undefined;
  /** TLS name the server's certificate must carry, when not the target's host. */
  readonly serverName?: string;
}

/** A reconnecting NDS subscription. */
export class NameTableClient {
  #client: grpc.Client | undefined;
  #call: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
  #closed = false;
  #retryMs = 100;
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly options: NameTableClientOptions) {}

  /** Opens the stream (and keeps reopening it until `close`). */
  start(): void {
    this.#open();
  }

  /** A channel with the credentials of now (a new one for every connect when they can change). */
  #channel(): grpc.Client | undefined {
    if (this.#client && !this.options.credentials) return this.#client;
    const credentials = this.options.credentials ? this.options.credentials() : grpc.credentials.createInsecure();
    if (!credentials) return undefined;
    this.#client?.close();
    const name = this.options.serverName;
    this.#client = new grpc.Client(this.options.target, credentials, name ? { 'grpc.ssl_target_name_override': name, 'grpc.default_authority': name } : {});
    return this.#client;
  }

  /** Ends the stream and stops reconnecting. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#call?.cancel();
    this.#client?.close();
  }

  #open(): void {
    if (this.#closed) return;
    const client = this.#channel();
    if (!client) {
      this.#timer = setTimeout(() => this.#open(), 1000);
      return;
    }
    const call = client.makeBidiStreamRequest(METHOD, (b: Buffer) => b, (b: Buffer) => b);
    this.#call = call;
    let first = true;
    call.on('data', (bytes: Buffer) => {
      this.#retryMs = 100;
      this.#onResponse(call, bytes, first);
      first = false;
    });
    call.on('error', () => undefined);
    call.on('close', () => this.#retry(call));
    call.on('end', () => this.#retry(call));
    call.write(request(this.options.node, '', '', undefined, true));
  }

  #retry(call: grpc.ClientDuplexStream<Buffer, Buffer>): void {
    if (this.#closed || this.#call !== call) return;
    this.#call = undefined;
    this.options.log?.(`name table stream ended; reconnecting in ${this.#retryMs} ms`);
    this.#timer = setTimeout(() => this.#open(), this.#retryMs);
    this.#retryMs = Math.min(this.#retryMs * 2, 5000);
  }

  #onResponse(call: grpc.ClientDuplexStream<Buffer, Buffer>, bytes: Buffer, _first: boolean): void {
    const res = messageType('envoy.service.discovery.v3.DiscoveryResponse').decode(bytes) as unknown as {
      version_info?: string;
      nonce?: string;
      type_url?: string;
      resources?: { type_url?: string; value?: Uint8Array }[];
    };
    if (res.type_url !== NAME_TABLE_TYPE_URL) return;
    let table: NameTable | undefined;
    let error: string | undefined;
    try {
      const any = res.resources?.find((r) => r.type_url === NAME_TABLE_TYPE_URL);
      table = any?.value ? decodeNameTable(any.value) : undefined;
    } catch (err) {
      error = (err as Error).message;
    }
    if (table) this.options.onTable(table);
    call.write(request(this.options.node, res.version_info ?? '', res.nonce ?? '', error, false));
  }
}

/** A DiscoveryRequest for the name table (node only on the first one), optionally a NACK. */
function request(node: AgentNode, version: string, nonce: string, error: string | undefined, withNode: boolean): Buffer {
  const type = messageType('envoy.service.discovery.v3.DiscoveryRequest');
  // protobufjs' own google.protobuf.Value keeps its camelCase field names.
  const fields = Object.fromEntries(Object.entries(node.metadata).map(([k, v]) => [k, { stringValue: v }]));
  const value = {
    ...(withNode ? { node: { id: node.id, cluster: node.cluster ?? '', metadata: { fields } } } : {}),
    version_info: version,
    response_nonce: nonce,
    type_url: NAME_TABLE_TYPE_URL,
    resource_names: ['*'],
    ...(error ? { error_detail: { code: 3, message: error } } : {}),
  };
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}
