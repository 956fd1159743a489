import { describe, expect, it } from 'vitest';
import { DataFrameType } from '@grafana/data';
import { FRAME_META_TYPES, HEATMAP_FIELDS as F } from '@collabblocks/protocol';

import { buildHeatmapFrame, HeatmapGrid } from './heatmap';

describe('heatmap-cells frame', () => {
  it('accumulates samples into grid cells with bounds', () => {
    const g = new HeatmapGrid(2);
    g.add(0.1, 0.1);
    g.add(0.2, 0.3);
    g.add(0.9, 0.1);
    g.add(0.9, 0.9);
    const frame = buildHeatmapFrame(g, { refId: 'H', room: 'acme/a' });
    expect(frame.meta?.type).toBe(DataFrameType.HeatmapCells);
    expect(frame.meta?.type).toBe(FRAME_META_TYPES.heatmapCells);
    expect(frame.fields.map((f) => f.name)).toEqual([F.xMin, F.xMax, F.yMin, F.yMax, F.count]);
    expect(frame.length).toBe(4);
    const count = frame.fields[4]?.values;
    // x fastest: (0,0) (1,0) (0,1) (1,1)
    expect(count).toEqual([2, 1, 0, 1]);
    expect(frame.fields[0]?.values).toEqual([0, 0.5, 0, 0.5]);
    expect(frame.fields[3]?.values).toEqual([0.5, 0.5, 1, 1]);
  });

  it('grows the bounds to pixel coordinates and rebins earlier samples', () => {
    const g = new HeatmapGrid(4);
    g.add(0.5, 0.5);
    g.add(640, 480);
    const cells = g.cells();
    expect(cells.reduce((n, c) => n + c.count, 0)).toBe(2);
    expect(Math.max(...cells.map((c) => c.xMax))).toBe(700);
    expect(Math.max(...cells.map((c) => c.yMax))).toBe(500);
  });

  it('caps the grid at 100 × 100 cells, ignores non-finite samples and bounds memory', () => {
    const g = new HeatmapGrid(1000, 10);
    expect(g.size).toBe(100);
    g.add(Number.NaN, 1);
    expect(g.total).toBe(0);
    for (let i = 0; i < 25; i++) g.add(0.5, 0.5);
    expect(g.total).toBe(10);
    expect(g.cells().reduce((n, c) => n + c.count, 0)).toBe(10);
    expect(() => new HeatmapGrid(0)).toThrow(/grid size/);
  });
});
