// A small dual-stack mesh used by the rule and simulation tests: one service of each family layout.
import type { MeshModel } from '../../src/model/types.ts';
import { clients, endpoint, model, pod, port, service } from './fixtures.ts';

/** Dual-stack IPv4-primary HTTP service. */
export const web = service('web', 'apps', ['10.96.0.10', 'fd00:10:96::a'], [port('http', 80, 'HTTP', 'http')]);
/** Dual-stack IPv6-primary TCP service. */
export const db = service('db', 'apps', ['fd00:10:96::b', '10.96.0.11'], [port('tcp-pg', 5432, 'TCP', 5432)], {
  ipFamilyPolicy: 'PreferDualStack',
});
/** Single-stack IPv4 TCP service. */
export const legacy = service('legacy', 'apps', ['10.96.0.12'], [port('tcp', 9000, 'TCP', 9000)]);
/** Single-stack IPv6 HTTP service. */
export const modern = service('modern', 'apps', ['fd00:10:96::c'], [port('http', 8080, 'HTTP', 8080)]);

const webPod1 = pod('web-1', 'apps', ['10.244.2.1', 'fd00:10:244:2::1'], { app: 'web' });

/** The mesh: every client pod plus the backends above. */
export function mesh(): MeshModel {
  return model(
    [web, db, legacy, modern],
    [
      endpoint(web, 'web-1', ['10.244.2.1', 'fd00:10:244:2::1'], [{ name: 'http', port: 8080 }]),
      endpoint(web, 'web-2', ['10.244.2.2', 'fd00:10:244:2::2'], [{ name: 'http', port: 8080 }], { locality: { region: 'r1', zone: 'z2' } }),
      endpoint(db, 'db-1', ['fd00:10:244:3::1', '10.244.3.1'], [{ name: 'tcp-pg', port: 5432 }]),
      endpoint(legacy, 'legacy-1', ['10.244.4.1'], [{ name: 'tcp', port: 9000 }]),
      endpoint(modern, 'modern-1', ['fd00:10:244:5::1'], [{ name: 'http', port: 8080 }]),
    ],
    [webPod1, ...Object.values(clients)],
  );
}

/** The web pod itself (selected by `web`, serves 8080 inbound). */
export const webPod = webPod1;
