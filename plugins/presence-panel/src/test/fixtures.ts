/**
 * Test fixtures shared by the renderer and canvas tests: a small store configuration, a render style and
 * a user entry built directly (without going through a frame).
 */
import { emptyPresenceFields } from '../data/parse';
import type { StoreOptions, UserEntry } from '../data/store';
import type { RenderStyle } from '../render/PresenceRenderer';

export const TEST_STORE_OPTS: StoreOptions = {
  gridSize: 8,
  halfLifeMs: 0,
  paletteSize: 2,
  stale: { updates: 0, seconds: 0 },
  maxUsers: 10,
  maxRooms: 2,
};

export const TEST_STYLE: RenderStyle = {
  palette: ['#f00', '#0f0'],
  lut: new Uint8ClampedArray(256 * 4),
  text: '#fff',
  textOutline: '#000',
  staleStroke: '#fa0',
  font: '11px sans-serif',
  blockFill: '#333',
  blockStrong: '#555',
};

/** An editing user `u` (label `U`, client 1) of room `r`, cursor at the centre; `over` replaces fields. */
export function userEntry(over: Partial<UserEntry> = {}): UserEntry {
  return {
    ...emptyPresenceFields(),
    key: 'u#1',
    id: 1,
    user: 'u',
    label: 'U',
    clientId: 1,
    x: 0.5,
    y: 0.5,
    status: 'editing',
    lastSeen: 0,
    updateCount: 0,
    paletteIdx: 0,
    gen: 1,
    room: 'r',
    bornGen: 1,
    moved: false,
    unchanged: 0,
    changedAt: 0,
    ...over,
  };
}
