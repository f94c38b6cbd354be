// biplane/xds: an embeddable xDS control-plane core (resources, snapshots, cache, ADS server), free of Kubernetes.
export { TypeUrl, decodeMessage, encodeMessage, envoyRoot, messageType, protoEntryFiles, protoIncludeDirs } from './protos.ts';
export type { KnownTypeUrl } from './protos.ts';
export { contentVersion, makeResource, resourceFromBytes } from './resource.ts';
export type { MakeResourceOptions, Resource } from './resource.ts';
export { consistent, makeSnapshot, snapshotResources, snapshotVersion, typeVersion } from './snapshot.ts';
export type { MakeSnapshotOptions, Snapshot, SnapshotProblem, SnapshotType } from './snapshot.ts';
export { SnapshotCache } from './cache.ts';
export type { SnapshotWatcher } from './cache.ts';
export { XdsEvents } from './hooks.ts';
export type { StreamKind, StreamRef, XdsEventMap, XdsListener } from './hooks.ts';
export type { ErrorDetail, XdsNode } from './codec.ts';
export { structToJson } from './codec.ts';
export { pushOrder } from './stream.ts';
export type { StreamInfo, Subscription, TypeStatus } from './stream.ts';
export { XdsServer, adsServiceDefinition, startXdsServer } from './server.ts';
export type { XdsServerOptions } from './server.ts';
