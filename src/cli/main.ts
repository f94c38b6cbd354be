// `biplane <command> [flags]`: dispatches to one module per command, loaded only when asked for.
import { pathToFileURL } from 'node:url';

/** A command module: `run` gets the arguments after the command name and returns the exit code. */
export interface Command {
  readonly summary: string;
  run(argv: readonly string[]): Promise<number>;
}

/** One entry of the command table: the summary `--help` prints, and the loader of the command's module. */
export interface CommandEntry {
  readonly summary: string;
  load(): Promise<{ command: Command }>;
}

// Summaries live here so `biplane --help` loads no command; literal import specifiers, so the compiler rewrites `.ts`
// to `.js` in dist/. A test checks each summary equals its module's.
/** Every command: name → summary and module. */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  serve: {
    summary: 'serve xDS to Envoy sidecars and proxyless gRPC, live from manifests or a cluster',
    load: () => import('./serve.ts'),
  },
  translate: { summary: 'print the Envoy resources one pod’s sidecar gets', load: () => import('./translate.ts') },
  bootstrap: { summary: 'print the Envoy bootstrap of one pod’s sidecar', load: () => import('./bootstrap.ts') },
  capture: {
    summary: "print, apply or remove a pod's dual-stack traffic capture rules (iptables / nftables, REDIRECT / TPROXY)",
    load: () => import('./capture.ts'),
  },
  agent: {
    summary: 'run beside Envoy in a pod: Envoy lifecycle, readiness, DNS proxy',
    load: () => import('./agent.ts'),
  },
  analyze: {
    summary: 'check manifests offline: model, per-proxy xDS and dual-stack findings',
    load: () => import('./analyze.ts'),
  },
  inject: {
    summary: 'add capture init container and Envoy sidecar to workloads in a manifest file (like istioctl kube-inject)',
    load: () => import('./inject.ts'),
  },
  'proxy-status': {
    summary: 'show every connected proxy: IP mode, per-type SYNCED / STALE / NACKED, last push (like istioctl)',
    load: () => import('./proxy-status.ts'),
  },
  'proxy-config': {
    summary: "show one connected proxy's live listeners, clusters, routes and endpoints, both families side by side",
    load: () => import('./proxy-config.ts'),
  },
};

async function load(name: string): Promise<Command | undefined> {
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  return entry ? (await entry.load()).command : undefined;
}

function usage(): string {
  const lines = ['usage: biplane <command> [flags]', '', 'commands:'];
  for (const [name, entry] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(13)} ${entry.summary}`);
  lines.push('', "run 'biplane <command> --help' for a command's flags");
  return lines.join('\n');
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd = await load(name);
  if (!cmd) {
    console.error(`biplane: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return cmd.run(rest);
}

// `bin/biplane.js` calls `main` itself; this runs the file directly (`node --import tsx src/cli/main.ts`).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
