// The clock knobs of the kube source and the retry delay they give: exponential, capped and jittered.

/** How fast the kube source retries, detects stalls and recycles watches; small in tests, defaults for clusters. */
export interface KubeTiming {
  /** First retry delay after a failed list or watch. */
  readonly backoffInitialMs: number;
  /** Upper bound of the retry delay. */
  readonly backoffMaxMs: number;
  /** A watch that delivers nothing for this long is treated as dead and restarted from its last resourceVersion. */
  readonly stallMs: number;
  /** Asks the server to end each watch after about this long (jittered up to 2x), as client-go does. */
  readonly watchTimeoutSeconds: number;
  /** A list that has not answered after this long is abandoned and retried. */
  readonly listTimeoutMs: number;
  /** Items asked for per list page (`limit`); the rest follows with the `continue` token. */
  readonly listPageSize: number;
  /** Longest wait honoured from a server's Retry-After (429, 504) before retrying anyway. */
  readonly retryAfterMaxMs: number;
  /** How often API discovery is asked again, to start or stop watching ServiceEntries as their CRD comes and goes. */
  readonly discoveryIntervalMs: number;
  /** `start()` gives up (and stops) when the first full view has not arrived after this long. */
  readonly startTimeoutMs: number;
}

/** Defaults for a real cluster. */
export const DEFAULT_KUBE_TIMING: KubeTiming = {
  backoffInitialMs: 100,
  backoffMaxMs: 10_000,
  stallMs: 90_000,
  watchTimeoutSeconds: 300,
  listTimeoutMs: 60_000,
  listPageSize: 500,
  retryAfterMaxMs: 60_000,
  discoveryIntervalMs: 60_000,
  startTimeoutMs: 120_000,
};

/** Delay before retry number `attempt` (0-based): min(max, initial * 2^attempt), jittered to [50%, 100%] of it. */
export function backoffDelay(
  attempt: number,
  timing: Pick<KubeTiming, 'backoffInitialMs' | 'backoffMaxMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(timing.backoffMaxMs, timing.backoffInitialMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
