// The name table (Istio's NDS) as one more snapshot type for Envoy sidecars: built from the same model index as their
// other resources and sent only to streams that subscribe to its type URL (the sidecar's agent; Envoy never asks).
import type { ModelIndex, Proxy } from '../model/index.ts';
import { NAME_TABLE_TYPE_URL, encodeNameTable, nameTable } from '../translate/name-table.ts';
import { resourceFromBytes } from '../xds/index.ts';
import type { Snapshot, SnapshotType } from '../xds/index.ts';
import type { SharedResources } from './shared-resources.ts';

/** The name of the one NameTable resource of a snapshot (agents subscribe to it or to `*`). */
export const NAME_TABLE_RESOURCE = 'name-table';

/** The proxy's name table as an interned snapshot type (built ahead by a prepared build, see prepare-build.ts). */
export function nameTableType(shared: SharedResources, index: ModelIndex, proxy: Proxy): SnapshotType {
  const resource = resourceFromBytes(NAME_TABLE_TYPE_URL, NAME_TABLE_RESOURCE, encodeNameTable(nameTable(index, proxy)));
  return shared.snapshotType(NAME_TABLE_TYPE_URL, [resource]);
}

/** `snapshot` plus a name table type. */
export function withNameTableType(snapshot: Snapshot, type: SnapshotType): Snapshot {
  const types = new Map(snapshot.types);
  types.set(NAME_TABLE_TYPE_URL, type);
  return { types };
}
