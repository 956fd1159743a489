import { describe, expect, it } from 'vitest';

import { RoomPresence } from '../data/store';
import { fakeContext } from '../test/fakeCanvas';
import { TEST_STORE_OPTS, TEST_STYLE, userEntry } from '../test/fixtures';
import { PresenceRenderer } from './PresenceRenderer';

function canvasWith(ctx: CanvasRenderingContext2D): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.getContext = (() => ctx) as unknown as HTMLCanvasElement['getContext'];
  return canvas;
}

describe('PresenceRenderer', () => {
  it('clamps cursors and labels outside [0, 1] to the canvas edge (as the README says)', () => {
    // Built directly (parse already clamps): the renderer must not trust its input.
    const room = new RoomPresence('r', TEST_STORE_OPTS);
    const fake = fakeContext();
    const r = new PresenceRenderer(canvasWith(fake.ctx));
    r.resize(200, 100, 1);
    const u = userEntry({ x: 1.7, y: -0.4 });
    room.list.push(u);
    r.draw(room, 0, TEST_STYLE, { showLabels: true, labelLimit: 150, stale: { updates: 0, seconds: 0 } });
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
