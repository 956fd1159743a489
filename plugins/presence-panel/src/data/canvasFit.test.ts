import { describe, expect, it } from 'vitest';

import { CanvasFit, MIN_SPAN, niceStep, UNIT_EXTENT } from './canvasFit';

describe('canvas coordinate space fitted to the pointers seen', () => {
  it('unit space stays [0, 1]', () => {
    const f = new CanvasFit();
    f.observe(0.2, 0.9, '');
    expect(f.extent).toEqual(UNIT_EXTENT);
    expect(f.normX(1.5)).toBe(1);
  });

  it('page coordinates: covers every pointer with a margin, keeps the aspect ratio, never shrinks', () => {
    const f = new CanvasFit();
    f.setAspect(400, 200);
    f.observe(-340, 1200, 'page');
    f.observe(900, 1500, 'page');
    const e = f.extent;
    for (const [x, y] of [
      [-340, 1200],
      [900, 1500],
    ] as const) {
      expect(x).toBeGreaterThan(e.xMin);
      expect(x).toBeLessThan(e.xMax);
      expect(y).toBeGreaterThan(e.yMin);
      expect(y).toBeLessThan(e.yMax);
    }
    expect((e.xMax - e.xMin) / (e.yMax - e.yMin)).toBeGreaterThan(1.7);
    expect((e.xMax - e.xMin) / (e.yMax - e.yMin)).toBeLessThan(2.3);
    // A pointer inside the view moves nothing (no jitter).
    const v = f.version;
    f.observe(100, 1300, 'page');
    expect(f.version).toBe(v);
    // One far away grows it, keeping the earlier pointers in view.
    f.observe(5000, -2000, 'page');
    expect(f.version).toBeGreaterThan(v);
    expect(f.extent.xMin).toBeLessThanOrEqual(-340);
    expect(f.extent.xMax).toBeGreaterThanOrEqual(5000);
    expect(f.normX(-340)).toBeGreaterThan(0);
    expect(f.normY(-2000)).toBeGreaterThan(0);
  });

  it('one pointer alone gets a minimum span; another space starts over; NaN is ignored', () => {
    const f = new CanvasFit();
    f.observe(10, 10, 'scene');
    expect(f.extent.xMax - f.extent.xMin).toBeGreaterThanOrEqual(MIN_SPAN);
    expect(f.normX(10)).toBeGreaterThan(0.3);
    expect(f.normX(10)).toBeLessThan(0.7);
    f.observe(NaN, 5, 'scene');
    f.observe(0.5, 0.5, '');
    expect(f.extent).toEqual(UNIT_EXTENT);
    expect(niceStep(0)).toBe(1);
    expect(niceStep(130)).toBe(200);
  });
});
