// @grpc/grpc-js-xds's own resource decoders, as a real application registers them: the code that would NACK what
// biplane sends a proxyless client. Shared by the generator's acceptance tests and the proxyless goldens.
import { createRequire } from 'node:module';
import { TypeUrl, encodeMessage } from '../../src/envoy-api/protos.ts';
import type { ProxylessResources } from '../../src/translate/proxyless/index.ts';

const require = createRequire(import.meta.url);
// As a real application does: registers the xds resolver, LB policies and the HTTP filters (router included).
(require('@grpc/grpc-js-xds') as { register(): void }).register();
const base = '@grpc/grpc-js-xds/build/src/xds-resource-type/';
interface Decoded {
  readonly name: string;
  readonly error?: string;
}
interface ResourceType {
  decode(context: object, resource: { type_url: string; value: Buffer }): Decoded;
}
function resourceType(file: string, cls: string): ResourceType {
  return (require(`${base}${file}`) as Record<string, { get(): ResourceType }>)[cls]!.get();
}
const grpcTypes: readonly [string, ResourceType, keyof ProxylessResources][] = [
  [TypeUrl.Listener, resourceType('listener-resource-type.js', 'ListenerResourceType'), 'listeners'],
  [TypeUrl.RouteConfiguration, resourceType('route-config-resource-type.js', 'RouteConfigurationResourceType'), 'routes'],
  [TypeUrl.Cluster, resourceType('cluster-resource-type.js', 'ClusterResourceType'), 'clusters'],
  [TypeUrl.ClusterLoadAssignment, resourceType('endpoint-resource-type.js', 'EndpointResourceType'), 'endpoints'],
];
const context = { bootstrap: { certificateProviders: {} }, server: {} };

/** Every resource, protobuf-encoded, through grpc-js-xds's decoder; returns the errors it would NACK with. */
export function grpcErrors(resources: ProxylessResources): string[] {
  const errors: string[] = [];
  for (const [typeUrl, type, key] of grpcTypes) {
    for (const resource of resources[key]) {
      const value = Buffer.from(encodeMessage(typeUrl, resource));
      const decoded = type.decode(context, { type_url: typeUrl, value });
      if (decoded.error) errors.push(`${decoded.name}: ${decoded.error}`);
    }
  }
  return errors;
}
