/**
 * Canvas renderer for one room: the decaying density heatmap (ImageData of the
 * grid, scaled up with smoothing) under the cursors (one path per cursor, no
 * DOM nodes). Everything it needs per frame is preallocated or cached; the
 * draw loop does not allocate. Positions are in the room's fitted coordinate
 * space (`room.fit`: [0, 1] for the simulator's unit space, the pointers seen
 * for tldraw page / Excalidraw scene coordinates), clamped to the canvas like
 * the heatmap samples. Each user is drawn in the colour they publish, else
 * their palette colour.
 */
import { clamp01 } from '../data/parse';
import type { RoomPresence, UserEntry } from '../data/store';
import { isStale, type StaleRules } from '../data/staleness';
import { CanvasSurface, emptyDrawStats, type DrawStats } from './canvasSurface';

export interface RenderStyle {
  /** Resolved palette colours (cursor colour = palette[user.paletteIdx]). */
  palette: readonly string[];
  /** 256 × RGBA heatmap lookup table. */
  lut: Uint8ClampedArray;
  text: string;
  textOutline: string;
  staleStroke: string;
  font: string;
  /** Document view: block fill, and a stronger fill for headings. */
  blockFill: string;
  blockStrong: string;
}

export interface RenderOptions {
  showLabels: boolean;
  /** Labels are drawn only while at most this many cursors are shown (readability). */
  labelLimit: number;
  stale: StaleRules;
}

const STALE_DASH = [3, 3];
const NO_DASH: number[] = [];
const TAU = Math.PI * 2;
const KINDS = 3;
const KIND_EDITING = 0;
const KIND_IDLE = 1;
const KIND_AWAY = 2;

function kindOf(u: UserEntry): number {
  return u.status === 'away' ? KIND_AWAY : u.status === 'editing' ? KIND_EDITING : KIND_IDLE;
}

/**
 * Colours of the users of one frame, interned (a published colour, else the palette colour): `ids[i]`
 * indexes `list`. Reused between frames (the Map and arrays are cleared, not reallocated).
 */
export class ColorTable {
  readonly list: string[] = [];
  ids = new Int32Array(64);
  private readonly index = new Map<string, number>();

  fill(users: readonly UserEntry[], palette: readonly string[], fallback: string): void {
    this.list.length = 0;
    this.index.clear();
    if (this.ids.length < users.length) this.ids = new Int32Array(users.length * 2);
    const n = palette.length;
    for (let i = 0; i < users.length; i++) {
      const u = users[i] as UserEntry;
      const c = u.color || (n > 0 ? (palette[u.paletteIdx % n] ?? fallback) : fallback);
      let id = this.index.get(c);
      if (id === undefined) {
        id = this.list.length;
        this.list.push(c);
        this.index.set(c, id);
      }
      this.ids[i] = id;
    }
  }
}

export class PresenceRenderer {
  private readonly ctx: CanvasRenderingContext2D | null;
  private heatCanvas: HTMLCanvasElement | null = null;
  private heatCtx: CanvasRenderingContext2D | null = null;
  private heatImage: ImageData | null = null;
  private bucketStart = new Int32Array(0);
  private order = new Int32Array(0);
  private staleFlags = new Uint8Array(0);
  private px = new Float32Array(0);
  private py = new Float32Array(0);
  private readonly colors = new ColorTable();
  private readonly surface: CanvasSurface;
  readonly stats: DrawStats = emptyDrawStats();

  constructor(canvas: HTMLCanvasElement) {
    this.surface = new CanvasSurface(canvas);
    this.ctx = this.surface.ctx;
  }

  private get width(): number {
    return this.surface.width;
  }

  private get height(): number {
    return this.surface.height;
  }

  /** Sizes the backing store for CSS size × devicePixelRatio. */
  resize(width: number, height: number, dpr: number): void {
    this.surface.resize(width, height, dpr);
  }

  draw(room: RoomPresence, now: number, style: RenderStyle, opts: RenderOptions): DrawStats {
    const ctx = this.ctx;
    const stats = this.stats;
    stats.cursors = 0;
    stats.stale = 0;
    if (!ctx) return stats;
    ctx.clearRect(0, 0, this.width, this.height);
    this.drawHeat(ctx, room, style.lut);
    this.place(room);
    this.colors.fill(room.list, style.palette, style.text);
    this.drawCursors(ctx, room.list, now, style, opts);
    const list = room.list;
    const pxs = this.px;
    const pys = this.py;
    if (opts.showLabels && stats.cursors <= opts.labelLimit) {
      ctx.font = style.font;
      ctx.textBaseline = 'bottom';
      ctx.globalAlpha = 1;
      ctx.lineWidth = 3;
      ctx.strokeStyle = style.textOutline;
      ctx.fillStyle = style.text;
      for (let i = 0; i < list.length; i++) {
        const u = list[i] as UserEntry;
        if (!Number.isFinite(u.x)) continue;
        // Labels of cursors near the right edge go to the left of the cursor.
        const cx = pxs[i] ?? 0;
        const right = cx > this.width * 0.75;
        ctx.textAlign = right ? 'right' : 'left';
        const px = cx + (right ? -9 : 9);
        const py = Math.max(12, (pys[i] ?? 0) - 7);
        ctx.strokeText(u.label, px, py);
        ctx.fillText(u.label, px, py);
      }
      ctx.textAlign = 'left';
    }
    ctx.globalAlpha = 1;
    return stats;
  }

  /** Canvas positions (px) of every user with a pointer, in the room's fitted space. */
  private place(room: RoomPresence): void {
    const list = room.list;
    if (this.px.length < list.length) {
      this.px = new Float32Array(Math.max(64, list.length * 2));
      this.py = new Float32Array(Math.max(64, list.length * 2));
    }
    const fit = room.fit;
    for (let i = 0; i < list.length; i++) {
      const u = list[i] as UserEntry;
      if (!Number.isFinite(u.x)) continue;
      this.px[i] = (u.space === '' ? clamp01(u.x) : fit.normX(u.x)) * this.width;
      this.py[i] = (u.space === '' ? clamp01(u.y) : fit.normY(u.y)) * this.height;
    }
  }

  /**
   * Cursors batched by (colour, status) with a counting sort into preallocated
   * arrays: one path and one fill/stroke per batch instead of per cursor.
   * Status: editing = dot + ring, idle = slightly faded dot, away = faded hollow
   * ring; stale cursors get a dashed ring on top.
   */
  private drawCursors(
    ctx: CanvasRenderingContext2D,
    list: readonly UserEntry[],
    now: number,
    style: RenderStyle,
    opts: RenderOptions
  ): void {
    const stats = this.stats;
    const table = this.colors;
    const colors = Math.max(1, table.list.length);
    const nb = colors * KINDS;
    const ids = table.ids;
    const pxs = this.px;
    const pys = this.py;
    if (this.bucketStart.length < nb + 1) this.bucketStart = new Int32Array(nb + 1);
    if (this.order.length < list.length) this.order = new Int32Array(Math.max(64, list.length * 2));
    if (this.staleFlags.length < list.length) this.staleFlags = new Uint8Array(Math.max(64, list.length * 2));
    const start = this.bucketStart;
    const order = this.order;
    const staleFlags = this.staleFlags;
    start.fill(0, 0, nb + 1);
    for (let i = 0; i < list.length; i++) {
      const u = list[i] as UserEntry;
      if (!Number.isFinite(u.x)) continue;
      const b = (ids[i] ?? 0) * KINDS + kindOf(u);
      start[b + 1] = (start[b + 1] ?? 0) + 1;
      const stale = isStale(u, now, opts.stale);
      staleFlags[i] = stale ? 1 : 0;
      stats.cursors++;
      if (stale) stats.stale++;
    }
    for (let b = 0; b < nb; b++) start[b + 1] = (start[b + 1] ?? 0) + (start[b] ?? 0);
    // Fill positions (a second cursor per bucket: start[b] advances; restored below).
    for (let i = 0; i < list.length; i++) {
      const u = list[i] as UserEntry;
      if (!Number.isFinite(u.x)) continue;
      const b = (ids[i] ?? 0) * KINDS + kindOf(u);
      const at = start[b] ?? 0;
      order[at] = i;
      start[b] = at + 1;
    }
    for (let b = nb; b > 0; b--) start[b] = start[b - 1] ?? 0;
    start[0] = 0;
    for (let b = 0; b < nb; b++) {
      const from = start[b] ?? 0;
      const to = start[b + 1] ?? 0;
      if (from === to) continue;
      const kind = b % KINDS;
      const color = table.list[Math.floor(b / KINDS)] ?? style.text;
      if (kind !== KIND_AWAY) {
        ctx.globalAlpha = kind === KIND_IDLE ? 0.8 : 1;
        ctx.fillStyle = color;
        ctx.beginPath();
        for (let k = from; k < to; k++) {
          const i = order[k] ?? 0;
          const px = pxs[i] ?? 0;
          const py = pys[i] ?? 0;
          ctx.moveTo(px + 4.5, py);
          ctx.arc(px, py, 4.5, 0, TAU);
        }
        ctx.fill();
      }
      if (kind !== KIND_IDLE) {
        const r = kind === KIND_AWAY ? 5 : 8;
        ctx.globalAlpha = kind === KIND_AWAY ? 0.4 : 1;
        ctx.strokeStyle = color;
        ctx.lineWidth = 2;
        ctx.beginPath();
        for (let k = from; k < to; k++) {
          const i = order[k] ?? 0;
          const px = pxs[i] ?? 0;
          const py = pys[i] ?? 0;
          ctx.moveTo(px + r, py);
          ctx.arc(px, py, r, 0, TAU);
        }
        ctx.stroke();
      }
    }
    if (stats.stale > 0) {
      ctx.globalAlpha = 0.9;
      ctx.strokeStyle = style.staleStroke;
      ctx.lineWidth = 1.5;
      ctx.setLineDash(STALE_DASH);
      ctx.beginPath();
      for (let i = 0; i < list.length; i++) {
        const u = list[i] as UserEntry;
        if (!Number.isFinite(u.x) || staleFlags[i] !== 1) continue;
        const px = pxs[i] ?? 0;
        const py = pys[i] ?? 0;
        ctx.moveTo(px + 11, py);
        ctx.arc(px, py, 11, 0, TAU);
      }
      ctx.stroke();
      ctx.setLineDash(NO_DASH);
    }
    ctx.globalAlpha = 1;
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
