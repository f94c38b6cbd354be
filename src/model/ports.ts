// The application protocol of a port, chosen as Istio chooses it: an explicit `appProtocol` (or ServiceEntry
// `protocol`), else the port name's prefix (`http-web` → HTTP), else TCP (UDP for UDP ports).
import type { PortProtocol } from './types.ts';

/** Protocol names as `appProtocol`, ServiceEntry `protocol` or a port-name prefix spell them (lowercased). */
const BY_NAME: Readonly<Record<string, PortProtocol>> = {
  http: 'HTTP',
  http2: 'HTTP2',
  'kubernetes.io/h2c': 'HTTP2',
  grpc: 'GRPC',
  'grpc-web': 'HTTP',
  tcp: 'TCP',
  tls: 'TLS',
  https: 'TLS',
  'kubernetes.io/ws': 'HTTP',
  'kubernetes.io/wss': 'TLS',
  udp: 'UDP',
};

/** The protocol a name stands for, if any (`HTTP2`, `grpc`, `kubernetes.io/h2c`, ...). */
export function protocolNamed(name: string): PortProtocol | undefined {
  return BY_NAME[name.toLowerCase()];
}

/** The protocol of a port from its L4 protocol (UDP wins), its explicit protocol name, then its port name. */
export function portProtocol(explicit: string | undefined, portName: string, l4: string | undefined): PortProtocol {
  if (l4 === 'UDP') return 'UDP';
  const byExplicit = explicit === undefined ? undefined : protocolNamed(explicit);
  // An explicit `udp` only counts where there is no L4 protocol (ServiceEntry ports).
  if (byExplicit && (byExplicit !== 'UDP' || l4 === undefined)) return byExplicit;
  const dash = portName.indexOf('-');
  const byPrefix = protocolNamed(dash < 0 ? portName : portName.slice(0, dash));
  // A name prefix `udp` cannot make a TCP port UDP.
  if (byPrefix && byPrefix !== 'UDP') return byPrefix;
  return 'TCP';
}
