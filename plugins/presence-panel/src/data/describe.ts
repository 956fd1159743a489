/**
 * Text alternatives for the canvas (screen readers): the room, who is there
 * and where attention has been. Pure, bounded work (one pass over the users
 * and the heatmap cells).
 */
import type { HeatGrid } from './heatmap';
import { isStale, type StaleRules } from './staleness';
import type { RoomPresence } from './store';

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
export function describeRoom(room: RoomPresence, now: number, rules: StaleRules): string {
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
