/**
 * Edit heat of the document view: where edits landed, per top-level block, from the update rows the
 * panel's data holds (an `updates` query: the live window; a `history` query: the dashboard's time range),
 * joined with the blocks by path. An update that touched `/<root>/<i>/…` landed in block `i` of the room's
 * document (an XmlFragment's elements: ProseMirror, TipTap, BlockNote); each update counts once per block it
 * touched, each update once however many frames repeat it (by `id`). Updates on the root itself (a block
 * inserted or removed, or a Y.Text, whose summaries carry no line) have no block and are not counted.
 * Structure only: the rows' paths and ids, never their text. Bounded: the newest MAX_UPDATE_ROWS rows.
 */
import type { DataFrame, Field } from '@grafana/data';
import { collabFrameKind, splitPath, UPDATES_FIELDS as U } from '@collabblocks/protocol';

export const MAX_UPDATE_ROWS = 20_000;

export interface EditHeat {
  /** Updates per block (index = block); length = the document's block count. */
  counts: Float32Array;
  /** Largest count, and updates counted in any block. */
  max: number;
  total: number;
}

export const NO_EDIT_HEAT: EditHeat = { counts: new Float32Array(0), max: 0, total: 0 };

function pathsOf(v: unknown): readonly unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v !== 'string' || v === '' || v[0] !== '[') return [];
  try {
    const parsed: unknown = JSON.parse(v);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
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

/** Edit heat of `room`'s document `root` (`blocks` blocks) from the update frames in `frames`. */
export function editHeatOf(
  frames: readonly DataFrame[],
  room: string,
  root: string,
  blocks: number
): EditHeat {
  if (!root || !(blocks > 0)) return NO_EDIT_HEAT;
  const counts = new Float32Array(blocks);
  const seen = new Set<string>();
  let total = 0;
  let max = 0;
  let rows = 0;
  const touched: number[] = [];
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
    const n = paths.values.length;
    // Newest rows last: read from the end so the bound keeps the newest.
    for (let i = n - 1; i >= 0 && rows < MAX_UPDATE_ROWS; i--) {
      const rr = roomF?.values[i];
      if (typeof rr === 'string' && rr !== '' && rr !== room) continue;
      if (origin?.values[i] === 'gap') continue;
      const id = ids?.values[i];
      if (typeof id === 'string' && id !== '') {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      rows++;
      touched.length = 0;
      for (const p of pathsOf(paths.values[i])) {
        const b = blockOfPath(p, root, blocks);
        if (b >= 0 && !touched.includes(b)) touched.push(b);
      }
      for (const b of touched) {
        const v = (counts[b] ?? 0) + 1;
        counts[b] = v;
        if (v > max) max = v;
      }
      if (touched.length > 0) total++;
    }
  }
  return total > 0 ? { counts, max, total } : NO_EDIT_HEAT;
}
