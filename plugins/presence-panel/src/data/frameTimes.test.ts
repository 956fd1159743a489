import { describe, expect, it } from 'vitest';

import { FrameTimes } from './frameTimes';

describe('FrameTimes', () => {
  it('reports percentiles over the last samples of a bounded ring', () => {
    const t = new FrameTimes(100);
    expect(t.percentile(95)).toBe(0);
    for (let i = 1; i <= 100; i++) t.push(i);
    expect(t.percentile(95)).toBe(95);
    expect(t.percentile(50)).toBe(50);
    for (let i = 0; i < 100; i++) t.push(1);
    expect(t.count).toBe(100);
    expect(t.percentile(95)).toBe(1);
  });
});
