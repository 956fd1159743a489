import type { ColorSchemeName } from './data/colorScheme';

export type RoomMode = 'select' | 'multiples';
/** How a room is drawn: picked from the data (`auto`), or forced. */
export type ViewMode = 'auto' | 'document' | 'canvas';

export interface PresenceOptions {
  /** One room at a time with a selector, or every room as small multiples. */
  roomMode: RoomMode;
  /** Room shown first in `select` mode ('' = the first room in the data). */
  room: string;
  /** Heatmap cells per side. */
  gridSize: number;
  /** Heatmap half-life in seconds (0 = no decay). */
  halfLifeSec: number;
  colorScheme: ColorSchemeName;
  showLabels: boolean;
  showUserList: boolean;
  /** Unchanged across this many updates → stale (0 = off). */
  staleUpdates: number;
  /** Unchanged for this many seconds → stale (0 = off). */
  staleSeconds: number;
  /** Users kept per room (bounded memory). */
  maxUsers: number;
  /** Text shown when the data holds no presence frame. */
  emptyMessage: string;
  /**
   * Document view (text and rich-text rooms: a minimap of blocks with carets), canvas view (tldraw,
   * Excalidraw, simulator: 2D pointers in a fitted space), or `auto`: from what the users publish.
   */
  view: ViewMode;
}

export const DEFAULT_OPTIONS: PresenceOptions = {
  roomMode: 'select',
  room: '',
  gridSize: 32,
  halfLifeSec: 30,
  colorScheme: 'orange',
  showLabels: true,
  showUserList: true,
  staleUpdates: 5,
  staleSeconds: 60,
  maxUsers: 5000,
  emptyMessage: 'No one is here yet',
  view: 'auto',
};
