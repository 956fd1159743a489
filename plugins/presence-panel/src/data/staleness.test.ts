import { describe, expect, it } from 'vitest';

import { isStale, observe, type StalenessState } from './staleness';

describe('staleness rules', () => {
  it('marks a presence stale after N unchanged updates, and fresh again on a change', () => {
    const s: StalenessState = { unchanged: 0, changedAt: 0 };
    const rules = { updates: 5, seconds: 0 };
    for (let i = 1; i <= 4; i++) {
      observe(s, false, i);
      expect(isStale(s, i, rules)).toBe(false);
    }
    observe(s, false, 5);
    expect(isStale(s, 5, rules)).toBe(true);
    observe(s, true, 6);
    expect(isStale(s, 6, rules)).toBe(false);
    expect(s.unchanged).toBe(0);
  });

  it('marks a presence stale after M seconds without change even without updates', () => {
    const s: StalenessState = { unchanged: 0, changedAt: 1000 };
    const rules = { updates: 5, seconds: 30 };
    expect(isStale(s, 1000 + 29_999, rules)).toBe(false);
    expect(isStale(s, 1000 + 30_000, rules)).toBe(true);
    observe(s, true, 40_000);
    expect(isStale(s, 40_001, rules)).toBe(false);
  });

  it('disables a rule with a threshold of 0', () => {
    const s: StalenessState = { unchanged: 100, changedAt: 0 };
    expect(isStale(s, 1e12, { updates: 0, seconds: 0 })).toBe(false);
    expect(isStale(s, 1, { updates: 0, seconds: 10 })).toBe(false);
    expect(isStale(s, 1, { updates: 100, seconds: 0 })).toBe(true);
  });
});
