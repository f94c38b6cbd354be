// A fresh project that depends on biplane's packed tarball: created in a temporary folder, installed with npm
// (from its cache first), type-checked with the repository's compiler, and its compiled output run with plain node.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const REPO = new URL('../../', import.meta.url).pathname;
const TSC = path.join(REPO, 'node_modules/typescript/bin/tsc');

/** The README's embedding example, importing the installed package instead of the source tree. */
export function readmeEmbedExample(): string {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('<!-- xds-embed:start -->'), readme.indexOf('<!-- xds-embed:end -->'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block || !block.includes("from '../src/xds/index.ts'")) throw new Error('README xds-embed block not found');
  return block.replace("from '../src/xds/index.ts'", "from 'biplane/xds'");
}

/** Serves the README example's snapshot plus a proxyless-gRPC one (for `grpc-client-1`) pointing at argv's backend. */
const SERVE_TS = `import { TypeUrl, makeResource, makeSnapshot } from 'biplane/xds';
import { main } from './embed.js';

const [host = '127.0.0.1', port = '0', authority = ''] = process.argv.slice(2);
const { server, bound } = await main(['127.0.0.1:0', '[::1]:0']);
const hcm = {
  '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  rds: { route_config_name: 'echo-route', config_source: { ads: {} } },
  http_filters: [{ name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
};
server.cache.setSnapshot('grpc-client-1', makeSnapshot([
  makeResource(TypeUrl.Listener, { name: authority, api_listener: { api_listener: hcm } }),
  makeResource(TypeUrl.RouteConfiguration, {
    name: 'echo-route',
    virtual_hosts: [{ name: 'echo', domains: [authority], routes: [{ match: { prefix: '' }, route: { cluster: 'echo' } }] }],
  }),
  makeResource(TypeUrl.Cluster, { name: 'echo', type: 'EDS', lb_policy: 'ROUND_ROBIN', eds_cluster_config: { eds_config: { ads: {} } } }),
  makeResource(TypeUrl.ClusterLoadAssignment, {
    cluster_name: 'echo',
    endpoints: [{ locality: {}, load_balancing_weight: { value: 1 },
      lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: Number(port) } } } }] }],
  }),
]));
console.log('consumer-listening ' + JSON.stringify(bound));
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
`;

/** The README's offline-pipeline import: a pod's sidecar resources from manifest text, printed as counts. */
const PIPELINE_TS = `import { buildModel, parseManifests, parseProxy, translate, validateResources } from 'biplane';

const text = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' },
    spec: { ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack', clusterIPs: ['198.18.10.1', '2001:db8:10::1'],
      selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'shop' },
    status: { podIP: '198.18.0.5', podIPs: [{ ip: '198.18.0.5' }, { ip: '2001:db8::5' }] } },
] });
const { model } = buildModel(parseManifests(text, 'inline').objects);
const { proxy } = parseProxy({ id: 'sidecar~198.18.0.5~client.shop~shop.svc.cluster.local', metadata: {} }, model);
if (!proxy) throw new Error('no proxy');
const resources = translate(model, proxy);
console.log(JSON.stringify({ listeners: resources.listeners.length, problems: validateResources(resources).length, mode: proxy.mode }));
`;

function run(cmd: string, args: readonly string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
}

/** Packs the repository (dist/ must be built) into `dir` and returns the tarball's path. */
export function packRepo(dir: string): string {
  const out = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], REPO);
  const [info] = JSON.parse(out) as { filename: string }[];
  if (!info) throw new Error(`npm pack printed nothing: ${out}`);
  return path.join(dir, info.filename);
}

/** Creates the consumer project in `dir`, installs `tarball` and @types/node into it, and writes its sources. */
export function makeConsumer(dir: string, tarball: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const lock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
  const typesNode = lock.packages['node_modules/@types/node']?.version ?? '20';
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, `@types/node@${typesNode}`], dir);
  const compilerOptions = { target: 'ES2022', module: 'NodeNext', strict: true, types: ['node'], outDir: 'out', rootDir: 'src' };
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }));
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(path.join(dir, 'src/embed.ts'), readmeEmbedExample());
  writeFileSync(path.join(dir, 'src/serve.ts'), SERVE_TS);
  writeFileSync(path.join(dir, 'src/pipeline.ts'), PIPELINE_TS);
}

/** Type-checks and compiles the consumer with the repository's TypeScript; throws with tsc's output on errors. */
export function compileConsumer(dir: string): void {
  try {
    run(process.execPath, [TSC, '-p', 'tsconfig.json'], dir);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`tsc failed in the consumer project:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Runs the compiled pipeline file of the consumer project and returns what it printed, parsed. */
export function runPipeline(dir: string): { listeners: number; problems: number; mode: string } {
  return JSON.parse(run(process.execPath, ['out/pipeline.js'], dir)) as { listeners: number; problems: number; mode: string };
}

/** Runs `npx biplane ...` in the consumer project. */
export function npxBiplane(dir: string, args: readonly string[]): string {
  return run('npx', ['--no-install', 'biplane', ...args], dir);
}

/** Starts the compiled consumer server; resolves its bound xDS addresses (kill the child when done). */
export function startConsumer(dir: string, args: readonly string[]): { child: ChildProcess; bound: Promise<string[]> } {
  const child = spawn(process.execPath, ['out/serve.js', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const bound = new Promise<string[]>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('consumer-listening '));
      if (line) resolve(JSON.parse(line.slice('consumer-listening '.length)) as string[]);
    });
    child.on('exit', (code) => reject(new Error(`consumer server exited with ${String(code)}: ${stderr}`)));
  });
  return { child, bound };
}

/** The files the tarball put under node_modules/biplane, relative, sorted. */
export function installedFiles(dir: string): string[] {
  return readdirSync(path.join(dir, 'node_modules/biplane'), { recursive: true, encoding: 'utf8' }).sort();
}
