// `biplane bootstrap`: the Envoy bootstrap file for one pod's sidecar, checked against the real Bootstrap proto.
import { parseArgs } from 'node:util';
import type { InterceptionMode } from '../model/types.ts';
import { sidecarBootstrap, encodableBootstrap } from '../translate/bootstrap.ts';
import { encodeMessage } from '../xds/protos.ts';
import { loadMesh } from './translate.ts';
import type { Command } from './main.ts';

const USAGE = `usage: biplane bootstrap --manifests DIR --proxy NAMESPACE/POD [--xds-address HOST:PORT]
                         [--interception redirect|tproxy]

Prints the Envoy bootstrap (JSON) for the sidecar of one pod: node id and metadata, ADS to biplane, admin on
localhost, stats (15090) and readiness (15021) listeners on every family the pod has.

flags:
  --manifests DIR          folder (or file) of manifests
  --proxy NAMESPACE/POD    the pod
  --xds-address HOST:PORT  biplane's xDS server (default 127.0.0.1:15010; IPv6 as [::1]:15010)
  --interception MODE      how the pod's traffic is captured, sent as node metadata INTERCEPTION_MODE (default: the
                           pod's sidecar.istio.io/interceptionMode annotation, else redirect, which is left unsaid)
  --help`;

const MODES: Readonly<Record<string, InterceptionMode>> = { redirect: 'REDIRECT', tproxy: 'TPROXY' };

/** Splits `host:port` / `[v6]:port`. */
export function splitHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  return m?.[1] && port > 0 && port < 65536 ? { host: m[1], port } : undefined;
}

/** `bootstrap` command. */
export const command: Command = {
  summary: 'print the Envoy bootstrap of one pod’s sidecar',
  async run(argv) {
    let values;
    try {
      values = parseArgs({
        args: [...argv],
        options: {
          manifests: { type: 'string' },
          proxy: { type: 'string' },
          'xds-address': { type: 'string', default: '127.0.0.1:15010' },
          interception: { type: 'string' },
          help: { type: 'boolean', default: false },
        },
      }).values;
    } catch (err) {
      console.error(`biplane bootstrap: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const xds = splitHostPort(values['xds-address']);
    const interception = values.interception === undefined ? undefined : MODES[values.interception.toLowerCase()];
    if (values.interception !== undefined && !interception) {
      console.error(`biplane bootstrap: --interception must be redirect or tproxy\n\n${USAGE}`);
      return 2;
    }
    if (!values.manifests || !values.proxy || !xds) {
      console.error(`biplane bootstrap: ${xds ? 'need --manifests and --proxy' : 'bad --xds-address'}\n\n${USAGE}`);
      return 2;
    }
    const mesh = await loadMesh(values.manifests, values.proxy);
    if ('error' in mesh) {
      console.error(`biplane bootstrap: ${mesh.error}`);
      return 1;
    }
    mesh.warnings.forEach((w) => console.error(w));
    const bootstrap = sidecarBootstrap(mesh.proxy, xds, interception);
    encodeMessage('envoy.config.bootstrap.v3.Bootstrap', encodableBootstrap(bootstrap));
    process.stdout.write(`${JSON.stringify(bootstrap, null, 2)}\n`);
    return 0;
  },
};
