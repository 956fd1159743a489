export interface BackoffOptions {
  /** First delay, ms. */
  baseMs: number;
  /** Upper bound, ms. */
  maxMs: number;
  /** 0..1: the share of the delay that is randomised ("equal jitter" at 0.5). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000, jitter: 0.5 };

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, with jitter. */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions = DEFAULT_BACKOFF,
  random = Math.random
): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * Math.pow(2, Math.max(0, Math.min(attempt, 30))));
  const jitter = Math.max(0, Math.min(1, opts.jitter));
  return Math.round(exp * (1 - jitter) + exp * jitter * random());
}
