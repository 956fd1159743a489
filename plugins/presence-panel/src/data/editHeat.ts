/**
 * Edit heat of the document view: where edits landed, per top-level block, from the update rows the
 * panel's data holds (an `updates` query: the live window; a `history` query: the dashboard's time range),
 * restricted to the dashboard's time range. An XmlFragment's blocks (ProseMirror, TipTap, BlockNote
 * elements) are joined by path: an update that touched `/<root>/<i>/…` landed in block `i`. A Y.Text's
 * blocks are its lines (CodeMirror, Monaco, Quill): an update landed on the lines its summary's `lines`
 * column names for `/<root>`. Each update counts once per block it touched, each update once however many
 * frames repeat it (by `id`). Updates on an XmlFragment root itself (a block inserted or removed) have no
 * block and are not counted. Structure only: the rows' paths, lines and ids, never their text. Bounded:
 * the newest MAX_UPDATE_ROWS rows.
 */
import { dateMath, type DataFrame, type Field, type TimeRange } from '@grafana/data';
import { collabFrameKind, joinPath, splitPath, UPDATES_FIELDS as U } from '@collabblocks/protocol';

export const MAX_UPDATE_ROWS = 20_000;

export interface EditHeat {
  /** Updates per block (index = block); length = the document's block count. */
  counts: Float32Array;
  /** Largest count, and updates counted in any block. */
  max: number;
  total: number;
}

export const NO_EDIT_HEAT: EditHeat = { counts: new Float32Array(0), max: 0, total: 0 };

/** Update times counted (epoch ms, inclusive): the dashboard's range; `to` Infinity for a range ending now. */
export interface HeatWindow {
  from: number;
  to: number;
}

export const ALL_TIME: HeatWindow = { from: -Infinity, to: Infinity };

/**
 * The window of the dashboard's time range at `now`: a relative range (`now-1h` … `now`) is evaluated
 * afresh, so the heat slides with time between queries; a range reaching the present has no upper bound
 * (update times are the pod's clock, which may run ahead of the browser's). No range: all time.
 */
export function heatWindowOf(range: TimeRange | undefined, now: number): HeatWindow {
  if (!range) return ALL_TIME;
  const at = (raw: unknown, fallback: number, roundUp: boolean): number => {
    if (typeof raw === 'string') {
      const t = dateMath.parse(raw, roundUp)?.valueOf();
      if (typeof t === 'number' && Number.isFinite(t)) return t;
    }
    return Number.isFinite(fallback) ? fallback : NaN;
  };
  const from = at(range.raw.from, range.from.valueOf(), false);
  const to = at(range.raw.to, range.to.valueOf(), true);
  return {
    from: Number.isFinite(from) ? from : -Infinity,
    to: !Number.isFinite(to) || to >= now ? Infinity : to,
  };
}

function jsonArray(v: unknown): readonly unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v !== 'string' || v === '' || v[0] !== '[') return [];
  try {
    const parsed: unknown = JSON.parse(v);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

const pathsOf = jsonArray;

/**
 * Calls `touch` with each line (0-based, below `blocks`) a `lines` cell names for the Y.Text at
 * `rootPath` (at most `blocks` lines per range, whatever the cell claims).
 */
export function forEachLine(
  v: unknown,
  rootPath: string,
  blocks: number,
  touch: (line: number) => void
): void {
  for (const r of jsonArray(v)) {
    if (typeof r !== 'object' || r === null) continue;
    const { path, from, to } = r as { path?: unknown; from?: unknown; to?: unknown };
    if (path !== rootPath || typeof from !== 'number' || typeof to !== 'number') continue;
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from) continue;
    for (let l = from; l <= to && l < blocks; l++) touch(l);
  }
}

/** Block index an update path lands in (`/<root>/<i>/…` → i), or -1. */
export function blockOfPath(path: unknown, root: string, blocks: number): number {
  if (typeof path !== 'string' || !path.startsWith('/')) return -1;
  let segs: string[];
  try {
    segs = splitPath(path);
  } catch {
    return -1;
  }
  if (segs.length < 2 || segs[0] !== root) return -1;
  const s = segs[1] as string;
  if (!/^\d{1,9}$/.test(s)) return -1;
  const i = Number(s);
  return i < blocks ? i : -1;
}

/**
 * Edit heat of `room`'s document `root` (`blocks` blocks, or lines) from the update frames in `frames`,
 * counting updates whose time lies in `window`.
 */
export function editHeatOf(
  frames: readonly DataFrame[],
  room: string,
  root: string,
  blocks: number,
  window: HeatWindow = ALL_TIME
): EditHeat {
  if (!root || !(blocks > 0)) return NO_EDIT_HEAT;
  const rootPath = joinPath('', root);
  const counts = new Float32Array(blocks);
  const seen = new Set<string>();
  let total = 0;
  let max = 0;
  let rows = 0;
  // Per block, the last row (1-based count) that touched it: each update counts once per block.
  const lastRow = new Int32Array(blocks);
  let touchedRow = false;
  const touch = (b: number): void => {
    if (lastRow[b] === rows) return;
    lastRow[b] = rows;
    touchedRow = true;
    const v = (counts[b] ?? 0) + 1;
    counts[b] = v;
    if (v > max) max = v;
  };
  for (const f of frames) {
    const kind = collabFrameKind(f.meta as { custom?: Record<string, unknown> } | undefined);
    if (kind !== 'updates' && kind !== 'history') continue;
    const r = f.meta?.custom?.room;
    if (typeof r === 'string' && r !== room) continue;
    const get = (n: string): Field | undefined => f.fields.find((x) => x.name === n);
    const paths = get(U.paths);
    if (!paths) continue;
    const ids = get(U.id);
    const roomF = get(U.room);
    const origin = get(U.origin);
    const times = get(U.time);
    const lines = get(U.lines);
    const timed = window.from > -Infinity || window.to < Infinity;
    const n = paths.values.length;
    // Newest rows last: read from the end so the bound keeps the newest.
    for (let i = n - 1; i >= 0 && rows < MAX_UPDATE_ROWS; i--) {
      const rr = roomF?.values[i];
      if (typeof rr === 'string' && rr !== '' && rr !== room) continue;
      if (origin?.values[i] === 'gap') continue;
      if (timed) {
        const t = timeOf(times?.values[i]);
        if (!(t >= window.from && t <= window.to)) continue;
      }
      const id = ids?.values[i];
      if (typeof id === 'string' && id !== '') {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      rows++;
      touchedRow = false;
      for (const p of pathsOf(paths.values[i])) {
        const b = blockOfPath(p, root, blocks);
        if (b >= 0) touch(b);
      }
      if (lines) forEachLine(lines.values[i], rootPath, blocks, touch);
      if (touchedRow) total++;
    }
  }
  return total > 0 ? { counts, max, total } : NO_EDIT_HEAT;
}

function timeOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string' && v !== '') return Number.isNaN(Number(v)) ? Date.parse(v) : Number(v);
  return NaN;
}
