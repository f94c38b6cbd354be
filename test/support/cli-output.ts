// Runs a CLI command in-process and captures what it prints, so CLI tests check real output and exit codes.

/** The exit code and what the command printed (each console line ends with a newline). */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `run`, capturing string writes to stdout and console.log / console.error, then restores them. */
export async function captureCli(run: () => Promise<number>): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const log = console.log;
  const error = console.error;
  // The test runner reports to its parent over stdout with Buffers; only string writes are ours.
  process.stdout.write = ((s: string | Uint8Array, ...rest: unknown[]) =>
    typeof s === 'string' ? (out.push(s), true) : write(s, ...(rest as []))) as typeof process.stdout.write;
  console.log = (s: unknown) => out.push(`${String(s)}\n`);
  console.error = (s: unknown) => err.push(`${String(s)}\n`);
  try {
    return { code: await run(), out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = write;
    console.log = log;
    console.error = error;
  }
}
