/**
 * Document view of one room (text and rich-text bindings): a vertical minimap of the document's
 * top-level blocks (lines of a Y.Text) — node type and size when a tree frame is in the data — tinted
 * by the heat of where people have been, with each user's caret at their block (and line inside a band)
 * drawn in the colour they publish, their selection as a bar beside the blocks, and labels
 * ("Ada · heading L3:5") stacked so they never overlap. Per-frame work is O(users log users + rows),
 * with preallocated arrays.
 */
import { whereText } from '../data/describe';
import { layoutBlocks, rowOf, type BlockRows } from '../data/docLayout';
import { isStale, type StaleRules } from '../data/staleness';
import type { RoomPresence, UserEntry } from '../data/store';
import { CanvasSurface, emptyDrawStats, type DrawStats } from './canvasSurface';
import { ColorTable, type RenderOptions, type RenderStyle } from './PresenceRenderer';

const TAU = Math.PI * 2;
const PAD = 6;
const LABEL_H = 13;
/** Width (px) of the edit-heat bar along the strip's right edge. */
const EDIT_W = 5;
const STALE_DASH = [3, 3];
const NO_DASH: number[] = [];

/** Text of a user's label: name, node name, and line:column in a Y.Text or the selection length. */
export function caretLabel(u: UserEntry): string {
  const where = whereText(u);
  return where ? `${u.label}${u.nodeName ? ' · ' : ' '}${where}` : u.label;
}

export class DocumentRenderer {
  private readonly ctx: CanvasRenderingContext2D | null;
  private readonly surface: CanvasSurface;
  private rows: BlockRows | null = null;
  private rowsKey = '';
  private ys = new Float32Array(0);
  private order: number[] = [];
  private readonly colors = new ColorTable();
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

  resize(width: number, height: number, dpr: number): void {
    this.surface.resize(width, height, dpr);
    this.rowsKey = '';
  }

  /** The minimap strip: left edge and width (px). */
  strip(): { x: number; w: number } {
    return { x: PAD + 8, w: Math.max(40, Math.min(220, Math.round(this.width * 0.3))) };
  }

  draw(room: RoomPresence, now: number, style: RenderStyle, opts: RenderOptions): DrawStats {
    const ctx = this.ctx;
    const stats = this.stats;
    stats.cursors = 0;
    stats.stale = 0;
    stats.heatCells = 0;
    stats.heatTotal = room.blockHeat.total;
    stats.editCells = 0;
    stats.editTotal = room.editHeat.total;
    if (!ctx) return stats;
    ctx.clearRect(0, 0, this.width, this.height);
    const blocks = room.docBlocks;
    const innerH = Math.max(1, this.height - 2 * PAD);
    const key = `${blocks}:${innerH}:${room.blockInfo.length}:${room.docRoot}`;
    if (!this.rows || key !== this.rowsKey) {
      this.rows = layoutBlocks(blocks, room.blockInfo, innerH);
      this.rowsKey = key;
    }
    const rows = this.rows;
    const { x: sx, w: sw } = this.strip();
    this.drawBlocks(ctx, room, rows, sx, sw, style);
    this.drawEdits(ctx, room, rows, sx, sw, style);
    this.drawCarets(ctx, room, rows, sx, sw, now, style, opts);
    ctx.globalAlpha = 1;
    return stats;
  }

  private drawBlocks(
    ctx: CanvasRenderingContext2D,
    room: RoomPresence,
    rows: BlockRows,
    sx: number,
    sw: number,
    style: RenderStyle
  ): void {
    const n = rows.top.length;
    const heat = room.blockHeat;
    // Row heat relative to the hottest row (sqrt keeps faint trails visible), through the LUT.
    let maxRow = 0;
    if (heat.max > 0) for (let r = 0; r < n; r++) maxRow = Math.max(maxRow, heat.rowHeat(rows, r));
    const inv = maxRow > 0 ? 1 / Math.sqrt(maxRow) : 0;
    const info = room.blockInfo;
    for (let r = 0; r < n; r++) {
      const top = PAD + (rows.top[r] ?? 0);
      const h = Math.max(1, (rows.height[r] ?? 0) - (rows.height[r]! > 3 ? 1 : 0));
      const b = info[r * rows.band];
      const width =
        rows.band === 1 && b && b.size > 0 ? sw * (0.45 + 0.55 * Math.min(1, Math.log2(1 + b.size) / 9)) : sw;
      ctx.globalAlpha = 1;
      ctx.fillStyle = isHeading(rows.names[r]) ? style.blockStrong : style.blockFill;
      ctx.fillRect(sx, top, width, h);
      if (inv > 0) {
        const v = heat.rowHeat(rows, r);
        if (v > 0) {
          this.stats.heatCells++;
          const li = Math.min(255, Math.max(1, Math.round(Math.sqrt(v) * inv * 255))) * 4;
          const lut = style.lut;
          ctx.globalAlpha = ((lut[li + 3] ?? 255) / 255) * 0.85;
          ctx.fillStyle = `rgb(${lut[li] ?? 0},${lut[li + 1] ?? 0},${lut[li + 2] ?? 0})`;
          ctx.fillRect(sx, top, width, h);
        }
      }
      if (h >= 12 && sw >= 60 && rows.names[r]) {
        ctx.globalAlpha = 0.8;
        ctx.fillStyle = style.text;
        ctx.font = style.font;
        ctx.textBaseline = 'middle';
        ctx.textAlign = 'left';
        ctx.fillText(rows.names[r] as string, sx + 4, top + h / 2, width - 8);
      }
    }
    ctx.globalAlpha = 1;
  }

  /**
   * Edit heat: a bar along the strip's right edge on every row where edits landed, its opacity by the
   * row's update count relative to the busiest row (sqrt, so single edits stay visible).
   */
  private drawEdits(
    ctx: CanvasRenderingContext2D,
    room: RoomPresence,
    rows: BlockRows,
    sx: number,
    sw: number,
    style: RenderStyle
  ): void {
    const edits = room.editHeat;
    if (edits.total === 0) return;
    const n = rows.top.length;
    const band = rows.band;
    const counts = edits.counts;
    let maxRow = 0;
    for (let r = 0; r < n; r++) maxRow = Math.max(maxRow, rowSum(counts, r, band));
    if (!(maxRow > 0)) return;
    const inv = 1 / Math.sqrt(maxRow);
    ctx.fillStyle = style.text;
    for (let r = 0; r < n; r++) {
      const v = rowSum(counts, r, band);
      if (!(v > 0)) continue;
      this.stats.editCells++;
      const top = PAD + (rows.top[r] ?? 0);
      const h = Math.max(1, (rows.height[r] ?? 0) - (rows.height[r]! > 3 ? 1 : 0));
      ctx.globalAlpha = 0.25 + 0.7 * Math.sqrt(v) * inv;
      ctx.fillRect(sx + sw - EDIT_W, top, EDIT_W, h);
    }
    ctx.globalAlpha = 1;
  }

  private drawCarets(
    ctx: CanvasRenderingContext2D,
    room: RoomPresence,
    rows: BlockRows,
    sx: number,
    sw: number,
    now: number,
    style: RenderStyle,
    opts: RenderOptions
  ): void {
    const list = room.list;
    if (this.ys.length < list.length) this.ys = new Float32Array(Math.max(64, list.length * 2));
    this.colors.fill(list, style.palette, style.text);
    const ids = this.colors.ids;
    const colors = this.colors.list;
    const ys = this.ys;
    const order = this.order;
    order.length = 0;
    const rules: StaleRules = opts.stale;
    const rightX = sx + sw + 6;
    // Positions, selections and carets.
    for (let i = 0; i < list.length; i++) {
      const u = list[i] as UserEntry;
      const y = this.caretY(u, room, rows);
      ys[i] = y;
      if (!Number.isFinite(y)) continue;
      order.push(i);
      const color = colors[ids[i] ?? 0] ?? style.text;
      const away = u.status === 'away';
      const stale = isStale(u, now, rules);
      this.stats.cursors++;
      if (stale) this.stats.stale++;
      ctx.globalAlpha = away || stale ? 0.45 : 1;
      ctx.fillStyle = color;
      ctx.strokeStyle = color;
      // Selection across blocks: a bar left of the strip from the anchor's block to the caret's.
      if (Number.isFinite(u.anchorBlock) && u.anchorBlock !== u.block) {
        const ay = this.blockY(u.anchorBlock, rows);
        if (Number.isFinite(ay)) {
          ctx.globalAlpha *= 0.6;
          ctx.fillRect(sx - 7, Math.min(ay, y), 4, Math.max(2, Math.abs(ay - y)));
          ctx.globalAlpha = away || stale ? 0.45 : 1;
        }
      } else if (u.selection > 0) {
        ctx.globalAlpha *= 0.6;
        ctx.fillRect(sx - 7, y - 3, 4, 6);
        ctx.globalAlpha = away || stale ? 0.45 : 1;
      }
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(sx - 2, y);
      ctx.lineTo(rightX, y);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(rightX + 3.5, y);
      ctx.arc(rightX, y, 3.5, 0, TAU);
      ctx.fill();
      if (stale) {
        ctx.globalAlpha = 0.9;
        ctx.strokeStyle = style.staleStroke;
        ctx.lineWidth = 1.5;
        ctx.setLineDash(STALE_DASH);
        ctx.beginPath();
        ctx.moveTo(rightX + 8, y);
        ctx.arc(rightX, y, 8, 0, TAU);
        ctx.stroke();
        ctx.setLineDash(NO_DASH);
      }
    }
    // Labels, top to bottom, each below the previous one (never overlapping), in the user's colour.
    if (!opts.showLabels || order.length > opts.labelLimit) return;
    order.sort((a, b) => (ys[a] ?? 0) - (ys[b] ?? 0));
    ctx.font = style.font;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    ctx.lineWidth = 3;
    let nextY = -Infinity;
    const lx = rightX + 10;
    const maxW = Math.max(20, this.width - lx - PAD);
    for (const i of order) {
      const u = list[i] as UserEntry;
      const y = Math.max(ys[i] ?? 0, nextY);
      if (y > this.height - 4) break;
      nextY = y + LABEL_H;
      const text = caretLabel(u);
      ctx.globalAlpha = u.status === 'away' ? 0.6 : 1;
      ctx.strokeStyle = style.textOutline;
      ctx.strokeText(text, lx, y, maxW);
      ctx.fillStyle = colors[ids[i] ?? 0] ?? style.text;
      ctx.fillText(text, lx, y, maxW);
      if (y !== ys[i]) {
        // A leader from the caret to its pushed-down label.
        ctx.globalAlpha = 0.35;
        ctx.strokeStyle = ctx.fillStyle;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(rightX + 4, ys[i] ?? 0);
        ctx.lineTo(lx - 2, y);
        ctx.stroke();
        ctx.lineWidth = 3;
      }
    }
  }

  /** Centre y (px) of block `b`'s row, NaN when not drawn. */
  private blockY(b: number, rows: BlockRows): number {
    const r = rowOf(rows, b);
    if (!Number.isFinite(r)) return NaN;
    const h = rows.height[r] ?? 0;
    // Inside a band, blocks spread over the row's height.
    const within = rows.band > 1 ? ((b % rows.band) + 0.5) / rows.band : 0.5;
    return PAD + (rows.top[r] ?? 0) + h * within;
  }

  private caretY(u: UserEntry, room: RoomPresence, rows: BlockRows): number {
    if (u.root !== room.docRoot || !Number.isFinite(u.block)) return NaN;
    return this.blockY(u.block, rows);
  }
}

/** Edits in the blocks of row `r` (`band` blocks a row). */
function rowSum(counts: Float32Array, r: number, band: number): number {
  let v = 0;
  const end = Math.min(counts.length, (r + 1) * band);
  for (let b = r * band; b < end; b++) v += counts[b] ?? 0;
  return v;
}

function isHeading(name: string | undefined): boolean {
  return name !== undefined && /^(heading|h[1-6]|title)/i.test(name);
}
