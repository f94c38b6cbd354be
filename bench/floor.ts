// The floor of dual-stack: the bytes of the second family's information, each piece encoded on its own as the
// repeated-field entry that carries it (field key + length + message), which no design can avoid sending.
import { bracketed } from '../src/model/address.ts';
import { servicePortKey } from '../src/model/index.ts';
import type { ModelIndex, Proxy } from '../src/model/index.ts';
import type { EnvoyResources } from '../src/translate/index.ts';
import { TypeUrl, encodeMessage } from '../src/envoy-api/protos.ts';

/** Floor bytes by kind of information. */
export interface Floor {
  /** `additional_addresses` of VIP listeners: the second VIP of each dual-stack TCP service port. */
  readonly listenerAddresses: number;
  /** `additional_addresses` of wildcard listeners: the other family's wildcard wherever the single config binds one. */
  readonly wildcardAddresses: number;
  /** Endpoint `additional_addresses`: each pod's second IP with the target port. */
  readonly endpointAddresses: number;
  /** `extra_source_addresses`: the other family's passthrough source on every cluster that binds one. */
  readonly bindAddresses: number;
  /** Virtual host domains of the second VIP of each dual-stack HTTP service port, with and without `:port`. */
  readonly domains: number;
  readonly total: number;
}

const entry = {
  listener: (ip: string, port: number): number =>
    encodeMessage(TypeUrl.Listener, { additional_addresses: [{ address: { socket_address: { address: ip, port_value: port } } }] }).length,
  endpoint: (ip: string, port: number): number =>
    encodeMessage('envoy.config.endpoint.v3.Endpoint', { additional_addresses: [{ address: { socket_address: { address: ip, port_value: port } } }] }).length,
  bind: (ip: string): number =>
    encodeMessage('envoy.config.core.v3.BindConfig', { extra_source_addresses: [{ address: { address: ip, port_value: 0 } }] }).length,
  domain: (domain: string): number => encodeMessage('envoy.config.route.v3.VirtualHost', { domains: [domain] }).length,
};

const HTTP = new Set(['HTTP', 'HTTP2', 'GRPC']);

/**
 * The service part of the floor for a dual proxy: for every service with VIPs of both families, its second VIP where
 * the first one is carried (listener address for TCP ports, domains for HTTP ports) and the second IP of each of its
 * endpoints. Computed from the model, not from translate's output, so a wasteful translator cannot raise it.
 */
export function serviceFloor(index: ModelIndex): Pick<Floor, 'listenerAddresses' | 'endpointAddresses' | 'domains'> {
  let listenerAddresses = 0;
  let endpointAddresses = 0;
  let domains = 0;
  for (const service of index.model.services) {
    if (service.headless || service.vips.length < 2) continue;
    for (const second of service.vips.slice(1)) {
      for (const port of service.ports) {
        if (HTTP.has(port.protocol)) domains += entry.domain(bracketed(second)) + entry.domain(`${bracketed(second)}:${port.port}`);
        else listenerAddresses += entry.listener(second.ip, port.port);
      }
    }
    for (const port of service.ports) {
      for (const { endpoint, port: target } of index.endpointsByServicePort.get(servicePortKey(service.hostname, port.port)) ?? []) {
        for (const extra of endpoint.addresses.slice(1)) endpointAddresses += entry.endpoint(extra.ip, target);
      }
    }
  }
  return { listenerAddresses, endpointAddresses, domains };
}

/**
 * The proxy part of the floor, read off the single-family proxy's own configuration: every listener bound to its
 * wildcard needs the other family's wildcard, every cluster with a bind config needs the other passthrough source.
 */
export function proxyFloor(single: EnvoyResources, singleProxy: Proxy): Pick<Floor, 'wildcardAddresses' | 'bindAddresses'> {
  const [wildcard, otherWildcard, otherSource] = singleProxy.primaryFamily === 'IPv4' ? ['0.0.0.0', '::', '::6'] : ['::', '0.0.0.0', '127.0.0.6'];
  let wildcardAddresses = 0;
  for (const l of single.listeners) {
    if (l.address.socket_address.address === wildcard) wildcardAddresses += entry.listener(otherWildcard, l.address.socket_address.port_value);
  }
  let bindAddresses = 0;
  for (const c of single.clusters) if (c.upstream_bind_config) bindAddresses += entry.bind(otherSource);
  return { wildcardAddresses, bindAddresses };
}

/** Both parts added up. */
export function floorOf(index: ModelIndex, single: EnvoyResources, singleProxy: Proxy): Floor {
  const s = serviceFloor(index);
  const p = proxyFloor(single, singleProxy);
  const total = s.listenerAddresses + s.endpointAddresses + s.domains + p.wildcardAddresses + p.bindAddresses;
  return { ...s, ...p, total };
}
