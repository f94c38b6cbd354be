// `biplane <command> [flags]`: dispatches to one module per command, loaded only when asked for.
import { pathToFileURL } from 'node:url';

/** A command module: `run` gets the arguments after the command name and returns the exit code. */
export interface Command {
  readonly summary: string;
  run(argv: readonly string[]): Promise<number>;
}

const COMMANDS: Readonly<Record<string, string>> = {
  serve: './serve.ts',
  translate: './translate.ts',
  bootstrap: './bootstrap.ts',
  capture: './capture.ts',
  agent: './agent.ts',
  analyze: './analyze.ts',
};

async function load(name: string): Promise<Command | undefined> {
  const file = COMMANDS[name];
  if (!file) return undefined;
  try {
    const mod = (await import(new URL(file, import.meta.url).href)) as { command: Command };
    return mod.command;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(err).includes(file.slice(2))) return undefined;
    throw err;
  }
}

async function usage(): Promise<string> {
  const lines = ['usage: biplane <command> [flags]', '', 'commands:'];
  for (const name of Object.keys(COMMANDS)) {
    const cmd = await load(name);
    if (cmd) lines.push(`  ${name.padEnd(10)} ${cmd.summary}`);
  }
  lines.push('', "run 'biplane <command> --help' for a command's flags");
  return lines.join('\n');
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await usage());
    return name ? 0 : 2;
  }
  const cmd = await load(name);
  if (!cmd) {
    console.error(`biplane: unknown command '${name}'\n\n${await usage()}`);
    return 2;
  }
  return cmd.run(rest);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href || process.argv[1]?.endsWith('biplane.js')) {
  process.exitCode = await main(process.argv.slice(2));
}
