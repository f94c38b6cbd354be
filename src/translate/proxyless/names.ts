// Resource names a proxyless gRPC application asks for: `host:port` for a client target (the LDS name is the target as
// dialed, gRFC A27) and `grpc/server?xds.resource.listening_address=<host>:<port>` for a server's bound address (A36).
/** Prefix of a server listener name; the bootstrap's `server_listener_resource_name_template` is this plus `%s`. */
export const SERVER_LISTENER_PREFIX = 'grpc/server?xds.resource.listening_address=';

/** The `server_listener_resource_name_template` a proxyless bootstrap must carry for biplane to answer its servers. */
export const SERVER_LISTENER_TEMPLATE = `${SERVER_LISTENER_PREFIX}%s`;

/** The LDS name a server bound to `hostPort` (as it passed it to `bindAsync`, e.g. `[::]:50051`) subscribes to. */
export function serverListenerName(hostPort: string): string {
  return `${SERVER_LISTENER_PREFIX}${hostPort}`;
}

/** The bound `host:port` inside a server listener name; undefined for client names. */
export function serverListeningAddress(name: string): string | undefined {
  return name.startsWith(SERVER_LISTENER_PREFIX) ? name.slice(SERVER_LISTENER_PREFIX.length) : undefined;
}

/** The name of a client's RouteConfiguration for one service port: the service's canonical authority `host:port`. */
export function clientRouteName(hostname: string, port: number): string {
  return `${hostname}:${port}`;
}

/** The name of a server listener's inline route configuration and filter chain: `inbound|<port>||`. */
export function serverRouteName(port: number): string {
  return `inbound|${port}||`;
}
