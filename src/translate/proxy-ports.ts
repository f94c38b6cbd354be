// The ports an Envoy sidecar owns itself: the two capture listeners and the bootstrap's static listeners. Services
// that use one of them cannot get a listener (or inbound chain) of their own there without clashing.

/** Port of the outbound capture listener (virtualOutbound). */
export const VIRTUAL_OUTBOUND_PORT = 15001;
/** Port of the inbound capture listener (virtualInbound). */
export const VIRTUAL_INBOUND_PORT = 15006;
/** Port of the bootstrap's Prometheus listener, on the pod's wildcards. */
export const STATS_PORT = 15090;
/** Port of the bootstrap's readiness listener, on the pod's wildcards. */
export const READINESS_PORT = 15021;
/** Port of Envoy's admin interface, on the primary family's localhost. */
export const ADMIN_PORT = 15000;

/** Ports the sidecar binds on its wildcard addresses; a service's wildcard listener there would clash with Envoy's. */
export const WILDCARD_PORTS: ReadonlySet<number> = new Set([VIRTUAL_OUTBOUND_PORT, VIRTUAL_INBOUND_PORT, STATS_PORT, READINESS_PORT]);
