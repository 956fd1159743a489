/**
 * Text alternatives for the canvas (screen readers): the room, who is there
 * and where attention has been. Pure, bounded work (one pass over the users
 * and the heatmap cells).
 */
import type { PresenceView } from './docLayout';
import type { HeatGrid } from './heatmap';
import { isStale, type StaleRules } from './staleness';
import type { RoomPresence, UserEntry } from './store';

const ROWS = ['top', 'middle', 'bottom'] as const;
const COLS = ['left', 'centre', 'right'] as const;

/** Region (thirds of the canvas) of a normalised point: "top left", "centre", "bottom centre", … */
export function regionName(x: number, y: number): string {
  const third = (v: number) => Math.max(0, Math.min(2, Math.floor(v * 3)));
  const row = ROWS[third(y)] ?? 'middle';
  const col = COLS[third(x)] ?? 'centre';
  if (row === 'middle' && col === 'centre') return 'centre';
  if (row === 'middle') return `middle ${col}`;
  return `${row} ${col}`;
}

/** Region of the hottest heatmap cell, or '' when the heatmap is empty. */
export function hotspotRegion(heat: HeatGrid): string {
  if (!(heat.max > 0)) return '';
  const cells = heat.cells;
  let best = -1;
  let bestV = 0;
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i] ?? 0;
    if (v > bestV) {
      bestV = v;
      best = i;
    }
  }
  if (best < 0) return '';
  const n = heat.size;
  return regionName(((best % n) + 0.5) / n, (Math.floor(best / n) + 0.5) / n);
}

/**
 * The canvas' accessible name, e.g. "Presence in room acme/doc: 3 users (1 stale), 2 cursors shown.
 * Most activity: top left."
 */
export function describeRoom(
  room: RoomPresence,
  now: number,
  rules: StaleRules,
  view: PresenceView = 'canvas'
): string {
  if (view === 'document') return describeDocument(room, now, rules);
  let users = 0;
  let stale = 0;
  let cursors = 0;
  for (const u of room.list) {
    users++;
    if (isStale(u, now, rules)) stale++;
    if (Number.isFinite(u.x)) cursors++;
  }
  const who =
    users === 0
      ? 'nobody'
      : `${users} ${users === 1 ? 'user' : 'users'}${stale > 0 ? ` (${stale} stale)` : ''}, ` +
        `${cursors} ${cursors === 1 ? 'cursor' : 'cursors'} shown`;
  const hot = hotspotRegion(room.heat);
  return `Presence in room ${room.name}: ${who}. ${hot ? `Most activity: ${hot}.` : 'No activity recorded yet.'}`;
}

/** Block of the hottest block-heat cell (1-based), or 0 when the block heat is empty. */
export function hottestBlock(room: RoomPresence): number {
  const c = room.blockHeat.cells;
  let best = -1;
  let bestV = 0;
  for (let i = 0; i < c.length; i++) {
    if ((c[i] ?? 0) > bestV) {
      bestV = c[i] ?? 0;
      best = i;
    }
  }
  return best + 1;
}

/**
 * The document view's accessible name, e.g. "Presence in document prosemirror of room acme/doc (12
 * blocks): 3 users (1 stale); 2 located: Ada in block 3 (heading), Bo in block 7 (paragraph); 1
 * location unknown. Most activity: block 3."
 */
export function describeDocument(room: RoomPresence, now: number, rules: StaleRules): string {
  let stale = 0;
  const located: string[] = [];
  let unknown = 0;
  for (const u of room.list) {
    if (isStale(u, now, rules)) stale++;
    if (u.root === room.docRoot && Number.isFinite(u.block)) {
      if (located.length < 10) {
        const where = Number.isFinite(u.line) ? `line ${u.line}` : `block ${u.block + 1}`;
        located.push(`${u.label} in ${where}${u.nodeName ? ` (${u.nodeName})` : ''}`);
      } else located.push('');
    } else unknown++;
  }
  const n = room.list.length;
  const shown = located.filter((s) => s !== '');
  const more = located.length - shown.length;
  const who =
    n === 0
      ? 'nobody'
      : `${n} ${n === 1 ? 'user' : 'users'}${stale > 0 ? ` (${stale} stale)` : ''}; ${located.length} located` +
        (shown.length ? `: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}` : '') +
        (unknown > 0 ? `; ${unknown} location unknown` : '');
  // A Y.Text (CodeMirror, Monaco, Quill) is read by lines, as its users are placed: block i is line i + 1.
  const unit = room.list.some((u) => u.root === room.docRoot && Number.isFinite(u.line)) ? 'line' : 'block';
  const hot = hottestBlock(room);
  const edits = room.editHeat;
  let editBlock = -1;
  for (let i = 0; i < edits.counts.length; i++)
    if (edits.max > 0 && edits.counts[i] === edits.max) {
      editBlock = i;
      break;
    }
  const edited =
    editBlock >= 0
      ? ` Most edits: ${unit} ${editBlock + 1} (${edits.total} ${edits.total === 1 ? 'update' : 'updates'} located).`
      : '';
  const doc = room.docRoot
    ? `document ${room.docRoot} of room ${room.name} (${room.docBlocks} ${unit}s)`
    : `room ${room.name}`;
  return `Presence in ${doc}: ${who}. ${hot > 0 ? `Most activity: ${unit} ${hot}.` : 'No activity recorded yet.'}${edited}`;
}

/**
 * Where a user is in the document, in a few characters: node name, then `L<line>:<column>` in a Y.Text or
 * `#<block>` (1-based) in a tree, then the selection length ("heading #3 (5 sel)", "L12:4"); '' when
 * the user has no location.
 */
export function whereText(
  u: Pick<UserEntry, 'nodeName' | 'line' | 'column' | 'block' | 'selection'>
): string {
  const parts: string[] = [];
  if (u.nodeName) parts.push(u.nodeName);
  if (Number.isFinite(u.line)) parts.push(`L${u.line}${Number.isFinite(u.column) ? `:${u.column}` : ''}`);
  else if (Number.isFinite(u.block)) parts.push(`#${u.block + 1}`);
  if (u.selection > 0) parts.push(`(${u.selection} sel)`);
  return parts.join(' ');
}
