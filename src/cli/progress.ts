// Progress on long work, for a person watching a terminal: one line on stderr rewritten in place (`\r`), at most a
// few times a second, and nothing at all when the stream is not a TTY (piped, redirected, CI logs).

/** The parts of a stream the reporter uses (process.stderr, or a fake in tests). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  /** Terminal width; lines are cut to fit so `\r` always returns to the start of the one line. */
  readonly columns?: number;
  write(text: string): unknown;
}

/** How often the line may change, and the clock (tests pass their own). */
export interface ProgressOptions {
  /** Least time between two updates in ms (default 100). */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

/** A progress line; every method is a no-op on a non-TTY stream. */
export interface Progress {
  /** Shows `message` unless the last update was under the interval ago. */
  update(message: string): void;
  /** Shows `label done/total` (throttled like `update`, but the last step is always shown). */
  step(label: string, done: number, total: number): void;
  /** Clears the line, so whatever is printed next starts on a clean one. */
  done(): void;
}

const SILENT: Progress = { update: () => undefined, step: () => undefined, done: () => undefined };

/** A progress reporter writing to `stream` (default stderr), silent unless `stream.isTTY`. */
export function progressReporter(stream: ProgressStream = process.stderr, options: ProgressOptions = {}): Progress {
  if (stream.isTTY !== true) return SILENT;
  const interval = options.intervalMs ?? 100;
  const now = options.now ?? Date.now;
  let last = -Infinity;
  let shown = false;
  const show = (message: string, force: boolean): void => {
    const t = now();
    if (!force && t - last < interval) return;
    last = t;
    shown = true;
    // A terminal that reports no width (0) gets 80 columns.
    const width = Math.max(10, (stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80) - 1);
    // `\x1b[K` clears what a longer earlier line left to the right.
    stream.write(`\r${message.length > width ? `${message.slice(0, width - 1)}…` : message}\x1b[K`);
  };
  return {
    update: (message) => show(message, false),
    step: (label, done, total) => show(`${label} ${done}/${total}`, done >= total),
    done: () => {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
