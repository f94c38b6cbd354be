// Istio's name table message (NDS, `istio.networking.nds.v1.NameTable`), defined in code from Istio's documented field
// numbers so biplane ships no .proto file: `table` (1) maps a host name to its `NameInfo`, whose fields are `ips` (1),
// `registry` (2), `shortname` (3) and `namespace` (4).
import protobuf from 'protobufjs';

/** The NDS type URL sidecar agents subscribe to over ADS. */
export const NAME_TABLE_TYPE_URL = 'type.googleapis.com/istio.networking.nds.v1.NameTable';

/** What the table knows of one host: its addresses (primary family first) and, for Kubernetes, name and namespace. */
export interface NameInfo {
  readonly ips: readonly string[];
  /** `Kubernetes` for Services, `External` for ServiceEntry hosts. */
  readonly registry: string;
  /** The Service's own name (Kubernetes only): the first label of the host. */
  readonly shortname?: string;
  /** The Service's namespace (Kubernetes only). */
  readonly namespace?: string;
}

/** One proxy's name table: fully qualified host (no trailing dot, lowercase) → what it resolves to. */
export interface NameTable {
  readonly table: Readonly<Record<string, NameInfo>>;
}

let cached: protobuf.Type | undefined;

/** The protobufjs type of NameTable, built once. */
export function nameTableType(): protobuf.Type {
  if (cached) return cached;
  const info = new protobuf.Type('NameInfo')
    .add(new protobuf.Field('ips', 1, 'string', 'repeated'))
    .add(new protobuf.Field('registry', 2, 'string'))
    .add(new protobuf.Field('shortname', 3, 'string'))
    .add(new protobuf.Field('namespace', 4, 'string'));
  const table = new protobuf.Type('NameTable').add(info).add(new protobuf.MapField('table', 1, 'string', 'NameInfo'));
  new protobuf.Root().define('istio.networking.nds.v1').add(table);
  table.root.resolveAll();
  cached = table;
  return table;
}

/** The wire bytes of a name table. */
export function encodeNameTable(table: NameTable): Uint8Array {
  const type = nameTableType();
  return type.encode(type.fromObject(table)).finish();
}

/** Reads a name table from its wire bytes (throws on bytes that are not one). */
export function decodeNameTable(bytes: Uint8Array): NameTable {
  const type = nameTableType();
  const object = type.toObject(type.decode(bytes), { defaults: false, arrays: true, objects: true }) as {
    table?: Record<string, { ips?: string[]; registry?: string; shortname?: string; namespace?: string }>;
  };
  const table: Record<string, NameInfo> = {};
  for (const [host, info] of Object.entries(object.table ?? {})) {
    table[host] = {
      ips: info.ips ?? [],
      registry: info.registry ?? '',
      ...(info.shortname ? { shortname: info.shortname } : {}),
      ...(info.namespace ? { namespace: info.namespace } : {}),
    };
  }
  return { table };
}
