// Wire encoding for the ADS service: requests decoded by hand-picked fields, responses built around pre-encoded bytes.
import type protobuf from 'protobufjs';
import { messageType } from '../envoy-api/protos.ts';
import type { Resource } from './resource.ts';

/** The node a proxy or gRPC client says it is, with metadata turned from a protobuf Struct into plain JSON. */
export interface XdsNode {
  readonly id: string;
  readonly cluster: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly locality: { readonly region: string; readonly zone: string; readonly sub_zone: string };
  readonly user_agent_name: string;
  readonly user_agent_version: string;
  readonly client_features: readonly string[];
}

/** A NACK's reason, from `error_detail` (google.rpc.Status). */
export interface ErrorDetail {
  readonly code: number;
  readonly message: string;
}

/** A decoded state-of-the-world DiscoveryRequest. */
export interface SotwRequest {
  readonly node: XdsNode | undefined;
  readonly typeUrl: string;
  readonly versionInfo: string;
  readonly resourceNames: readonly string[];
  readonly responseNonce: string;
  readonly errorDetail: ErrorDetail | undefined;
}

/** A decoded incremental DeltaDiscoveryRequest. */
export interface DeltaRequest {
  readonly node: XdsNode | undefined;
  readonly typeUrl: string;
  readonly subscribe: readonly string[];
  readonly unsubscribe: readonly string[];
  readonly initialVersions: ReadonlyMap<string, string>;
  readonly responseNonce: string;
  readonly errorDetail: ErrorDetail | undefined;
}

const DISCOVERY = 'envoy.service.discovery.v3.';
let types: { req: protobuf.Type; res: protobuf.Type; dreq: protobuf.Type; dres: protobuf.Type } | undefined;

function wire(): NonNullable<typeof types> {
  types ??= {
    req: messageType(`${DISCOVERY}DiscoveryRequest`),
    res: messageType(`${DISCOVERY}DiscoveryResponse`),
    dreq: messageType(`${DISCOVERY}DeltaDiscoveryRequest`),
    dres: messageType(`${DISCOVERY}DeltaDiscoveryResponse`),
  };
  return types;
}

type Msg = Record<string, unknown>;

/** Decodes a DiscoveryRequest; throws on bytes that are not one. */
export function decodeSotwRequest(bytes: Uint8Array): SotwRequest {
  const m = wire().req.decode(bytes) as unknown as Msg;
  return {
    node: m['node'] ? toNode(m['node'] as Msg) : undefined,
    typeUrl: str(m['type_url']),
    versionInfo: str(m['version_info']),
    resourceNames: (m['resource_names'] as string[] | undefined) ?? [],
    responseNonce: str(m['response_nonce']),
    errorDetail: toError(m['error_detail'] as Msg | undefined),
  };
}

/** Decodes a DeltaDiscoveryRequest; throws on bytes that are not one. */
export function decodeDeltaRequest(bytes: Uint8Array): DeltaRequest {
  const m = wire().dreq.decode(bytes) as unknown as Msg;
  const initial = (m['initial_resource_versions'] as Record<string, string> | undefined) ?? {};
  return {
    node: m['node'] ? toNode(m['node'] as Msg) : undefined,
    typeUrl: str(m['type_url']),
    subscribe: (m['resource_names_subscribe'] as string[] | undefined) ?? [],
    unsubscribe: (m['resource_names_unsubscribe'] as string[] | undefined) ?? [],
    initialVersions: new Map(Object.entries(initial)),
    responseNonce: str(m['response_nonce']),
    errorDetail: toError(m['error_detail'] as Msg | undefined),
  };
}

/** Encodes a DiscoveryResponse; each resource's bytes go into `Any.value` as they are. */
export function encodeSotwResponse(r: { versionInfo: string; typeUrl: string; nonce: string; resources: readonly Resource[] }): Buffer {
  const message = {
    version_info: r.versionInfo,
    type_url: r.typeUrl,
    nonce: r.nonce,
    resources: r.resources.map((x) => ({ type_url: x.typeUrl, value: x.bytes })),
  };
  const bytes = asBuffer(wire().res.encode(message).finish());
  return r.nonce === '' ? withRoom(bytes) : bytes;
}

/** Encodes a DeltaDiscoveryResponse with per-resource versions and the names that are gone. */
export function encodeDeltaResponse(r: {
  systemVersionInfo: string;
  typeUrl: string;
  nonce: string;
  resources: readonly Resource[];
  removed: readonly string[];
}): Buffer {
  const message = {
    system_version_info: r.systemVersionInfo,
    type_url: r.typeUrl,
    nonce: r.nonce,
    removed_resources: r.removed,
    resources: r.resources.map((x) => ({ name: x.name, version: x.version, resource: { type_url: x.typeUrl, value: x.bytes } })),
  };
  const bytes = asBuffer(wire().dres.encode(message).finish());
  return r.nonce === '' ? withRoom(bytes) : bytes;
}

/** Field 5 (`nonce`) of both DiscoveryResponse and DeltaDiscoveryResponse, length-delimited: tag (5 << 3) | 2. */
const NONCE_TAG = 0x2a;
/** Bytes kept free after a shared body for one stream's nonce field (tag, one length byte, the nonce). */
const NONCE_ROOM = 64;
/** Bodies encoded with `NONCE_ROOM` spare bytes after them, to the allocation those bytes belong to. */
const roomy = new WeakMap<Buffer, Buffer>();

/** `body` copied once into an allocation with room for a nonce field after it (see `framedNonce`). */
function withRoom(body: Buffer): Buffer {
  const full = Buffer.allocUnsafe(body.length + NONCE_ROOM);
  body.copy(full, 0);
  const view = full.subarray(0, body.length);
  roomy.set(view, full);
  return view;
}

/** The nonce field's bytes: tag, varint length, UTF-8 text. */
function nonceField(nonce: string): Buffer {
  const text = Buffer.from(nonce, 'utf8');
  const length: number[] = [];
  for (let n = text.length; ; n >>>= 7) {
    if (n < 0x80) {
      length.push(n);
      break;
    }
    length.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([NONCE_TAG, ...length]), text]);
}

/**
 * A response encoded without a nonce, plus this stream's nonce as one more field at the end. Protobuf readers accept
 * fields in any order, so the shared body stays shared and only the few nonce bytes are per stream. Returns a copy.
 */
export function withNonce(body: Buffer, nonce: string): Buffer {
  return Buffer.concat([body, nonceField(nonce)]);
}

/**
 * Like `withNonce`, but for a body the encoders made with room after it: the nonce is written into that room and a
 * view of body + nonce is returned, valid only until the next call for the same body. grpc-js copies a serialized
 * message into its frame at once, so the response serializer uses this and each stream costs that one copy.
 */
export function framedNonce(body: Buffer, nonce: string): Buffer {
  const full = roomy.get(body);
  const field = nonceField(nonce);
  if (!full || field.length > NONCE_ROOM) return withNonce(body, nonce);
  field.copy(full, body.length);
  return full.subarray(0, body.length + field.length);
}

function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function toError(m: Msg | undefined): ErrorDetail | undefined {
  if (!m) return undefined;
  return { code: typeof m['code'] === 'number' ? m['code'] : 0, message: str(m['message']) };
}

function toNode(m: Msg): XdsNode {
  const loc = (m['locality'] as Msg | undefined) ?? {};
  return {
    id: str(m['id']),
    cluster: str(m['cluster']),
    metadata: m['metadata'] ? structToJson(m['metadata'] as Msg) : {},
    locality: { region: str(loc['region']), zone: str(loc['zone']), sub_zone: str(loc['sub_zone']) },
    user_agent_name: str(m['user_agent_name']),
    user_agent_version: str(m['user_agent_version']),
    client_features: (m['client_features'] as string[] | undefined) ?? [],
  };
}

/** A decoded google.protobuf.Struct as plain JSON (protobufjs keeps this well-known type's fields in camelCase). */
export function structToJson(struct: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = (struct['fields'] as Record<string, Msg> | undefined) ?? {};
  for (const key of Object.keys(fields).sort()) out[key] = valueToJson(fields[key]);
  return out;
}

function valueToJson(v: Msg | undefined): unknown {
  if (!v) return null;
  if (typeof v['stringValue'] === 'string') return v['stringValue'];
  if (typeof v['numberValue'] === 'number') return v['numberValue'];
  if (typeof v['boolValue'] === 'boolean') return v['boolValue'];
  if (v['structValue']) return structToJson(v['structValue'] as Msg);
  if (v['listValue']) return ((v['listValue'] as Msg)['values'] as Msg[] | undefined ?? []).map(valueToJson);
  return null;
}
