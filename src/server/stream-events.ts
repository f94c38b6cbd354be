// The ADS server's events wired to the server's state: connects and closes into the proxy registry and push queue,
// ACKs, NACKs and responses into sync status and metrics, on-demand proxyless server listeners into a build.
import * as grpc from '@grpc/grpc-js';
import { SERVER_LISTENER_PREFIX } from '../translate/proxyless/index.ts';
import { TypeUrl } from '../xds/index.ts';
import type { XdsServer } from '../xds/index.ts';
import type { LogLimiter } from './log-limit.ts';
import { metricTypeLabel, typeLabel } from './metrics.ts';
import type { MetricsRegistry } from './metrics.ts';
import { proxyKey } from './proxies.ts';
import type { ProxyRegistry } from './proxies.ts';
import type { Pusher } from './pusher.ts';
import type { BuildContext } from './proxy-build.ts';
import type { SyncStatus } from './sync-status.ts';
import type { ChangeTopic } from './ui/events.ts';

/** Connects the ADS server's events to the proxy registry, sync status and metrics. */
export function wireEvents(
  xds: XdsServer,
  registry: ProxyRegistry,
  pusher: Pusher,
  sync: SyncStatus,
  metrics: MetricsRegistry,
  clientLog: LogLimiter,
  maxServerListeners: number,
  current: () => BuildContext | undefined,
  changed: (topic: ChangeTopic) => void,
): void {
  xds.events.on('streamOpen', (e) => {
    const entry = registry.open(e.streamId, e.node);
    changed('sync');
    metrics.set('pilot_xds', xds.streams().length);
    clientLog.log(e.node.id, `connect ${e.node.id} (${e.kind} stream ${e.streamId} from ${e.peer})`);
    pusher.connected(entry);
  });
  xds.events.on('streamClose', (e) => {
    registry.close(e.streamId, e.node);
    changed('sync');
    pusher.closed(proxyKey(e.node));
    sync.onClose(e.streamId);
    metrics.set('pilot_xds', Math.max(0, xds.streams().length - 1));
    clientLog.log(e.node.id, `disconnect ${e.node.id} (stream ${e.streamId}${e.error ? `: ${e.error}` : ''})`);
  });
  xds.events.on('request', (e) => {
    changed('sync'); // an ACK or NACK moves a type's sync state
    if (e.typeUrl !== TypeUrl.Listener || e.stale) return;
    const key = proxyKey(e.node);
    if (!registry.subscribe(e.streamId, key, { kind: e.kind, names: e.names, unsubscribe: e.unsubscribe })) return;
    const servers = registry.serverListenerCount(e.streamId, key);
    if (servers > maxServerListeners) {
      // Each server listener name is built on demand: past the budget the stream is refused before anything is built.
      const details = `stream subscribes to ${servers} server listeners (${SERVER_LISTENER_PREFIX}...), more than the limit of ${maxServerListeners}`;
      xds.endStream(e.streamId, grpc.status.RESOURCE_EXHAUSTED, details);
      return;
    }
    const entry = registry.get(key);
    const ctx = current();
    // A proxyless application names its own server listener (any port): build it before the stream answers.
    if (ctx && entry && entry.proxy?.type !== 'sidecar' && registry.missesListener(key)) registry.push(ctx, entry);
  });
  xds.events.on('response', (e) => {
    sync.onResponse(e);
    changed('sync');
    metrics.inc('pilot_xds_pushes', { type: metricTypeLabel(e.typeUrl) });
    metrics.observe('pilot_xds_config_size_bytes', e.bytes, { type: metricTypeLabel(e.typeUrl) });
  });
  xds.events.on('nack', (e) => {
    sync.onNack(e);
    changed('sync');
    metrics.inc('pilot_total_xds_rejects', { type: metricTypeLabel(e.typeUrl) });
    clientLog.log(e.node.id, `NACK from ${e.node.id} for ${typeLabel(e.typeUrl)} version ${e.version}: ${e.error.message}`);
  });
}
