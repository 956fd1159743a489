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

  /** One row per cell (x fastest), with bounds and counts. */
  cells(): Array<{ xMin: number; xMax: number; yMin: number; yMax: number; count: number }> {
    const b = this.bounds;
    const n = this.size;
    const dx = (b.xMax - b.xMin) / n;
    const dy = (b.yMax - b.yMin) / n;
    const out = [];
    for (let cy = 0; cy < n; cy++) {
      for (let cx = 0; cx < n; cx++) {
        out.push({
          xMin: b.xMin + cx * dx,
          xMax: b.xMin + (cx + 1) * dx,
          yMin: b.yMin + cy * dy,
          yMax: b.yMin + (cy + 1) * dy,
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

/** Grafana `heatmap-cells` frame (xMin, xMax, yMin, yMax, count) of a grid. */
export function buildHeatmapFrame(grid: HeatmapGrid, opts: { refId: string; room: string }): DataFrame {
  const cells = grid.cells();
  return createDataFrame({
    refId: opts.refId,
    name: 'presence heatmap',
    meta: collabMeta(
      'heatmap',
      { room: opts.room, gridSize: grid.size, samples: grid.total },
      { type: DataFrameType.HeatmapCells }
    ),
    fields: [
      { name: F.xMin, type: FieldType.number, values: cells.map((c) => c.xMin) },
      { name: F.xMax, type: FieldType.number, values: cells.map((c) => c.xMax) },
      { name: F.yMin, type: FieldType.number, values: cells.map((c) => c.yMin) },
      { name: F.yMax, type: FieldType.number, values: cells.map((c) => c.yMax) },
      { name: F.count, type: FieldType.number, values: cells.map((c) => c.count) },
    ],
  });
}
