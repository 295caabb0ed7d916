/** Retry timing for handler failures: exponential, capped, with jitter so that many
 * partitions failing on the same cause do not retry in lock step. */
export interface BackoffOptions {
  /** Delay before the first retry. Default 200 ms. */
  initialMs?: number;
  /** Upper bound of any single delay. Default 10 s. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Fraction of the delay randomised away (0 = none, 0.2 = up to 20 % shorter). Default 0.2. */
  jitter?: number;
}

/** Delay before retry number `attempt` (1 = first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { initialMs = 200, maxMs = 10_000, factor = 2, jitter = 0.2 } = options;
  const raw = Math.min(maxMs, initialMs * factor ** Math.max(0, attempt - 1));
  return Math.max(0, Math.round(raw * (1 - jitter * random())));
}
