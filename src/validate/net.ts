// Socket addresses and CIDR ranges as Envoy spells them (`{ socket_address: { address, port_value, protocol } }`),
// reduced to comparable keys. IP literals are canonicalised through the model's `parseAddress`.
import { parseAddress } from '../model/index.ts';
import type { IPFamily } from '../model/index.ts';
import { asNum, asObj, asStr, dig } from '../envoy-api/plain.ts';

/** A socket address reduced to what makes two of them collide. */
export interface SocketInfo {
  /** `TCP 10.0.0.1:80`, `UDP [fd00::1]:53`: protocol, canonical host, port. */
  readonly key: string;
  /** `10.0.0.1:80` / `[fd00::1]:80`: canonical host and port, for messages and protocol-blind comparisons. */
  readonly hostPort: string;
  readonly protocol: string;
  /** The address text as given. */
  readonly host: string;
  /** The family when the host is an IP literal. */
  readonly family: IPFamily | undefined;
  /** `port_value`, or undefined for a named port. */
  readonly port: number | undefined;
}

/** The `socket_address` of an `envoy.config.core.v3.Address`, reduced; undefined for pipes and internal addresses. */
export function socketInfo(address: unknown): SocketInfo | undefined {
  const sa = asObj(dig(address, 'socket_address'));
  if (!sa) return undefined;
  const host = asStr(sa['address']) ?? '';
  const parsed = parseAddress(host);
  const canonical = parsed ? (parsed.family === 'IPv6' ? `[${parsed.ip}]` : parsed.ip) : host.toLowerCase();
  const port = asNum(sa['port_value'] ?? (sa['named_port'] === undefined ? 0 : undefined));
  const protocol = asStr(sa['protocol']) ?? (sa['protocol'] === 1 ? 'UDP' : 'TCP');
  const portText = port === undefined ? asStr(sa['named_port']) ?? '' : String(port);
  const hostPort = `${canonical}:${portText}`;
  return { key: `${protocol} ${hostPort}`, hostPort, protocol, host, family: parsed?.family, port };
}

/** The family of a CIDR range's `address_prefix`, or undefined when it is not an IP literal. */
export function cidrFamily(range: unknown): IPFamily | undefined {
  const prefix = asStr(asObj(range)?.['address_prefix']);
  return prefix === undefined ? undefined : parseAddress(prefix)?.family;
}

/** Whether the socket address's host is an IP literal (no DNS name, no brackets). */
export function isIpLiteral(info: SocketInfo): boolean {
  return info.family !== undefined && !info.host.startsWith('[');
}
