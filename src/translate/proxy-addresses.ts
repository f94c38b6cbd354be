// The per-mode addresses of a proxy (spec §2): wildcard, localhost and inbound passthrough source, one per family the
// proxy uses, its primary family first. Every generator asks here, so "primary first" is decided in one place.
import { familiesFor, modeAllows } from '../model/index.ts';
import type { Address, IPFamily, Proxy } from '../model/index.ts';
import type { AdditionalAddress, BindConfig, EnvoyAddress, SocketAddress } from './envoy-types.ts';

/** The families a proxy can use, primary first. */
export function proxyFamilies(proxy: Pick<Proxy, 'mode' | 'primaryFamily'>): IPFamily[] {
  return familiesFor(proxy.mode, proxy.primaryFamily);
}

/** The any-address of a family: `0.0.0.0` or `::`. */
export function wildcardOf(family: IPFamily): string {
  return family === 'IPv4' ? '0.0.0.0' : '::';
}

/** The loopback address of a family: `127.0.0.1` or `::1`. */
export function localhostOf(family: IPFamily): string {
  return family === 'IPv4' ? '127.0.0.1' : '::1';
}

/** The source address of inbound passthrough connections (`127.0.0.6` / `::6`), which capture rules skip. */
export function passthroughSourceOf(family: IPFamily): string {
  return family === 'IPv4' ? '127.0.0.6' : '::6';
}

/** An Envoy SocketAddress (IPv6 unbracketed, as Envoy wants it). */
export function socketAddress(ip: string, port: number): SocketAddress {
  return { address: ip, port_value: port };
}

/** An Envoy Address for an IP literal and port. */
export function envoyAddress(ip: string, port: number): EnvoyAddress {
  return { socket_address: socketAddress(ip, port) };
}

/** Primary address plus `additional_addresses` for a list of IPs on one port (first = primary; empty list → none). */
export function listenerAddresses(
  ips: readonly string[],
  port: number,
): { address: EnvoyAddress; additional_addresses?: AdditionalAddress[] } | undefined {
  const [first, ...rest] = ips;
  if (first === undefined) return undefined;
  const address = envoyAddress(first, port);
  if (rest.length === 0) return { address };
  return { address, additional_addresses: rest.map((ip) => ({ address: envoyAddress(ip, port) })) };
}

/** Wildcard listener addresses of a proxy on a port: primary wildcard, the other family's as additional on dual. */
export function wildcardAddresses(
  proxy: Pick<Proxy, 'mode' | 'primaryFamily'>,
  port: number,
): { address: EnvoyAddress; additional_addresses?: AdditionalAddress[] } {
  const result = listenerAddresses(proxyFamilies(proxy).map(wildcardOf), port);
  // familiesFor never returns an empty list, so there is always a primary.
  return result ?? { address: envoyAddress(wildcardOf(proxy.primaryFamily), port) };
}

/** Name of a listener by its primary address: `<ip>_<port>`, IPv6 without brackets (`fd00::a_80`, `::_80`). */
export function listenerName(ip: string, port: number): string {
  return `${ip}_${port}`;
}

/**
 * The upstream bind of passthrough clusters: the primary family's passthrough source as `source_address` and, on dual
 * proxies, the other family's as the one `extra_source_addresses` entry (Envoy picks the one matching the upstream).
 */
export function passthroughBind(proxy: Pick<Proxy, 'mode' | 'primaryFamily'>): BindConfig {
  const [primary = proxy.primaryFamily, ...others] = proxyFamilies(proxy);
  const source_address = socketAddress(passthroughSourceOf(primary), 0);
  if (others.length === 0) return { source_address };
  return { source_address, extra_source_addresses: others.map((f) => ({ address: socketAddress(passthroughSourceOf(f), 0) })) };
}

/** The addresses of `addresses` the proxy can reach, order kept (beyond Istio: single-family proxies drop the rest). */
export function usableAddresses(
  proxy: Pick<Proxy, 'mode'>,
  addresses: readonly Address[],
  only?: IPFamily,
): Address[] {
  return addresses.filter((a) => (only ? a.family === only : modeAllows(proxy.mode, a.family)));
}
