/**
 * Canvas renderer for one room: the decaying density heatmap (ImageData of the
 * grid, scaled up with smoothing) under the cursors (one path per cursor, no
 * DOM nodes). Everything it needs per frame is preallocated or cached; the
 * draw loop does not allocate.
 */
import type { RoomPresence, UserEntry } from '../data/store';
import { isStale, type StaleRules } from '../data/staleness';

export interface RenderStyle {
  /** Resolved palette colours (cursor colour = palette[user.paletteIdx]). */
  palette: readonly string[];
  /** 256 × RGBA heatmap lookup table. */
  lut: Uint8ClampedArray;
  text: string;
  textOutline: string;
  staleStroke: string;
  font: string;
}

export interface RenderOptions {
  showLabels: boolean;
  /** Labels are drawn only while at most this many cursors are shown (readability). */
  labelLimit: number;
  stale: StaleRules;
}

export interface DrawStats {
  cursors: number;
  stale: number;
  heatCells: number;
  heatTotal: number;
}

const STALE_DASH = [3, 3];
const NO_DASH: number[] = [];
const TAU = Math.PI * 2;

export class PresenceRenderer {
  private readonly ctx: CanvasRenderingContext2D | null;
  private heatCanvas: HTMLCanvasElement | null = null;
  private heatCtx: CanvasRenderingContext2D | null = null;
  private heatImage: ImageData | null = null;
  private width = 0;
  private height = 0;
  readonly stats: DrawStats = { cursors: 0, stale: 0, heatCells: 0, heatTotal: 0 };

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.ctx = canvas.getContext('2d');
  }

  /** Sizes the backing store for CSS size × devicePixelRatio. */
  resize(width: number, height: number, dpr: number): void {
    const w = Math.max(1, Math.floor(width));
    const h = Math.max(1, Math.floor(height));
    const ratio = Number.isFinite(dpr) && dpr > 0 ? Math.min(dpr, 3) : 1;
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

  draw(room: RoomPresence, now: number, style: RenderStyle, opts: RenderOptions): DrawStats {
    const ctx = this.ctx;
    const stats = this.stats;
    stats.cursors = 0;
    stats.stale = 0;
    if (!ctx) return stats;
    ctx.clearRect(0, 0, this.width, this.height);
    this.drawHeat(ctx, room, style.lut);
    const list = room.list;
    const labels = opts.showLabels && list.length <= opts.labelLimit;
    ctx.font = style.font;
    ctx.textBaseline = 'bottom';
    for (let i = 0; i < list.length; i++) {
      const u = list[i] as UserEntry;
      if (!Number.isFinite(u.x)) continue;
      const stale = isStale(u, now, opts.stale);
      this.drawCursor(ctx, u, stale, style);
      stats.cursors++;
      if (stale) stats.stale++;
    }
    if (labels) {
      ctx.globalAlpha = 1;
      ctx.lineWidth = 3;
      ctx.strokeStyle = style.textOutline;
      ctx.fillStyle = style.text;
      for (let i = 0; i < list.length; i++) {
        const u = list[i] as UserEntry;
        if (!Number.isFinite(u.x)) continue;
        // Labels of cursors near the right edge go to the left of the cursor.
        const right = u.x > 0.75;
        ctx.textAlign = right ? 'right' : 'left';
        const px = u.x * this.width + (right ? -9 : 9);
        const py = Math.max(12, u.y * this.height - 7);
        ctx.strokeText(u.label, px, py);
        ctx.fillText(u.label, px, py);
      }
      ctx.textAlign = 'left';
    }
    ctx.globalAlpha = 1;
    return stats;
  }

  private drawCursor(ctx: CanvasRenderingContext2D, u: UserEntry, stale: boolean, style: RenderStyle): void {
    const px = u.x * this.width;
    const py = u.y * this.height;
    const color = style.palette[u.paletteIdx] ?? style.text;
    // Status: editing = filled dot + solid ring, idle = filled dot, away = hollow faded ring.
    const away = u.status === 'away';
    ctx.globalAlpha = away ? 0.4 : stale ? 0.55 : u.status === 'idle' ? 0.8 : 1;
    if (!away) {
      ctx.fillStyle = color;
      ctx.beginPath();
      ctx.arc(px, py, 4.5, 0, TAU);
      ctx.fill();
    }
    if (away || u.status === 'editing') {
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(px, py, away ? 5 : 8, 0, TAU);
      ctx.stroke();
    }
    if (stale) {
      ctx.strokeStyle = style.staleStroke;
      ctx.lineWidth = 1.5;
      ctx.setLineDash(STALE_DASH);
      ctx.beginPath();
      ctx.arc(px, py, 11, 0, TAU);
      ctx.stroke();
      ctx.setLineDash(NO_DASH);
    }
  }

  private drawHeat(ctx: CanvasRenderingContext2D, room: RoomPresence, lut: Uint8ClampedArray): void {
    const grid = room.heat;
    const stats = this.stats;
    stats.heatTotal = grid.total;
    stats.heatCells = 0;
    if (grid.max <= 0) return;
    const n = grid.size;
    if (!this.heatCanvas || this.heatCanvas.width !== n) {
      this.heatCanvas = document.createElement('canvas');
      this.heatCanvas.width = n;
      this.heatCanvas.height = n;
      this.heatCtx = this.heatCanvas.getContext('2d');
      this.heatImage = this.heatCtx ? this.heatCtx.createImageData(n, n) : null;
    }
    const hctx = this.heatCtx;
    const img = this.heatImage;
    if (!hctx || !img) return;
    const px = img.data;
    const cells = grid.cells;
    // sqrt scaling keeps faint trails visible next to a hot spot.
    const inv = 1 / Math.sqrt(grid.max);
    let nonEmpty = 0;
    for (let i = 0; i < cells.length; i++) {
      const v = cells[i] ?? 0;
      const o = i * 4;
      if (v <= 0) {
        px[o + 3] = 0;
        continue;
      }
      nonEmpty++;
      const li = Math.min(255, Math.max(1, Math.round(Math.sqrt(v) * inv * 255))) * 4;
      px[o] = lut[li] ?? 0;
      px[o + 1] = lut[li + 1] ?? 0;
      px[o + 2] = lut[li + 2] ?? 0;
      px[o + 3] = lut[li + 3] ?? 0;
    }
    stats.heatCells = nonEmpty;
    hctx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.heatCanvas, 0, 0, this.width, this.height);
  }
}
