/**
 * The document view's model and layout: a vertical minimap of a text or rich-text document's top-level
 * blocks (lines of a Y.Text), with each block's node type and size when a tree frame of the room is in
 * the data, where each user's caret and selection are, and a decaying heat per block of where people
 * have been. Pure: the renderer draws what `layoutBlocks` returns.
 */
import type { DataFrame, Field } from '@grafana/data';
import { collabFrameKind, TREE_FIELDS as T } from '@collabblocks/protocol';

/** Most blocks drawn one by one; longer documents are drawn as equal bands of blocks. */
export const MAX_DRAWN_BLOCKS = 4_000;

export interface BlockInfo {
  /** Element name (`paragraph`, `heading`…) or the Yjs type ('' unknown). */
  name: string;
  /** The tree's `size` of the block (characters / children), 0 unknown. */
  size: number;
}

/**
 * Top-level blocks of `root` from a tree frame of the room (`/<root>/<index>` rows), in index order;
 * [] when the data holds no such frame. Only rows directly under the root are read.
 */
export function blocksFromTree(frames: readonly DataFrame[], room: string, root: string): BlockInfo[] {
  if (!root) return [];
  const parent = `/${root.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  for (const f of frames) {
    if (collabFrameKind(f.meta as { custom?: Record<string, unknown> } | undefined) !== 'tree') continue;
    const r = f.meta?.custom?.room;
    if (typeof r === 'string' && r !== room) continue;
    const get = (n: string): Field | undefined => f.fields.find((x) => x.name === n);
    const path = get(T.path);
    const parentF = get(T.parentPath);
    if (!path || !parentF) continue;
    const nodeName = get(T.nodeName);
    const type = get(T.type);
    const size = get(T.size);
    const out: BlockInfo[] = [];
    const n = Math.min(f.length ?? path.values.length, path.values.length);
    for (let i = 0; i < n; i++) {
      if (parentF.values[i] !== parent) continue;
      const p = String(path.values[i]);
      const idx = Number(p.slice(parent.length + 1));
      if (!Number.isInteger(idx) || idx < 0 || idx >= MAX_DRAWN_BLOCKS * 4) continue;
      const nm = nodeName?.values[i];
      const ty = type?.values[i];
      const sz = size?.values[i];
      out[idx] = {
        name: typeof nm === 'string' && nm ? nm : typeof ty === 'string' ? ty : '',
        size: typeof sz === 'number' && Number.isFinite(sz) && sz > 0 ? sz : 0,
      };
    }
    if (out.length > 0) {
      for (let i = 0; i < out.length; i++) if (!out[i]) out[i] = { name: '', size: 0 };
      return out;
    }
  }
  return [];
}

export interface BlockRows {
  /** Blocks per drawn row (1 unless the document is longer than the rows available). */
  band: number;
  /** Drawn rows: top y and height (px) of each. */
  top: Float64Array;
  height: Float64Array;
  /** The dominant node name of each row ('' unknown). */
  names: string[];
}

/**
 * Lays `blocks` blocks out in `height` px: heights grow with the block's size (log scale, so one long
 * paragraph does not squeeze the rest out) when sizes are known, equal otherwise; at least `minRow` px
 * per row — longer documents are grouped into equal bands of blocks.
 */
export function layoutBlocks(
  blocks: number,
  info: readonly BlockInfo[],
  height: number,
  minRow = 3
): BlockRows {
  const n = Math.max(0, Math.floor(blocks));
  const h = Math.max(1, height);
  const maxRows = Math.max(1, Math.min(MAX_DRAWN_BLOCKS, Math.floor(h / minRow)));
  const band = n <= maxRows ? 1 : Math.ceil(n / maxRows);
  const rows = band === 0 ? 0 : Math.ceil(n / band);
  const weight = new Float64Array(rows);
  const names: string[] = new Array<string>(rows).fill('');
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let w = 0;
    for (let b = r * band; b < Math.min(n, (r + 1) * band); b++) {
      const bi = info[b];
      w += 1 + (bi && bi.size > 0 ? Math.log2(1 + bi.size) / 4 : 0);
      if (!names[r] && bi?.name) names[r] = bi.name;
    }
    weight[r] = w;
    total += w;
  }
  const top = new Float64Array(rows);
  const hh = new Float64Array(rows);
  let y = 0;
  for (let r = 0; r < rows; r++) {
    top[r] = y;
    hh[r] = total > 0 ? ((weight[r] ?? 0) / total) * h : 0;
    y += hh[r] ?? 0;
  }
  return { band, top, height: hh, names };
}

/** Row of block `b` (NaN when out of range). */
export function rowOf(rows: BlockRows, b: number): number {
  const r = Math.floor(b / rows.band);
  return b >= 0 && r < rows.top.length ? r : NaN;
}

/**
 * Heat per block: seconds of presence (weighted samples) that decay with a half-life, bounded to
 * MAX_DRAWN_BLOCKS × 4 blocks; resized (kept where it fits) when the document's block count changes.
 */
export class BlockHeat {
  cells = new Float32Array(0);
  max = 0;
  total = 0;
  private lastDecayAt: number | undefined;

  constructor(public halfLifeMs: number) {}

  resize(blocks: number): void {
    const n = Math.max(0, Math.min(MAX_DRAWN_BLOCKS * 4, Math.floor(blocks)));
    if (n === this.cells.length) return;
    const next = new Float32Array(n);
    next.set(this.cells.subarray(0, Math.min(n, this.cells.length)));
    this.cells = next;
    this.recount();
  }

  add(block: number, weight: number): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.cells.length || !(weight > 0)) return;
    const v = (this.cells[block] ?? 0) + weight;
    this.cells[block] = v;
    this.total += weight;
    if (v > this.max) this.max = v;
  }

  decay(now: number): void {
    if (this.lastDecayAt === undefined || !(this.halfLifeMs > 0)) {
      this.lastDecayAt = now;
      return;
    }
    const dt = now - this.lastDecayAt;
    if (!(dt > 0)) return;
    this.lastDecayAt = now;
    const f = Math.pow(0.5, dt / this.halfLifeMs);
    const c = this.cells;
    for (let i = 0; i < c.length; i++) {
      const v = (c[i] ?? 0) * f;
      c[i] = v < 1e-3 ? 0 : v;
    }
    this.recount();
  }

  private recount(): void {
    let max = 0;
    let total = 0;
    for (const v of this.cells) {
      total += v;
      if (v > max) max = v;
    }
    this.max = max;
    this.total = total;
  }

  /** Heat of a drawn row (sum over its band). */
  rowHeat(rows: BlockRows, r: number): number {
    let s = 0;
    for (let b = r * rows.band; b < Math.min(this.cells.length, (r + 1) * rows.band); b++)
      s += this.cells[b] ?? 0;
    return s;
  }
}

export type PresenceView = 'document' | 'canvas';

/**
 * The view a room is shown in: `document` when more of its users have a document location (a text or
 * rich-text binding) than a canvas pointer, `canvas` otherwise (tldraw, Excalidraw, the simulator, or
 * nobody located yet). `override` (panel option) wins unless it is `auto`.
 */
export function pickView(
  users: ReadonlyArray<{ locState: string; x: number }>,
  override: 'auto' | PresenceView
): PresenceView {
  if (override !== 'auto') return override;
  let doc = 0;
  let pointers = 0;
  for (const u of users) {
    if (u.locState !== '') doc++;
    else if (Number.isFinite(u.x)) pointers++;
  }
  return doc > pointers ? 'document' : 'canvas';
}
