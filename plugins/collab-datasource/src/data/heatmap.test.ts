import { describe, expect, it } from 'vitest';
import { DataFrameType, FieldType } from '@grafana/data';
import { FRAME_LIMITS, FRAME_META_TYPES, HEATMAP_FIELDS as F } from '@collabblocks/protocol';

import { buildHeatmapFrame, HeatmapGrid } from './heatmap';
import { readLikeGrafana } from './heatmap.testutil';

describe('heatmap-cells frame (Grafana dense layout)', () => {
  it('is read by Grafana as a dense grid with the right count in every cell', () => {
    const g = new HeatmapGrid(2);
    g.add(0.1, 0.1);
    g.add(0.2, 0.3);
    g.add(0.9, 0.1);
    g.add(0.9, 0.9);
    const frame = buildHeatmapFrame(g, { refId: 'H', room: 'acme/a' });
    expect(frame.meta?.type).toBe(DataFrameType.HeatmapCells);
    expect(frame.meta?.type).toBe(FRAME_META_TYPES.heatmapCells);
    // Exactly xMin, yMin, count — in this order (Grafana reads them by position).
    expect(frame.fields.map((f) => f.name)).toEqual([F.xMin, F.yMin, F.count]);
    expect(frame.fields.map((f) => f.type)).toEqual([FieldType.number, FieldType.number, FieldType.number]);
    expect(frame.length).toBe(4);
    // y fastest: (0,0) (0,1) (1,0) (1,1)
    expect(frame.fields[0]?.values).toEqual([0, 0, 0.5, 0.5]);
    expect(frame.fields[1]?.values).toEqual([0, 0.5, 0, 0.5]);
    expect(frame.fields[2]?.values).toEqual([2, 0, 1, 1]);
    const r = readLikeGrafana(frame);
    expect(r).toMatchObject({ dense: true, xBuckets: 2, yBuckets: 2, xSize: 0.5, ySize: 0.5 });
    expect(r.xLayout).toBe('ge');
    expect(r.yLayout).toBe('ge');
    expect(r.countAt(0.1, 0.1)).toBe(2);
    expect(r.countAt(0.9, 0.1)).toBe(1);
    expect(r.countAt(0.1, 0.9)).toBe(0);
    expect(r.countAt(0.9, 0.9)).toBe(1);
    expect(frame.meta?.custom).toMatchObject({
      collabFrame: 'heatmap',
      gridSize: 2,
      samples: 4,
      xMin: 0,
      xMax: 1,
      yMin: 0,
      yMax: 1,
      xSize: 0.5,
      ySize: 0.5,
    });
  });

  it('a non-square sample set on a larger grid: every sample is counted in the cell Grafana draws it in', () => {
    const g = new HeatmapGrid(7);
    const samples: Array<[number, number]> = [];
    for (let i = 0; i < 200; i++) samples.push([(i * 37) % 640, (i * 91) % 480]);
    for (const [x, y] of samples) g.add(x, y);
    const frame = buildHeatmapFrame(g, { refId: 'H', room: 'acme/a' });
    const r = readLikeGrafana(frame);
    expect(r.dense).toBe(true);
    expect(r.xBuckets).toBe(7);
    expect(r.yBuckets).toBe(7);
    expect(r.xSize).toBeCloseTo(700 / 7);
    expect(r.ySize).toBeCloseTo(500 / 7);
    // Expected counts by binning the samples independently.
    const expected = new Map<string, number>();
    for (const [x, y] of samples) {
      const k = `${Math.min(6, Math.floor(x / (700 / 7)))},${Math.min(6, Math.floor(y / (500 / 7)))}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    for (const [x, y] of samples) {
      const k = `${Math.min(6, Math.floor(x / (700 / 7)))},${Math.min(6, Math.floor(y / (500 / 7)))}`;
      expect(r.countAt(x, y)).toBe(expected.get(k));
    }
    const total = (frame.fields[2]?.values as number[]).reduce((n, c) => n + c, 0);
    expect(total).toBe(samples.length);
  });

  it('grows the bounds to pixel coordinates and rebins earlier samples', () => {
    const g = new HeatmapGrid(4);
    g.add(0.5, 0.5);
    g.add(640, 480);
    const cells = g.cells();
    expect(cells.reduce((n, c) => n + c.count, 0)).toBe(2);
    expect(g.extent).toEqual({ xMin: 0, xMax: 700, yMin: 0, yMax: 500 });
    expect(Math.max(...cells.map((c) => c.xMin))).toBe(525);
    expect(Math.max(...cells.map((c) => c.yMin))).toBe(375);
  });

  it('caps the grid at 100 × 100 cells (the frame cap), ignores non-finite samples and bounds memory', () => {
    const g = new HeatmapGrid(1000, 10);
    expect(g.size).toBe(100);
    expect(g.cells().length).toBeLessThanOrEqual(FRAME_LIMITS.maxRows);
    g.add(Number.NaN, 1);
    expect(g.total).toBe(0);
    for (let i = 0; i < 25; i++) g.add(0.5, 0.5);
    expect(g.total).toBe(10);
    expect(g.cells().reduce((n, c) => n + c.count, 0)).toBe(10);
    expect(() => new HeatmapGrid(0)).toThrow(/grid size/);
  });
});
