// A bare ADS client for the replica tests: real grpc-js with raw-bytes codecs, a list of control-plane addresses it
// fails over between (in order, with a doubling backoff), and what it holds now: per type URL, resource name → the
// exact bytes of the resource (the `Any.value`), kept as the protocol says (SotW CDS/LDS replace the type, EDS/RDS
// and delta merge, delta removes). A SotW client starts empty on every new stream; a delta client may resume as
// Envoy does, keeping what it holds and telling the next server its resource versions (initial_resource_versions).
import * as grpc from '@grpc/grpc-js';
import { lengthFields } from '../../bench/soak-state.ts';
import { NAME_TABLE_TYPE_URL } from '../../src/translate/nds.ts';
import { encodeMessage, TypeUrl } from '../../src/xds/index.ts';

/** Type URL → resource name → the resource's bytes (base64), so two holdings compare with deepEqual. */
export type Held = Map<string, Map<string, string>>;

/** What an ADS client of a sidecar says about itself: an id and string metadata (sent as a protobuf Struct). */
export interface ClientNode {
  readonly id: string;
  readonly metadata: Readonly<Record<string, unknown>>;
}

const SOTW = 'envoy.service.discovery.v3.DiscoveryRequest';
const DELTA = 'envoy.service.discovery.v3.DeltaDiscoveryRequest';
/** Types whose SotW responses carry the whole set. */
const COMPLETE_IN_SOTW: ReadonlySet<string> = new Set([TypeUrl.Cluster, TypeUrl.Listener]);
const identity = (b: Buffer): Buffer => b;
const text = (b: Uint8Array | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const last = (fields: ReturnType<typeof lengthFields>, n: number): Uint8Array | undefined => fields.findLast((f) => f.field === n)?.bytes;

/** One response read off the wire: type, version, nonce, resources (name → base64 bytes, delta: → version), removed. */
interface Parsed {
  readonly typeUrl: string;
  readonly version: string;
  readonly nonce: string;
  readonly resources: Map<string, string>;
  readonly resourceVersions: Map<string, string>;
  readonly removed: string[];
}

/** A SotW DiscoveryResponse: 1 version_info, 2 Any resources (2 value), 4 type_url, 5 nonce; names are field 1. */
function parseSotw(buf: Uint8Array): Parsed {
  const fields = lengthFields(buf);
  const resources = new Map<string, string>();
  for (const f of fields.filter((x) => x.field === 2)) {
    const value = last(lengthFields(f.bytes), 2) ?? new Uint8Array();
    resources.set(text(last(lengthFields(value), 1)), Buffer.from(value).toString('base64'));
  }
  return { typeUrl: text(last(fields, 4)), version: text(last(fields, 1)), nonce: text(last(fields, 5)), resources, resourceVersions: new Map(), removed: [] };
}

/** A DeltaDiscoveryResponse: 1 system_version_info, 2 Resource{3 name, 1 version, 2 Any}, 4 type_url, 5 nonce, 6 removed. */
function parseDelta(buf: Uint8Array): Parsed {
  const fields = lengthFields(buf);
  const resources = new Map<string, string>();
  const resourceVersions = new Map<string, string>();
  for (const f of fields.filter((x) => x.field === 2)) {
    const inner = lengthFields(f.bytes);
    const value = last(lengthFields(last(inner, 2) ?? new Uint8Array()), 2) ?? new Uint8Array();
    resources.set(text(last(inner, 3)), Buffer.from(value).toString('base64'));
    resourceVersions.set(text(last(inner, 3)), text(last(inner, 1)));
  }
  const removed = fields.filter((x) => x.field === 6).map((x) => text(x.bytes));
  return { typeUrl: text(last(fields, 4)), version: text(last(fields, 1)), nonce: text(last(fields, 5)), resources, resourceVersions, removed };
}

/** The names a first request asks for: CDS and LDS wildcard by an empty list, every other type by '*'. */
const namesOf = (typeUrl: string): string[] => (COMPLETE_IN_SOTW.has(typeUrl) ? [] : ['*']);

/** An ADS stream of one sidecar that follows a list of control planes, ACKs everything and keeps what it holds. */
export class FailoverClient {
  /** What the current stream holds. */
  held: Held = new Map();
  /** Per type, the version of the last response (SotW version_info, delta system_version_info). */
  versions = new Map<string, string>();
  /** Every address a stream was opened to, in order (the first is the preferred one). */
  readonly connections: string[] = [];
  /** `type name` of every resource received (or removed: `type -name`) since the stream opened or `mark()`. */
  received: string[] = [];
  /** Delta: per type, resource name → the version the server gave it (what a resuming stream reports). */
  #resourceVersions = new Map<string, Map<string, string>>();
  #client: grpc.Client | undefined;
  #call: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
  #closed = false;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;

  /**
   * `kind` of stream, for `node`, subscribing to `types`, trying `addresses` in order (read again on every retry);
   * `resume` (delta only) keeps the holdings across streams and reports their versions to the next server.
   */
  constructor(
    readonly kind: 'sotw' | 'delta',
    readonly node: ClientNode,
    readonly addresses: readonly string[],
    readonly types: readonly string[] = [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration],
    readonly resume = false,
  ) {
    this.#open(0);
  }

  /** The address of the current (or last) stream. */
  get address(): string {
    return this.connections.at(-1) ?? '';
  }

  /** Opens a stream to `addresses[at]`, on a new channel, with empty holdings; a failed stream moves on to the next. */
  #open(at: number): void {
    if (this.#closed) return;
    const address = this.addresses[at % this.addresses.length] as string;
    this.connections.push(address);
    this.received = [];
    if (!(this.resume && this.kind === 'delta')) {
      this.held = new Map();
      this.versions = new Map();
      this.#resourceVersions = new Map();
    }
    this.#client?.close();
    // One connection attempt per address: the failover loop, not the channel, decides where to go next.
    const client = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
    this.#client = client;
    const method = this.kind === 'sotw' ? 'StreamAggregatedResources' : 'DeltaAggregatedResources';
    const call = client.makeBidiStreamRequest(`/envoy.service.discovery.v3.AggregatedDiscoveryService/${method}`, identity, identity);
    this.#call = call;
    call.on('data', (bytes: Buffer) => {
      this.#failures = 0;
      this.#take(this.kind === 'sotw' ? parseSotw(bytes) : parseDelta(bytes));
    });
    call.on('error', () => undefined);
    call.on('status', () => {
      if (this.#closed || this.#call !== call) return;
      const wait = Math.min(1000, 50 * 2 ** this.#failures++);
      this.#timer = setTimeout(() => this.#open(at + 1), wait);
    });
    this.types.forEach((typeUrl, i) => this.#send(typeUrl, i === 0));
  }

  #send(typeUrl: string, withNode: boolean): void {
    const fields = Object.fromEntries(Object.entries(this.node.metadata).map(([k, v]) => [k, { stringValue: String(v) }]));
    const node = withNode ? { node: { id: this.node.id, cluster: 'replicas', metadata: { fields } } } : {};
    const initial = Object.fromEntries(this.#resourceVersions.get(typeUrl) ?? []);
    const message = this.kind === 'sotw'
      ? { type_url: typeUrl, resource_names: namesOf(typeUrl), ...node }
      : { type_url: typeUrl, resource_names_subscribe: namesOf(typeUrl), initial_resource_versions: initial, ...node };
    this.#call?.write(Buffer.from(encodeMessage(this.kind === 'sotw' ? SOTW : DELTA, message)));
  }

  #take(r: Parsed): void {
    const complete = this.kind === 'sotw' && COMPLETE_IN_SOTW.has(r.typeUrl);
    const type = complete ? new Map<string, string>() : new Map(this.held.get(r.typeUrl) ?? []);
    const versions = new Map(this.#resourceVersions.get(r.typeUrl) ?? []);
    const short = r.typeUrl.split('.').at(-1) ?? '';
    for (const [name, bytes] of r.resources) type.set(name, bytes);
    for (const [name, version] of r.resourceVersions) versions.set(name, version);
    for (const name of r.removed) {
      type.delete(name);
      versions.delete(name);
    }
    this.held.set(r.typeUrl, type);
    this.#resourceVersions.set(r.typeUrl, versions);
    this.received.push(...[...r.resources.keys()].map((n) => `${short} ${n}`), ...r.removed.map((n) => `${short} -${n}`));
    this.versions.set(r.typeUrl, r.version);
    const ack = this.kind === 'sotw'
      ? { type_url: r.typeUrl, version_info: r.version, response_nonce: r.nonce, resource_names: namesOf(r.typeUrl) }
      : { type_url: r.typeUrl, response_nonce: r.nonce };
    this.#call?.write(Buffer.from(encodeMessage(this.kind === 'sotw' ? SOTW : DELTA, ack)));
  }

  /** Whether the current stream holds something of every type it subscribed to. */
  get complete(): boolean {
    return this.types.every((t) => (this.held.get(t)?.size ?? 0) > 0);
  }

  /** Starts `received` afresh, to see what the next change brings. */
  mark(): void {
    this.received = [];
  }

  /** Ends the stream and the channel; no reconnect follows. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#call?.cancel();
    this.#client?.close();
  }
}

/** Every type a sidecar's ADS stream and its agent's name-table stream subscribe to together. */
export const WITH_NAME_TABLE: readonly string[] = [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration, NAME_TABLE_TYPE_URL];

/** How two holdings differ, one readable line per type or resource; empty when byte-identical. */
export function heldDifferences(a: Held, b: Held): string[] {
  const out: string[] = [];
  for (const url of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(url) ?? new Map<string, string>();
    const y = b.get(url) ?? new Map<string, string>();
    const short = url.split('.').at(-1);
    for (const name of new Set([...x.keys(), ...y.keys()])) {
      if (!x.has(name)) out.push(`${short} ${name}: only on the second`);
      else if (!y.has(name)) out.push(`${short} ${name}: only on the first`);
      else if (x.get(name) !== y.get(name)) out.push(`${short} ${name}: bytes differ`);
    }
  }
  return out;
}
