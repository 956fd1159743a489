/** Update summaries from `updates` (live window) and `history` (one-shot) frames (contract UPDATES_FIELDS). */
import type { DataFrame } from '@grafana/data';
import { describeFormats, UPDATES_FIELDS as U } from '@collabblocks/protocol';

export interface UpdateEntry {
  id: string;
  ts: number;
  seq: number | null;
  clientId: number | null;
  user: string;
  origin: string;
  bytes: number;
  inserted: number;
  deleted: number;
  paths: string[];
  body: string;
  /** "formatted 12 chars bold" when the update changed formatting (revision-2 `formats`), else ''. */
  formatted: string;
}

function parsePaths(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  if (typeof v !== 'string' || v === '') return [];
  try {
    const parsed: unknown = JSON.parse(v);
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function updatesFromFrame(frame: DataFrame): UpdateEntry[] {
  const col = (n: string): ArrayLike<unknown> => frame.fields.find((f) => f.name === n)?.values ?? [];
  const time = col(U.time);
  const n = time.length;
  const id = col(U.id);
  const seq = col(U.seq);
  const clientId = col(U.clientId);
  const user = col(U.user);
  const origin = col(U.origin);
  const bytes = col(U.bytes);
  const inserted = col(U.inserted);
  const deleted = col(U.deleted);
  const paths = col(U.paths);
  const body = col(U.body);
  const formats = col(U.formats);
  const numOr = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  const out: UpdateEntry[] = [];
  for (let i = 0; i < n; i++) {
    const ts = numOr(time[i], NaN);
    if (!Number.isFinite(ts)) continue;
    const o = typeof origin[i] === 'string' ? (origin[i] as string) : '';
    if (o === 'gap') continue;
    out.push({
      id: typeof id[i] === 'string' ? (id[i] as string) : `${ts}-${i}`,
      ts,
      seq: typeof seq[i] === 'number' ? (seq[i] as number) : null,
      clientId: typeof clientId[i] === 'number' ? (clientId[i] as number) : null,
      user: typeof user[i] === 'string' ? (user[i] as string) : '',
      origin: o,
      bytes: numOr(bytes[i], 0),
      inserted: numOr(inserted[i], 0),
      deleted: numOr(deleted[i], 0),
      paths: parsePaths(paths[i]),
      body: typeof body[i] === 'string' ? (body[i] as string) : '',
      formatted: formatsText(formats[i]),
    });
  }
  return out;
}

/** The formatting an update made, in words ('' when none or malformed). */
export function formatsText(v: unknown): string {
  if (typeof v !== 'string' || v === '') return '';
  try {
    const parsed: unknown = JSON.parse(v);
    if (!Array.isArray(parsed)) return '';
    const ops = parsed.filter(
      (f): f is { key: string; length: number; removed?: boolean } =>
        !!f &&
        typeof f === 'object' &&
        typeof (f as { key?: unknown }).key === 'string' &&
        typeof (f as { length?: unknown }).length === 'number'
    );
    return describeFormats(ops);
  } catch {
    return '';
  }
}

/** Merges update lists by id, sorted by time (then seq). Bounded to the newest `max`. */
export function mergeUpdates(lists: UpdateEntry[][], max = 10_000): UpdateEntry[] {
  const byId = new Map<string, UpdateEntry>();
  for (const l of lists) for (const u of l) byId.set(u.id, u);
  const all = [...byId.values()].sort((a, b) => a.ts - b.ts || (a.seq ?? 0) - (b.seq ?? 0));
  return all.length > max ? all.slice(all.length - max) : all;
}

/** Does tree node `path` relate to an update that touched `touched` (same, below or above it)? */
export function touches(path: string, touched: readonly string[]): 'exact' | 'inside' | null {
  let inside = false;
  for (const t of touched) {
    if (t === path) return 'exact';
    if (path.startsWith(t + '/') || t.startsWith(path + '/')) inside = true;
  }
  return inside ? 'inside' : null;
}
