/**
 * Frame → rows: reads presence frames (contract `PRESENCE_FIELDS` of
 * @collabblocks/protocol) without allocating an object per row — the visitor
 * gets one reused row view.
 */
import type { DataFrame, Field } from '@grafana/data';
import { collabFrameKind, isPlainCssColor, PRESENCE_FIELDS as F } from '@collabblocks/protocol';

export type PresenceScope = 'metadata' | 'content';
export type PresenceStatus = 'editing' | 'idle' | 'away' | 'unknown';

/**
 * What a presence row says about one user — the one definition of these fields: the parser fills them,
 * the store's user entry carries them as they are (`PRESENCE_FIELD_KEYS` are copied on every update).
 */
export interface PresenceFields {
  /** Display name (content scope) or the pseudonym. */
  label: string;
  /** Pointer in `space`: [0, 1] (clamped) for the unit space, page/scene coordinates otherwise; NaN when none. */
  x: number;
  y: number;
  status: PresenceStatus;
  /** Epoch ms, NaN when unknown. */
  lastSeen: number;
  updateCount: number;
  /** The colour the client publishes (as the frame carries it), '' when none. */
  color: string;
  /** Awareness convention recognised by the pod (`yjs-cursor`, `tldraw`, …), '' when unknown. */
  binding: string;
  /**
   * Space of x/y: `unit` ([0, 1], clamped like before), `page` / `scene` / `configured` (unbounded,
   * kept as sent: a canvas view fits its space to them), '' for frames without the column (= unit).
   */
  space: string;
  /** Document location state (`resolved`, `unresolved`, `unknown`), '' when the user has none. */
  locState: string;
  root: string;
  /** 0-based top-level block (line of a Y.Text) and the block count; NaN when not resolved. */
  block: number;
  blocks: number;
  /** Y.Text line (1-based) and column; NaN otherwise. */
  line: number;
  column: number;
  /** Selection length (0: a caret), NaN when unknown; anchor block when the selection spans blocks. */
  selection: number;
  anchorBlock: number;
  /** Innermost element name and the names from the block down (`bulletList › listItem › paragraph`). */
  nodeName: string;
  nodeNames: string;
  /** Epoch ms of the last caret/pointer move or document update (pod clock), NaN when unknown. */
  lastActive: number;
}

/** Presence fields of a row that says nothing (no pointer, no location). */
export function emptyPresenceFields(): PresenceFields {
  return {
    label: '',
    x: NaN,
    y: NaN,
    status: 'unknown',
    lastSeen: NaN,
    updateCount: 0,
    color: '',
    binding: '',
    space: '',
    locState: '',
    root: '',
    block: NaN,
    blocks: NaN,
    line: NaN,
    column: NaN,
    selection: NaN,
    anchorBlock: NaN,
    nodeName: '',
    nodeNames: '',
    lastActive: NaN,
  };
}

/** Every key of PresenceFields (from the one definition above). */
export const PRESENCE_FIELD_KEYS = Object.freeze(
  Object.keys(emptyPresenceFields()) as Array<keyof PresenceFields>
);

/** One parsed row: the user's presence fields plus where they come from. */
export interface PresenceRowView extends PresenceFields {
  room: string;
  user: string;
  clientId: number;
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

/** Page/scene coordinates beyond this are refused (location unknown), whatever a client claims. */
export const MAX_COORD = 1e7;

/** A non-negative integer (block, line, selection…), NaN otherwise. */
const count = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : NaN);

/**
 * A colour the panel may draw with: the plain CSS colours the protocol lets through (`#rgb[a]`,
 * `#rrggbb[aa]`, `rgb()/hsl()` of numbers), '' for anything else (the palette colour is used).
 */
export function cssColor(v: unknown): string {
  return isPlainCssColor(v) ? v : '';
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
    ...emptyPresenceFields(),
    room: '',
    user: '',
    clientId: 0,
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
    const fColor = fieldByName(frame, F.color);
    const fBinding = fieldByName(frame, F.binding);
    const fSpace = fieldByName(frame, F.space);
    const fLoc = fieldByName(frame, F.locState);
    const fRoot = fieldByName(frame, F.root);
    const fBlock = fieldByName(frame, F.block);
    const fBlocks = fieldByName(frame, F.blocks);
    const fLine = fieldByName(frame, F.line);
    const fColumn = fieldByName(frame, F.column);
    const fSel = fieldByName(frame, F.selection);
    const fAnchor = fieldByName(frame, F.anchorBlock);
    const fNode = fieldByName(frame, F.nodeName);
    const fNodes = fieldByName(frame, F.nodeNames);
    const fActive = fieldByName(frame, F.lastActive);
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
      const space = str(at(fSpace, i));
      row.space = space === 'unit' ? '' : space.slice(0, 16);
      if (!Number.isFinite(row.x) || !Number.isFinite(row.y)) {
        row.x = NaN;
        row.y = NaN;
      } else if (row.space === '') {
        row.x = clamp01(row.x);
        row.y = clamp01(row.y);
      } else if (Math.abs(row.x) > MAX_COORD || Math.abs(row.y) > MAX_COORD) {
        // A lying pointer (1e300) would flatten everyone else into one pixel: location unknown.
        row.x = NaN;
        row.y = NaN;
      }
      row.color = cssColor(at(fColor, i));
      row.binding = str(at(fBinding, i)).slice(0, 32);
      const loc = str(at(fLoc, i));
      row.locState = loc === 'resolved' || loc === 'unresolved' || loc === 'unknown' ? loc : '';
      row.root = str(at(fRoot, i)).slice(0, 128);
      row.blocks = count(at(fBlocks, i));
      row.block = count(at(fBlock, i));
      if (!(row.block < row.blocks)) row.block = NaN;
      if (Number.isNaN(row.block)) row.blocks = NaN;
      row.line = count(at(fLine, i));
      row.column = count(at(fColumn, i));
      row.selection = count(at(fSel, i));
      row.anchorBlock = count(at(fAnchor, i));
      if (!(row.anchorBlock < row.blocks)) row.anchorBlock = NaN;
      row.nodeName = str(at(fNode, i)).slice(0, 64);
      row.nodeNames = str(at(fNodes, i)).slice(0, 256);
      row.lastActive = num(at(fActive, i));
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
