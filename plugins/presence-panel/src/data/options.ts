import { isColorScheme } from './colorScheme';
import { clampGridSize } from './heatmap';
import type { StoreOptions } from './store';
import { DEFAULT_OPTIONS, type PresenceOptions } from '../types';

const nonNeg = (v: unknown, fallback: number, max: number): number =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.min(max, v) : fallback;

/** Options as saved (possibly partial or hand-edited JSON) → validated options. */
export function normaliseOptions(raw: Partial<PresenceOptions> | undefined): PresenceOptions {
  const o = raw ?? {};
  return {
    roomMode: o.roomMode === 'multiples' ? 'multiples' : 'select',
    room: typeof o.room === 'string' ? o.room : '',
    gridSize: clampGridSize(o.gridSize, DEFAULT_OPTIONS.gridSize),
    halfLifeSec: nonNeg(o.halfLifeSec, DEFAULT_OPTIONS.halfLifeSec, 86_400),
    colorScheme: isColorScheme(o.colorScheme) ? o.colorScheme : DEFAULT_OPTIONS.colorScheme,
    showLabels: typeof o.showLabels === 'boolean' ? o.showLabels : DEFAULT_OPTIONS.showLabels,
    showUserList: typeof o.showUserList === 'boolean' ? o.showUserList : DEFAULT_OPTIONS.showUserList,
    staleUpdates: Math.round(nonNeg(o.staleUpdates, DEFAULT_OPTIONS.staleUpdates, 1_000_000)),
    staleSeconds: nonNeg(o.staleSeconds, DEFAULT_OPTIONS.staleSeconds, 86_400),
    maxUsers: Math.max(1, Math.round(nonNeg(o.maxUsers, DEFAULT_OPTIONS.maxUsers, 10_000))),
    emptyMessage: typeof o.emptyMessage === 'string' ? o.emptyMessage : DEFAULT_OPTIONS.emptyMessage,
    view: o.view === 'document' || o.view === 'canvas' ? o.view : 'auto',
  };
}

export function storeOptions(o: PresenceOptions, paletteSize: number): StoreOptions {
  return {
    gridSize: o.gridSize,
    halfLifeMs: o.halfLifeSec * 1000,
    paletteSize: Math.max(1, paletteSize),
    stale: { updates: o.staleUpdates, seconds: o.staleSeconds },
    maxUsers: o.maxUsers,
    maxRooms: 32,
  };
}
