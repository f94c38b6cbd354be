// Envoy's v3 API, loaded once from the .proto files that @grpc/grpc-js-xds ships under deps/.
// Field names keep their proto spelling (snake_case), as Envoy's admin API prints them.
import { accessSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

/** Type URLs of the resource types biplane serves, so no caller spells them by hand. */
export const TypeUrl = {
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  RouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  ClusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;

/** One of the type URLs above; other type URLs are accepted by the cache as plain strings. */
export type KnownTypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

/** The files loaded into the root: every message biplane builds or reads is reachable from them. */
const ENTRY_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/admin/v3/config_dump.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/filters/listener/original_src/v3/original_src.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'google/protobuf/field_mask.proto', // not imported by the files above; Any payloads and proto3 JSON may use it
];

/** Folders searched for imports: the four trees grpc-js-xds ships, then protobufjs' own google/protobuf files. */
export function protoIncludeDirs(): string[] {
  const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const dirs = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(deps, d));
  dirs.push(path.dirname(require.resolve('protobufjs/package.json')));
  return dirs;
}

/** Entry .proto files, relative to the include dirs (for @grpc/proto-loader, which takes the same list). */
export function protoEntryFiles(): readonly string[] {
  return ENTRY_FILES;
}

function exists(p: string): boolean {
  try {
    accessSync(p);
    return true;
  } catch {
    return false;
  }
}

let cached: protobuf.Root | undefined;

/** The shared protobufjs root with Envoy's API resolved; loaded on first use (about 150 ms). */
export function envoyRoot(): protobuf.Root {
  if (cached) return cached;
  const dirs = protoIncludeDirs();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of dirs) {
      const candidate = path.join(dir, target);
      if (exists(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync(ENTRY_FILES, { keepCase: true });
  root.resolveAll();
  cached = root;
  return root;
}

/** The message type for a fully-qualified name or a type URL. */
export function messageType(nameOrUrl: string): protobuf.Type {
  const name = nameOrUrl.startsWith('type.googleapis.com/') ? nameOrUrl.slice('type.googleapis.com/'.length) : nameOrUrl;
  return envoyRoot().lookupType(name);
}

/** Encodes a plain object (snake_case fields, `@type` on every Any) as the message at the type URL. */
export function encodeMessage(typeUrl: string, value: object): Uint8Array {
  const type = messageType(typeUrl);
  return type.encode(type.fromObject(value)).finish();
}

/** Decodes bytes into a plain object in the same shape `encodeMessage` takes: enums as names, Any with `@type`. */
export function decodeMessage(typeUrl: string, bytes: Uint8Array): Record<string, unknown> {
  const type = messageType(typeUrl);
  return type.toObject(type.decode(bytes), { enums: String, longs: Number, json: true, defaults: false }) as Record<
    string,
    unknown
  >;
}

const enums = new Map<string, protobuf.Enum>();

/** The name of an enum value a plain object carries as a name or a number; `fallback` when the field is unset. */
export function enumName(enumFullName: string, value: unknown, fallback: string): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'number') return fallback;
  let e = enums.get(enumFullName);
  if (!e) {
    e = envoyRoot().lookupEnum(enumFullName);
    enums.set(enumFullName, e);
  }
  return e.valuesById[value] ?? String(value);
}
