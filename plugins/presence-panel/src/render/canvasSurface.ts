/**
 * The one canvas surface both views draw on: a 2D context whose backing store is sized for CSS size ×
 * devicePixelRatio (clamped to 3, so a zoomed-in browser never allocates a huge bitmap), and the counters
 * every draw reports (exposed as data-* attributes by the RoomCanvas component).
 */

export interface DrawStats {
  cursors: number;
  stale: number;
  heatCells: number;
  heatTotal: number;
  /** Document view: minimap rows with edits drawn (edit heat), and the updates counted in blocks. */
  editCells: number;
  editTotal: number;
}

export function emptyDrawStats(): DrawStats {
  return { cursors: 0, stale: 0, heatCells: 0, heatTotal: 0, editCells: 0, editTotal: 0 };
}

/** Largest device-pixel ratio honoured for the backing store. */
export const MAX_DPR = 3;

export class CanvasSurface {
  readonly ctx: CanvasRenderingContext2D | null;
  /** CSS size (px) of the last resize. */
  width = 0;
  height = 0;

  constructor(readonly canvas: HTMLCanvasElement) {
    this.ctx = canvas.getContext('2d');
  }

  /** Sizes the backing store for CSS size × devicePixelRatio; drawing is then in CSS pixels. */
  resize(width: number, height: number, dpr: number): void {
    const w = Math.max(1, Math.floor(width));
    const h = Math.max(1, Math.floor(height));
    const ratio = Number.isFinite(dpr) && dpr > 0 ? Math.min(dpr, MAX_DPR) : 1;
    this.width = w;
    this.height = h;
    const bw = Math.round(w * ratio);
    const bh = Math.round(h * ratio);
    if (this.canvas.width !== bw) this.canvas.width = bw;
    if (this.canvas.height !== bh) this.canvas.height = bh;
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    this.ctx?.setTransform(ratio, 0, 0, ratio, 0, 0);
  }
}
