// TPROXY interception on the translation side (spec §12). The capture listeners receive connections whose
// destination is not a local address, so their sockets must be transparent: the listener's `transparent` flag and,
// set before bind, IP_TRANSPARENT on an IPv4 socket or IPV6_TRANSPARENT on an IPv6 one, on the main address and on
// each additional address (whose own socket options replace the listener's). Inbound, the original_src listener
// filter gives the upstream connection the client's own source address and marks it 1337, so the capture rules can
// route the replies back to the proxy; the passthrough source (127.0.0.6 / ::6) is then not bound.
import { parseAddress } from '../model/index.ts';
import type { IPFamily } from '../model/index.ts';
import type { AdditionalAddress, EnvoyAddress, NamedFilter, SocketOption, Wrapped } from './envoy-types.ts';

/** The packet mark of upstream connections that keep the client's source (Istio's; the capture rules route it). */
export const TPROXY_MARK = 1337;

/** `setsockopt(SOL_IP, IP_TRANSPARENT, 1)` before bind: an IPv4 socket may accept non-local destinations. */
export const IP_TRANSPARENT: SocketOption = { description: 'IP_TRANSPARENT', level: 0, name: 19, int_value: 1, state: 'STATE_PREBIND' };
/** `setsockopt(SOL_IPV6, IPV6_TRANSPARENT, 1)` before bind: the same for an IPv6 socket. */
export const IPV6_TRANSPARENT: SocketOption = { description: 'IPV6_TRANSPARENT', level: 41, name: 75, int_value: 1, state: 'STATE_PREBIND' };

/** The transparent socket option of a family. */
export function transparentOption(family: IPFamily): SocketOption {
  return family === 'IPv4' ? IP_TRANSPARENT : IPV6_TRANSPARENT;
}

/** The original_src listener filter: upstream connections take the downstream's source address, marked. */
export const ORIGINAL_SRC_FILTER: NamedFilter = {
  name: 'envoy.filters.listener.original_src',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.original_src.v3.OriginalSrc', mark: TPROXY_MARK },
};

/** What a transparent capture listener sets besides its filters. */
export interface TransparentAddresses {
  readonly address: EnvoyAddress;
  readonly additional_addresses?: readonly AdditionalAddress[];
  readonly transparent: Wrapped<boolean>;
  readonly socket_options: readonly SocketOption[];
}

function familyOf(address: EnvoyAddress): IPFamily {
  return parseAddress(address.socket_address.address)?.family ?? 'IPv4';
}

/** Listener addresses made transparent: the flag, and each address the option of its own family. */
export function transparentAddresses(addresses: { address: EnvoyAddress; additional_addresses?: readonly AdditionalAddress[] }): TransparentAddresses {
  const extra = addresses.additional_addresses?.map((a) => ({ ...a, socket_options: { socket_options: [transparentOption(familyOf(a.address))] } }));
  return {
    address: addresses.address,
    ...(extra ? { additional_addresses: extra } : {}),
    transparent: { value: true },
    socket_options: [transparentOption(familyOf(addresses.address))],
  };
}
