/**
 * Staleness: a presence whose visible state (cursor and status) did not change
 * across N consecutive updates, or for M seconds, is stale (a ghost tab, a
 * stuck client). Thresholds ≤ 0 disable that rule.
 */

export interface StaleRules {
  /** Unchanged across this many updates → stale (default 5). */
  updates: number;
  /** Unchanged for this many seconds → stale. */
  seconds: number;
}

export const DEFAULT_STALE_RULES: StaleRules = { updates: 5, seconds: 60 };

export interface StalenessState {
  /** Consecutive updates in which the visible state did not change. */
  unchanged: number;
  /** Epoch ms of the last observed change (or first sighting). */
  changedAt: number;
}

/** Folds one observation; `changed` says whether the visible state differs from the previous one. */
export function observe(state: StalenessState, changed: boolean, now: number): void {
  if (changed) {
    state.unchanged = 0;
    state.changedAt = now;
  } else {
    state.unchanged += 1;
  }
}

export function isStale(state: StalenessState, now: number, rules: StaleRules): boolean {
  if (rules.updates > 0 && state.unchanged >= rules.updates) return true;
  if (rules.seconds > 0 && now - state.changedAt >= rules.seconds * 1000) return true;
  return false;
}
