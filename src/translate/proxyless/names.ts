// Resource names a proxyless gRPC application asks for: `host:port` for a client target (the LDS name is the target as
// dialed, gRFC A27) and `grpc/server?xds.resource.listening_address=<host>:<port>` for a server's bound address (A36).
import { isIP } from 'node:net';

/** Prefix of a server listener name; the bootstrap's `server_listener_resource_name_template` is this plus `%s`. */
export const SERVER_LISTENER_PREFIX = 'grpc/server?xds.resource.listening_address=';

/** The `server_listener_resource_name_template` a proxyless bootstrap must carry for biplane to answer its servers. */
export const SERVER_LISTENER_TEMPLATE = `${SERVER_LISTENER_PREFIX}%s`;

/** A `host:port` split as gRPC splits it: brackets removed around IPv6, the host otherwise exactly as written. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses a port in decimal, 1–65535, no sign or leading zeros; undefined otherwise. */
function parsePort(text: string): number | undefined {
  if (!/^[1-9]\d{0,4}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/**
 * Splits `host:port` or `[ipv6]:port` (the only spellings gRPC accepts for an authority with a port); an unbracketed
 * IPv6 literal or a missing/invalid port gives undefined.
 */
export function splitHostPort(text: string): HostPort | undefined {
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    const host = text.slice(1, end);
    if (end < 0 || isIP(host) !== 6 || text[end + 1] !== ':') return undefined;
    const port = parsePort(text.slice(end + 2));
    return port === undefined ? undefined : { host, port };
  }
  const parts = text.split(':');
  if (parts.length !== 2 || parts[0] === '') return undefined;
  const port = parsePort(parts[1] ?? '');
  return port === undefined ? undefined : { host: parts[0] ?? '', port };
}

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
