/**
 * Density heatmap of cursor samples: a gridSize × gridSize Float32Array that
 * accumulates a weight per sample and decays exponentially with a half-life
 * by elapsed time. Fixed size, no allocation after construction.
 */

export const MIN_GRID_SIZE = 4;
export const MAX_GRID_SIZE = 128;

export function clampGridSize(n: unknown, fallback = 32): number {
  const v = typeof n === 'number' && Number.isFinite(n) ? Math.round(n) : fallback;
  return Math.max(MIN_GRID_SIZE, Math.min(MAX_GRID_SIZE, v));
}

/** Below this a cell counts as empty (decayed away). */
export const HEAT_EPSILON = 1e-3;

export class HeatGrid {
  readonly size: number;
  readonly cells: Float32Array;
  /** Largest cell value after the last `decay` / `add` (for normalisation). */
  max = 0;
  /** Sum of all cells after the last `decay` / `add`. */
  total = 0;
  private lastDecayAt: number | undefined;

  /**
   * @param gridSize cells per side (clamped to MIN..MAX_GRID_SIZE)
   * @param halfLifeMs time for a cell to halve; 0 or less disables decay
   * @param xMin..yMax coordinate domain mapped onto the grid (samples outside are clamped to the edge)
   */
  constructor(
    gridSize: number,
    public halfLifeMs: number,
    private readonly xMin = 0,
    private readonly xMax = 1,
    private readonly yMin = 0,
    private readonly yMax = 1
  ) {
    this.size = clampGridSize(gridSize);
    this.cells = new Float32Array(this.size * this.size);
  }

  /** Cell index of a point, or -1 for a non-finite point. */
  cellIndex(x: number, y: number): number {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return -1;
    const n = this.size;
    const fx = (x - this.xMin) / (this.xMax - this.xMin);
    const fy = (y - this.yMin) / (this.yMax - this.yMin);
    const cx = Math.max(0, Math.min(n - 1, Math.floor(fx * n)));
    const cy = Math.max(0, Math.min(n - 1, Math.floor(fy * n)));
    return cy * n + cx;
  }

  /** Adds `weight` at (x, y). Returns false for a non-finite point. */
  add(x: number, y: number, weight = 1): boolean {
    const i = this.cellIndex(x, y);
    if (i < 0 || !(weight > 0)) return false;
    const v = (this.cells[i] ?? 0) + weight;
    this.cells[i] = v;
    this.total += weight;
    if (v > this.max) this.max = v;
    return true;
  }

  /** Time the cells were last decayed to (undefined before the first `decay`). */
  get decayedTo(): number | undefined {
    return this.lastDecayAt;
  }

  /**
   * Multiplies every cell by 2^(-elapsed/halfLife) since the previous call; returns the factor applied.
   * The clock never moves backwards: a call with an earlier time than the previous one does nothing, so
   * callers with slightly different clocks (ingest and draw) cannot make old heat count twice. Decay the
   * grid to the sample time before `add`ing, so fresh samples are never decayed as if they were old.
   */
  decay(nowMs: number): number {
    if (!Number.isFinite(nowMs)) return 1;
    const prev = this.lastDecayAt;
    if (prev !== undefined && nowMs <= prev) return 1;
    this.lastDecayAt = nowMs;
    if (prev === undefined || !(this.halfLifeMs > 0)) return 1;
    const factor = Math.pow(2, -(nowMs - prev) / this.halfLifeMs);
    const cells = this.cells;
    let max = 0;
    let total = 0;
    for (let i = 0; i < cells.length; i++) {
      let v = (cells[i] ?? 0) * factor;
      if (v < HEAT_EPSILON) v = 0;
      cells[i] = v;
      total += v;
      if (v > max) max = v;
    }
    this.max = max;
    this.total = total;
    return factor;
  }

  /** Number of cells above HEAT_EPSILON. */
  nonEmptyCells(): number {
    let n = 0;
    for (let i = 0; i < this.cells.length; i++) if ((this.cells[i] ?? 0) >= HEAT_EPSILON) n++;
    return n;
  }

  clear(): void {
    this.cells.fill(0);
    this.max = 0;
    this.total = 0;
  }
}
