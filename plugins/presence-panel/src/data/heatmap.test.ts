import { describe, expect, it } from 'vitest';

import { HEAT_EPSILON, HeatGrid, clampGridSize } from './heatmap';

describe('HeatGrid accumulation', () => {
  it('maps points onto cells of the configured grid and accumulates per cell', () => {
    const g = new HeatGrid(10, 0);
    expect(g.size).toBe(10);
    expect(g.cellIndex(0, 0)).toBe(0);
    expect(g.cellIndex(0.95, 0)).toBe(9);
    expect(g.cellIndex(0, 0.95)).toBe(90);
    expect(g.cellIndex(1, 1)).toBe(99); // the upper edge belongs to the last cell
    g.add(0.55, 0.25);
    g.add(0.56, 0.21);
    g.add(0.1, 0.1);
    expect(g.cells[2 * 10 + 5]).toBe(2);
    expect(g.cells[11]).toBe(1);
    expect(g.total).toBe(3);
    expect(g.max).toBe(2);
    expect(g.nonEmptyCells()).toBe(2);
  });

  it('clamps points outside the domain to the edge and ignores non-finite points', () => {
    const g = new HeatGrid(4, 0);
    expect(g.add(-3, 7)).toBe(true);
    expect(g.cells[12]).toBe(1);
    expect(g.add(NaN, 0.5)).toBe(false);
    expect(g.add(0.5, Infinity)).toBe(false);
    expect(g.total).toBe(1);
  });

  it('clamps the grid size to its bounds', () => {
    expect(clampGridSize(1)).toBe(4);
    expect(clampGridSize(10_000)).toBe(128);
    expect(clampGridSize('x', 32)).toBe(32);
    expect(new HeatGrid(0.4, 0).size).toBe(4);
  });
});

describe('HeatGrid decay', () => {
  it('halves after one half-life and quarters after two, by elapsed time', () => {
    const g = new HeatGrid(8, 1000);
    g.add(0.5, 0.5, 8);
    g.decay(10_000); // first call only sets the clock
    expect(g.max).toBe(8);
    g.decay(11_000);
    expect(g.max).toBeCloseTo(4, 5);
    g.decay(11_500);
    g.decay(12_000);
    expect(g.max).toBeCloseTo(2, 5);
    expect(g.total).toBeCloseTo(2, 5);
  });

  it('is independent of how often it is called (same result in 1 or 100 steps)', () => {
    const a = new HeatGrid(8, 750);
    const b = new HeatGrid(8, 750);
    a.add(0.1, 0.1, 5);
    b.add(0.1, 0.1, 5);
    a.decay(0);
    b.decay(0);
    a.decay(3000);
    for (let t = 30; t <= 3000; t += 30) b.decay(t);
    expect(b.max).toBeCloseTo(a.max, 4);
    expect(a.max).toBeCloseTo(5 / 16, 4);
  });

  it('fades a hotspot to zero and a new hotspot takes over', () => {
    const g = new HeatGrid(8, 100);
    g.decay(0);
    for (let i = 0; i < 50; i++) g.add(0.1, 0.1);
    g.decay(3000); // 30 half-lives
    expect(g.cells[g.cellIndex(0.1, 0.1)]).toBe(0);
    expect(g.nonEmptyCells()).toBe(0);
    g.add(0.9, 0.9);
    expect(g.max).toBe(1);
    expect(g.cells[g.cellIndex(0.9, 0.9)]).toBeGreaterThan(HEAT_EPSILON);
  });

  it('does not decay with half-life 0 or when time goes backwards', () => {
    const g = new HeatGrid(8, 0);
    g.add(0.5, 0.5, 3);
    g.decay(0);
    g.decay(1e9);
    expect(g.max).toBe(3);
    const h = new HeatGrid(8, 1000);
    h.add(0.5, 0.5, 3);
    h.decay(5000);
    expect(h.decay(4000)).toBe(1);
    expect(h.max).toBe(3);
  });

  it('never moves its clock backwards (ingest and draw clocks may differ by a few ms)', () => {
    const g = new HeatGrid(8, 1000);
    g.add(0.5, 0.5, 8);
    g.decay(5000);
    expect(g.decay(4000)).toBe(1);
    expect(g.decayedTo).toBe(5000);
    g.decay(6000); // one half-life since 5000, not two since 4000
    expect(g.max).toBeCloseTo(4, 5);
  });
});
