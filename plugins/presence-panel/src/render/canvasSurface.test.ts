import { describe, expect, it } from 'vitest';

import { CanvasSurface, emptyDrawStats } from './canvasSurface';

describe('CanvasSurface', () => {
  it('sizes the backing store for CSS size × devicePixelRatio, clamped to 3, and keeps the CSS size', () => {
    const canvas = document.createElement('canvas');
    const s = new CanvasSurface(canvas);
    s.resize(200.7, 100.2, 2);
    expect([s.width, s.height, canvas.width, canvas.height]).toEqual([200, 100, 400, 200]);
    expect(canvas.style.width).toBe('200px');
    s.resize(100, 50, 8);
    expect([canvas.width, canvas.height]).toEqual([300, 150]);
    for (const bad of [NaN, 0, -1, Infinity]) {
      s.resize(0, -5, bad);
      expect([s.width, s.height, canvas.width, canvas.height]).toEqual([1, 1, 1, 1]);
    }
  });

  it('starts every draw counter at zero', () => {
    expect(emptyDrawStats()).toEqual({
      cursors: 0,
      stale: 0,
      heatCells: 0,
      heatTotal: 0,
      editCells: 0,
      editTotal: 0,
    });
  });
});
