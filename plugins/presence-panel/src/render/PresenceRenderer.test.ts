import { describe, expect, it } from 'vitest';

import { RoomPresence, type UserEntry } from '../data/store';
import { fakeContext } from '../test/fakeCanvas';
import { PresenceRenderer, type RenderStyle } from './PresenceRenderer';

const style: RenderStyle = {
  palette: ['#f00', '#0f0'],
  lut: new Uint8ClampedArray(256 * 4),
  text: '#fff',
  textOutline: '#000',
  staleStroke: '#fa0',
  font: '11px sans-serif',
};

function canvasWith(ctx: CanvasRenderingContext2D): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.getContext = (() => ctx) as unknown as HTMLCanvasElement['getContext'];
  return canvas;
}

describe('PresenceRenderer', () => {
  it('clamps cursors and labels outside [0, 1] to the canvas edge (as the README says)', () => {
    // Built directly (parse already clamps): the renderer must not trust its input.
    const room = new RoomPresence('r', {
      gridSize: 8,
      halfLifeMs: 0,
      paletteSize: 2,
      stale: { updates: 0, seconds: 0 },
      maxUsers: 10,
      maxRooms: 2,
    });
    const fake = fakeContext();
    const r = new PresenceRenderer(canvasWith(fake.ctx));
    r.resize(200, 100, 1);
    const u: UserEntry = {
      key: 'u#1',
      id: 1,
      user: 'u',
      label: 'U',
      clientId: 1,
      x: 1.7,
      y: -0.4,
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
    };
    room.list.push(u);
    r.draw(room, 0, style, { showLabels: true, labelLimit: 150, stale: { updates: 0, seconds: 0 } });
    expect(r.stats.cursors).toBe(1);
    // Dot and ring at the clamped position (200, 0), never at (340, -40).
    expect(fake.arcs.map(([x, y]) => [x, y])).toEqual([
      [200, 0],
      [200, 0],
    ]);
    // The label goes to the left of a cursor at the right edge and stays inside the canvas.
    expect(fake.texts).toEqual([['U', 191, 12]]);
  });
});
