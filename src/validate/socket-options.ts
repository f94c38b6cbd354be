// Socket options by address family: an IPv6-level option (SOL_IPV6 = 41, e.g. IPV6_TRANSPARENT) on an IPv4 socket
// fails with ENOPROTOOPT, and Envoy then refuses the whole listener ("Setting socket options failed"; Envoy 1.40 in a
// real namespace). Each address gets the listener's socket_options unless its AdditionalAddress overrides them (an
// override replaces them, even when empty).
import { asArr, asNum, asObj, fieldPath, indexPath, type Obj } from '../envoy-api/plain.ts';
import { listenerAddressesOf } from './listener-addresses.ts';
import type { Report } from './problem.ts';

const SOL_IPV6 = 41;

/** Reports an IPv6-level socket option that would be set on an IPv4 address's socket. */
export function checkSocketOptionFamilies(listener: Obj, report: Report): void {
  const listenerOptions = asArr(listener['socket_options']);
  const extras = asArr(listener['additional_addresses']);
  for (const a of listenerAddressesOf(listener)) {
    if (a.info.family !== 'IPv4') continue;
    const index = a.path === 'address' ? -1 : Number(/\[(\d+)\]/.exec(a.path)?.[1]);
    const override = index >= 0 ? asObj(asObj(extras[index])?.['socket_options']) : undefined;
    const options = override ? asArr(override['socket_options']) : listenerOptions;
    const base = override ? fieldPath(fieldPath(indexPath('additional_addresses', index), 'socket_options'), 'socket_options') : 'socket_options';
    options.forEach((o, i) => {
      if (asNum(asObj(o)?.['level']) !== SOL_IPV6) return;
      report(indexPath(base, i), 'listener.socket_option_family', `is an IPv6-level option (level 41) but ${a.path} (${a.info.hostPort}) is IPv4: the kernel rejects it and Envoy refuses the listener`);
    });
  }
}
