/**
 * Presence heatmap over document position: time buckets (x) × top-level blocks (y) — lines for a Y.Text
 * root — counting where carets sit (`presence`) or where edits land (`edits`), as Grafana's dense
 * `heatmap-cells` frame (contract `DOC_HEATMAP_FIELDS`, the layout `heatmap.ts` already checks against
 * Grafana's reader: xMin, yMin, count; y varying fastest), so the core Heatmap panel shows it too.
 */
import { createDataFrame, type DataFrame, DataFrameType, FieldType } from '@grafana/data';
import {
  DOC_HEATMAP_FIELDS as F,
  type DocHeatmapFrameCustom,
  FRAME_LIMITS,
  joinPath,
  type PresenceUser,
  splitPath,
  type UpdateSummary,
} from '@collabblocks/protocol';

import { collabMeta } from './common';

export type DocHeatmapMeasure = DocHeatmapFrameCustom['measure'];

export interface DocHeatmapOptions {
  /** Width of a time bucket (ms). */
  bucketMs: number;
  /** Most time buckets kept (the newest); older samples are dropped. */
  maxBuckets?: number;
  /** Most block rows: longer documents are grouped into equal bands of blocks. */
  maxRows?: number;
  /** Most samples kept (the oldest dropped first). */
  maxSamples?: number;
}

export const DOC_HEATMAP_DEFAULTS = { maxBuckets: 100, maxRows: 100, maxSamples: 100_000 } as const;
/** Most lines one update counts in (a paste of more lines counts in its first ones). */
export const MAX_LINES_PER_UPDATE = 10_000;

/**
 * Time bucket width: the query's `bucketSeconds` when it is a positive number, else the dashboard range
 * cut in 100 buckets, at least 1 s.
 */
export function docHeatmapBucketMs(bucketSeconds: unknown, fromMs: number, toMs: number): number {
  if (typeof bucketSeconds === 'number' && Number.isFinite(bucketSeconds) && bucketSeconds > 0) {
    return Math.max(1000, Math.round(bucketSeconds * 1000));
  }
  const span = Number.isFinite(toMs - fromMs) && toMs > fromMs ? toMs - fromMs : 3_600_000;
  return Math.max(1000, Math.ceil(span / DOC_HEATMAP_DEFAULTS.maxBuckets / 1000) * 1000);
}

/**
 * The block an update's path lies in, when it is under `root`'s top-level children (`/<root>/<index>…`);
 * null for other roots, the root itself, map keys and malformed paths.
 */
export function blockOfPath(path: string, root: string): number | null {
  let segs: string[];
  try {
    segs = splitPath(path);
  } catch {
    return null;
  }
  if (segs.length < 2 || segs[0] !== root) return null;
  const s = segs[1] as string;
  if (!/^(0|[1-9][0-9]{0,8})$/.test(s)) return null;
  return Number(s);
}

/**
 * Samples (time, block) of one room and one root. The root and the number of blocks follow the newest
 * resolved location (a document grows and shrinks); samples of another root are ignored. Bounded in
 * samples, buckets and rows, whatever the stream sends.
 */
export class DocHeatmap {
  readonly bucketMs: number;
  private readonly maxBuckets: number;
  private readonly maxRows: number;
  private readonly maxSamples: number;
  private ts: number[] = [];
  private blocksAt: number[] = [];
  root = '';
  blocks = 0;

  constructor(
    readonly measure: DocHeatmapMeasure,
    opts: DocHeatmapOptions
  ) {
    if (!Number.isFinite(opts.bucketMs) || opts.bucketMs <= 0) throw new Error('bucket width must be > 0 ms');
    this.bucketMs = Math.max(1, Math.floor(opts.bucketMs));
    this.maxBuckets = clampInt(opts.maxBuckets ?? DOC_HEATMAP_DEFAULTS.maxBuckets, 1, 1_000);
    this.maxRows = clampInt(opts.maxRows ?? DOC_HEATMAP_DEFAULTS.maxRows, 1, 1_000);
    this.maxSamples = clampInt(opts.maxSamples ?? DOC_HEATMAP_DEFAULTS.maxSamples, 1, 1_000_000);
  }

  get samples(): number {
    return this.ts.length;
  }

  /** Follows a user's resolved location: its root becomes the y axis, its block count the rows. */
  observeLocation(u: PresenceUser): { root: string; block: number } | null {
    const loc = u.location;
    if (loc?.state !== 'resolved' || !loc.root || loc.block === undefined) return null;
    if (loc.root !== this.root) {
      if (this.root !== '' && this.samples > 0 && loc.blocks === undefined) return null;
      if (this.root !== '') this.clear();
      this.root = loc.root;
    }
    if (loc.blocks !== undefined) this.blocks = loc.blocks;
    return { root: loc.root, block: loc.block };
  }

  /** One caret sample per located user (presence measure). */
  addPresence(users: readonly PresenceUser[], ts: number): void {
    if (this.measure !== 'presence') return;
    for (const u of users) {
      const at = this.observeLocation(u);
      if (at) this.add(ts, at.block);
    }
  }

  /**
   * The blocks an update touched under the current root, once per block (edits measure): an
   * XmlFragment's blocks from the update's paths, a Y.Text's lines from its `lines` (revision 3).
   */
  addUpdate(u: UpdateSummary): void {
    if (this.measure !== 'edits' || this.root === '') return;
    const seen = new Set<number>();
    for (const p of u.paths) {
      const b = blockOfPath(p, this.root);
      if (b !== null && !seen.has(b)) {
        seen.add(b);
        this.add(u.ts, b);
      }
    }
    const rootPath = joinPath('', this.root);
    let budget = MAX_LINES_PER_UPDATE;
    for (const r of u.lines ?? []) {
      if (r.path !== rootPath) continue;
      for (let l = r.from; l <= r.to && budget > 0; l++) {
        if (seen.has(l)) continue;
        seen.add(l);
        budget--;
        this.add(u.ts, l);
      }
    }
  }

  add(ts: number, block: number): void {
    if (!Number.isFinite(ts) || ts < 0 || !Number.isInteger(block) || block < 0) return;
    this.ts.push(ts);
    this.blocksAt.push(block);
    if (block + 1 > this.blocks) this.blocks = block + 1;
    if (this.ts.length > this.maxSamples) {
      const cut = this.ts.length - this.maxSamples;
      this.ts.splice(0, cut);
      this.blocksAt.splice(0, cut);
    }
  }

  clear(): void {
    this.ts = [];
    this.blocksAt = [];
    this.blocks = 0;
  }

  /**
   * Dense cells: x = bucket start (epoch ms, regular), y = first block of a band (regular, `band` blocks
   * per row), y varying fastest. At most maxBuckets × maxRows cells and never more than the frame cap.
   */
  cells(): { xMin: number[]; yMin: number[]; count: number[]; band: number; rows: number; buckets: number } {
    const empty = { xMin: [], yMin: [], count: [], band: 1, rows: 0, buckets: 0 };
    if (this.ts.length === 0 || this.blocks === 0) return empty;
    let last = -Infinity;
    for (const t of this.ts) if (t > last) last = t;
    const lastBucket = Math.floor(last / this.bucketMs);
    let first = lastBucket;
    for (const t of this.ts) first = Math.min(first, Math.floor(t / this.bucketMs));
    let rows = Math.min(this.maxRows, this.blocks);
    let buckets = Math.min(this.maxBuckets, lastBucket - first + 1);
    // Never beyond the frame cap: fewer buckets first (the newest stay).
    if (rows * buckets > FRAME_LIMITS.maxRows) buckets = Math.max(1, Math.floor(FRAME_LIMITS.maxRows / rows));
    if (rows * buckets > FRAME_LIMITS.maxRows) rows = Math.floor(FRAME_LIMITS.maxRows / buckets);
    const band = Math.ceil(this.blocks / rows);
    rows = Math.ceil(this.blocks / band);
    const firstKept = lastBucket - buckets + 1;
    const counts = new Float64Array(buckets * rows);
    for (let i = 0; i < this.ts.length; i++) {
      const b = Math.floor((this.ts[i] as number) / this.bucketMs) - firstKept;
      if (b < 0) continue;
      const r = Math.min(rows - 1, Math.floor((this.blocksAt[i] as number) / band));
      counts[b * rows + r] = (counts[b * rows + r] ?? 0) + 1;
    }
    const xMin: number[] = [];
    const yMin: number[] = [];
    for (let b = 0; b < buckets; b++) {
      for (let r = 0; r < rows; r++) {
        xMin.push((firstKept + b) * this.bucketMs);
        yMin.push(r * band);
      }
    }
    return { xMin, yMin, count: [...counts], band, rows, buckets };
  }
}

/**
 * The `docHeatmap` frame (`heatmap-cells`, three fields: xMin as a time, yMin the first block of a band,
 * count). `meta.custom` follows `DocHeatmapFrameCustom` plus the band and bucket counts.
 */
export function buildDocHeatmapFrame(map: DocHeatmap, opts: { refId: string; room: string }): DataFrame {
  const c = map.cells();
  // `meta.custom` = DocHeatmapFrameCustom (collabFrame added by collabMeta) plus band and bucket counts.
  const extra: Omit<DocHeatmapFrameCustom, 'collabFrame'> & { band: number; rows: number; buckets: number } =
    {
      room: opts.room,
      root: map.root,
      measure: map.measure,
      bucketMs: map.bucketMs,
      blocks: map.blocks,
      samples: map.samples,
      band: c.band,
      rows: c.rows,
      buckets: c.buckets,
    };
  return createDataFrame({
    refId: opts.refId,
    name: map.measure === 'edits' ? 'edits by block' : 'presence by block',
    meta: collabMeta('docHeatmap', extra, { type: DataFrameType.HeatmapCells }),
    fields: [
      { name: F.xMin, type: FieldType.time, values: c.xMin },
      {
        name: F.yMin,
        type: FieldType.number,
        values: c.yMin,
        config: { displayName: map.root ? `${map.root} block` : 'block', decimals: 0 },
      },
      { name: F.count, type: FieldType.number, values: c.count, config: { unit: 'short' } },
    ],
  });
}

function clampInt(v: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.floor(Number.isFinite(v) ? v : min)));
}
