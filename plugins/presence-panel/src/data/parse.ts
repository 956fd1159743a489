/**
 * Frame → rows: reads presence frames (contract `PRESENCE_FIELDS` of
 * @collabblocks/protocol) without allocating an object per row — the visitor
 * gets one reused row view.
 */
import type { DataFrame, Field } from '@grafana/data';
import { collabFrameKind, PRESENCE_FIELDS as F } from '@collabblocks/protocol';

export type PresenceScope = 'metadata' | 'content';
export type PresenceStatus = 'editing' | 'idle' | 'away' | 'unknown';

export interface PresenceRowView {
  room: string;
  user: string;
  /** Display name (content scope) or the pseudonym. */
  label: string;
  clientId: number;
  /** In [0, 1] (values outside are clamped to the edge); NaN when the client has no cursor. */
  x: number;
  y: number;
  status: PresenceStatus;
  /** Epoch ms, NaN when unknown. */
  lastSeen: number;
  updateCount: number;
  scope: PresenceScope;
  /** The frame's `meta.custom.ts` (epoch ms of the last presence message folded in), NaN when absent. */
  ts: number;
}

function fieldByName(frame: DataFrame, name: string): Field | undefined {
  return frame.fields.find((f) => f.name === name);
}

/** A frame is read when it says it is a presence frame, or (other sources) has `user` and `x`/`y` fields. */
export function isPresenceFrame(frame: DataFrame): boolean {
  const kind = collabFrameKind(frame.meta as { custom?: Record<string, unknown> } | undefined);
  if (kind !== undefined) return kind === 'presence';
  return (
    fieldByName(frame, F.user) !== undefined &&
    fieldByName(frame, F.x) !== undefined &&
    fieldByName(frame, F.y) !== undefined
  );
}

export function frameScope(frame: DataFrame): PresenceScope {
  return frame.meta?.custom?.scope === 'content' ? 'content' : 'metadata';
}

function frameRoom(frame: DataFrame): string {
  const r = frame.meta?.custom?.room;
  if (typeof r === 'string' && r) return r;
  return frame.name || frame.refId || 'room';
}

/** The frame's `meta.custom.ts` (epoch ms), NaN when absent or not a finite number. */
export function frameTs(frame: DataFrame): number {
  const ts: unknown = frame.meta?.custom?.ts;
  return typeof ts === 'number' && Number.isFinite(ts) ? ts : NaN;
}

/** Cursor coordinates are normalised to [0, 1]; outside values are clamped to the edge. */
export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

export function normaliseStatus(v: unknown): PresenceStatus {
  if (typeof v !== 'string') return 'unknown';
  const s = v.toLowerCase();
  return s === 'editing' || s === 'idle' || s === 'away' ? s : 'unknown';
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);
const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);

const at = (f: Field | undefined, i: number): unknown =>
  f ? (f.values as ArrayLike<unknown>)[i] : undefined;

export interface ParseStats {
  frames: number;
  rows: number;
  /** Rows without a user id (skipped). */
  skipped: number;
}

/**
 * Calls `visit` for every row of every presence frame. The row object is
 * reused between calls: copy what you keep. Labels are the pseudonym unless
 * the frame carries `content` scope.
 */
export function forEachPresenceRow(
  frames: readonly DataFrame[],
  visit: (row: PresenceRowView) => void
): ParseStats {
  const stats: ParseStats = { frames: 0, rows: 0, skipped: 0 };
  const row: PresenceRowView = {
    room: '',
    user: '',
    label: '',
    clientId: 0,
    x: NaN,
    y: NaN,
    status: 'unknown',
    lastSeen: NaN,
    updateCount: 0,
    scope: 'metadata',
    ts: NaN,
  };
  for (const frame of frames) {
    if (!isPresenceFrame(frame)) continue;
    stats.frames++;
    const scope = frameScope(frame);
    const defaultRoom = frameRoom(frame);
    const ts = frameTs(frame);
    const fRoom = fieldByName(frame, F.room);
    const fUser = fieldByName(frame, F.user);
    const fLabel = fieldByName(frame, F.label);
    const fClient = fieldByName(frame, F.clientId);
    const fX = fieldByName(frame, F.x);
    const fY = fieldByName(frame, F.y);
    const fStatus = fieldByName(frame, F.status);
    const fSeen = fieldByName(frame, F.lastSeen);
    const fCount = fieldByName(frame, F.updateCount);
    const length = frame.length ?? fUser?.values.length ?? 0;
    for (let i = 0; i < length; i++) {
      const user = str(at(fUser, i));
      if (!user) {
        stats.skipped++;
        continue;
      }
      stats.rows++;
      row.room = str(at(fRoom, i)) || defaultRoom;
      row.user = user;
      const label = str(at(fLabel, i));
      row.label = scope === 'content' && label ? label : user;
      const cid = num(at(fClient, i));
      row.clientId = Number.isFinite(cid) ? cid : 0;
      row.x = num(at(fX, i));
      row.y = num(at(fY, i));
      if (!Number.isFinite(row.x) || !Number.isFinite(row.y)) {
        row.x = NaN;
        row.y = NaN;
      } else {
        row.x = clamp01(row.x);
        row.y = clamp01(row.y);
      }
      row.status = normaliseStatus(at(fStatus, i));
      row.lastSeen = num(at(fSeen, i));
      const c = num(at(fCount, i));
      row.updateCount = Number.isFinite(c) ? c : 0;
      row.scope = scope;
      row.ts = ts;
      visit(row);
    }
  }
  return stats;
}
