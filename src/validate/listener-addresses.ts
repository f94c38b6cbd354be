// The socket addresses a listener binds, each reduced to what makes two of them collide, with its path inside the
// listener. Shared by the listener rules that compare addresses or read socket options per address.
import { asArr, asObj, fieldPath, indexPath, type Obj } from '../envoy-api/plain.ts';
import { socketInfo, type SocketInfo } from './net.ts';

/** One socket address a listener binds, with its path (`address` or `additional_addresses[i].address`). */
export interface ListenerAddress {
  readonly path: string;
  readonly info: SocketInfo;
}

/** The listener's socket addresses: its address first, then its additional addresses. */
export function listenerAddressesOf(listener: Obj): ListenerAddress[] {
  const out: ListenerAddress[] = [];
  const primary = socketInfo(listener['address']);
  if (primary) out.push({ path: 'address', info: primary });
  asArr(listener['additional_addresses']).forEach((extra, i) => {
    const info = socketInfo(asObj(extra)?.['address']);
    if (info) out.push({ path: fieldPath(indexPath('additional_addresses', i), 'address'), info });
  });
  return out;
}

