import { createDataFrame, type DataFrame, DataFrameType, FieldType } from '@grafana/data';
import { HEATMAP_FIELDS as F } from '@collabblocks/protocol';

import { collabMeta } from './common';

export interface HeatmapBounds {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/** Largest accepted grid (cells per side): 100 × 100 = 10,000 rows, the frame cap. */
export const MAX_GRID_SIZE = 100;

/**
 * Accumulates cursor samples into a gridSize × gridSize grid. Bounds grow to
 * the samples seen (starting at 0..1 on both axes) and the grid is rebinned
 * from the kept samples when they grow, so early samples are never lost.
 * Samples are bounded (oldest dropped) so a long stream cannot grow memory.
 */
export class HeatmapGrid {
  readonly size: number;
  private bounds: HeatmapBounds = { xMin: 0, xMax: 1, yMin: 0, yMax: 1 };
  private samples: Array<[number, number]> = [];
  private counts: Float64Array;

  constructor(
    gridSize: number,
    private readonly maxSamples = 50_000
  ) {
    if (!Number.isFinite(gridSize) || gridSize < 1) throw new Error(`grid size must be 1..${MAX_GRID_SIZE}`);
    this.size = Math.min(MAX_GRID_SIZE, Math.floor(gridSize));
    this.counts = new Float64Array(this.size * this.size);
  }

  get total(): number {
    return this.samples.length;
  }

  add(x: number, y: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    const b = this.bounds;
    if (x < b.xMin || x > b.xMax || y < b.yMin || y > b.yMax) {
      this.bounds = {
        xMin: Math.min(b.xMin, x),
        xMax: Math.max(b.xMax, niceCeil(x)),
        yMin: Math.min(b.yMin, y),
        yMax: Math.max(b.yMax, niceCeil(y)),
      };
      this.samples.push([x, y]);
      this.trim();
      this.rebin();
      return;
    }
    this.samples.push([x, y]);
    if (this.trim()) this.rebin();
    else this.bump(x, y, 1);
  }

  private trim(): boolean {
    if (this.samples.length <= this.maxSamples) return false;
    this.samples.splice(0, this.samples.length - this.maxSamples);
    return true;
  }

  private cell(x: number, y: number): number {
    const b = this.bounds;
    const n = this.size;
    const cx = Math.min(n - 1, Math.floor(((x - b.xMin) / (b.xMax - b.xMin || 1)) * n));
    const cy = Math.min(n - 1, Math.floor(((y - b.yMin) / (b.yMax - b.yMin || 1)) * n));
    return cy * n + cx;
  }

  private bump(x: number, y: number, by: number): void {
    const i = this.cell(x, y);
    this.counts[i] = (this.counts[i] ?? 0) + by;
  }

  private rebin(): void {
    this.counts = new Float64Array(this.size * this.size);
    for (const [x, y] of this.samples) this.bump(x, y, 1);
  }

  /** Current bounds of the grid (cursor coordinates). */
  get extent(): HeatmapBounds {
    return { ...this.bounds };
  }

  /**
   * One row per cell in Grafana's dense `heatmap-cells` order: x outer, y varying fastest
   * ((x0,y0) (x0,y1) … (x1,y0) …), each with its lower bounds and count.
   */
  cells(): Array<{ xMin: number; yMin: number; count: number }> {
    const b = this.bounds;
    const n = this.size;
    const dx = (b.xMax - b.xMin) / n;
    const dy = (b.yMax - b.yMin) / n;
    const out = [];
    for (let cx = 0; cx < n; cx++) {
      for (let cy = 0; cy < n; cy++) {
        out.push({
          xMin: b.xMin + cx * dx,
          yMin: b.yMin + cy * dy,
          count: this.counts[cy * n + cx] ?? 0,
        });
      }
    }
    return out;
  }
}

function niceCeil(v: number): number {
  if (v <= 1) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  return Math.ceil(v / p) * p;
}

/**
 * Grafana's dense `heatmap-cells` frame of a grid: exactly three fields in this order — `xMin`, `yMin`
 * (lower cell bounds, regular spacing) and `count` — with y varying fastest. This is the layout Grafana's
 * Heatmap panel reads by position (fields[0] x, fields[1] y, fields[2] value; bucket counts from the
 * repetition of y, sizes from ys[1]-ys[0] and xs[yBuckets]-xs[0]); a frame with both `yMin` and `yMax`
 * would be read as the *sparse* format (fields[3] taken as the count, log y axis) instead.
 */
export function buildHeatmapFrame(grid: HeatmapGrid, opts: { refId: string; room: string }): DataFrame {
  const cells = grid.cells();
  const b = grid.extent;
  return createDataFrame({
    refId: opts.refId,
    name: 'presence heatmap',
    meta: collabMeta(
      'heatmap',
      {
        room: opts.room,
        gridSize: grid.size,
        samples: grid.total,
        ...b,
        xSize: (b.xMax - b.xMin) / grid.size,
        ySize: (b.yMax - b.yMin) / grid.size,
      },
      { type: DataFrameType.HeatmapCells }
    ),
    fields: [
      { name: F.xMin, type: FieldType.number, values: cells.map((c) => c.xMin) },
      { name: F.yMin, type: FieldType.number, values: cells.map((c) => c.yMin) },
      { name: F.count, type: FieldType.number, values: cells.map((c) => c.count), config: { unit: 'short' } },
    ],
  });
}
