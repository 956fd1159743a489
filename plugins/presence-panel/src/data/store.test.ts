import { describe, expect, it } from 'vitest';
import { createDataFrame, FieldType, type DataFrame } from '@grafana/data';
import { COLLAB_FRAME_KIND_KEY, PRESENCE_FIELDS as F } from '@collabblocks/protocol';

import { HEAT_EPSILON } from './heatmap';
import { forEachPresenceRow } from './parse';
import { PresenceStore, ROOM_GRACE_MS, type StoreOptions } from './store';

interface Row {
  user: string;
  clientId?: number;
  label?: string;
  x?: number | null;
  y?: number | null;
  status?: string;
  lastSeen?: number;
}

/** `meta.custom.ts` of the next frame built without an explicit one: every frame is a new emission. */
let nextTs = 1;

function presenceFrame(
  room: string,
  rows: Row[],
  scope: 'metadata' | 'content' = 'metadata',
  ts: number | null = nextTs++
): DataFrame {
  const custom = { [COLLAB_FRAME_KIND_KEY]: 'presence', room, pod: 'p1', scope };
  return createDataFrame({
    name: 'presence',
    meta: { custom: ts === null ? custom : { ...custom, ts } },
    fields: [
      { name: F.room, type: FieldType.string, values: rows.map(() => room) },
      { name: F.clientId, type: FieldType.number, values: rows.map((r, i) => r.clientId ?? i + 1) },
      { name: F.user, type: FieldType.string, values: rows.map((r) => r.user) },
      { name: F.label, type: FieldType.string, values: rows.map((r) => r.label ?? r.user) },
      { name: F.x, type: FieldType.number, values: rows.map((r) => (r.x === undefined ? 0.5 : r.x)) },
      { name: F.y, type: FieldType.number, values: rows.map((r) => (r.y === undefined ? 0.5 : r.y)) },
      { name: F.status, type: FieldType.string, values: rows.map((r) => r.status ?? 'editing') },
      { name: F.lastSeen, type: FieldType.time, values: rows.map((r) => r.lastSeen ?? 1000) },
      { name: F.updateCount, type: FieldType.number, values: rows.map(() => 1) },
    ],
  });
}

const OPTS: StoreOptions = {
  gridSize: 10,
  halfLifeMs: 0,
  paletteSize: 20,
  stale: { updates: 5, seconds: 0 },
  maxUsers: 100,
  maxRooms: 4,
};

describe('frame → rows', () => {
  it('shows names only with content scope, pseudonyms otherwise; null cursors become NaN', () => {
    const labels: string[] = [];
    const xs: number[] = [];
    const rows = [{ user: 'anon-1', label: 'Ada Example', x: null }];
    forEachPresenceRow([presenceFrame('a/b', rows, 'content')], (r) => labels.push(r.label));
    forEachPresenceRow([presenceFrame('a/b', rows, 'metadata')], (r) => {
      labels.push(r.label);
      xs.push(r.x);
    });
    expect(labels).toEqual(['Ada Example', 'anon-1']);
    expect(xs[0]).toBeNaN();
  });

  it('skips frames of other kinds and rows without a user; reads unlabelled frames with user/x/y', () => {
    const other = createDataFrame({
      meta: { custom: { [COLLAB_FRAME_KIND_KEY]: 'tree' } },
      fields: [
        { name: 'user', type: FieldType.string, values: ['t'] },
        { name: 'x', type: FieldType.number, values: [1] },
        { name: 'y', type: FieldType.number, values: [1] },
      ],
    });
    const plain = createDataFrame({
      name: 'room-z',
      fields: [
        { name: 'user', type: FieldType.string, values: ['u1', ''] },
        { name: 'x', type: FieldType.number, values: [0.2, 0.3] },
        { name: 'y', type: FieldType.number, values: [0.2, 0.3] },
      ],
    });
    const seen: string[] = [];
    const stats = forEachPresenceRow([other, plain], (r) => seen.push(`${r.room}:${r.user}:${r.status}`));
    expect(seen).toEqual(['room-z:u1:unknown']);
    expect(stats).toEqual({ frames: 1, rows: 1, skipped: 1 });
  });

  it('clamps cursors outside [0, 1] to the edge and reads the frame timestamp', () => {
    const seen: Array<[number, number, number]> = [];
    const f = presenceFrame('r', [{ user: 'a', x: 1.7, y: -0.4 }], 'metadata', 42);
    forEachPresenceRow([f], (r) => seen.push([r.x, r.y, r.ts]));
    expect(seen).toEqual([[1, 0, 42]]);
  });
});

describe('PresenceStore', () => {
  it('cursors appear, move and leave; entries are updated in place', () => {
    const s = new PresenceStore(OPTS);
    s.ingest([presenceFrame('r', [{ user: 'a', x: 0.1, y: 0.1 }, { user: 'b' }])], 0);
    const room = s.rooms.get('r')!;
    expect(room.list.map((u) => u.user).sort()).toEqual(['a', 'b']);
    const a = room.users.get(1)!;
    s.ingest([presenceFrame('r', [{ user: 'a', x: 0.7, y: 0.2 }])], 100);
    expect(room.users.get(1)).toBe(a);
    expect([a.x, a.y]).toEqual([0.7, 0.2]);
    expect(room.list.map((u) => u.user)).toEqual(['a']);
    s.ingest([], 200);
    expect(room.list).toEqual([]);
  });

  it('fills the heatmap from cursors (not from away or stale ones)', () => {
    const s = new PresenceStore(OPTS);
    s.ingest(
      [
        presenceFrame('r', [
          { user: 'a', x: 0.15, y: 0.15 },
          { user: 'b', status: 'away' },
          { user: 'c', x: null },
        ]),
      ],
      0
    );
    const heat = s.rooms.get('r')!.heat;
    expect(heat.total).toBe(1);
    expect(heat.cells[heat.cellIndex(0.15, 0.15)]).toBe(1);
    // `a` never moves: after 5 unchanged updates it is stale and stops heating its cell.
    for (let i = 1; i <= 8; i++) s.ingest([presenceFrame('r', [{ user: 'a', x: 0.15, y: 0.15 }])], i * 1000);
    expect(heat.total).toBe(5);
  });

  it('applies the staleness rule per user across updates', () => {
    const s = new PresenceStore(OPTS);
    for (let i = 0; i <= 5; i++) {
      s.ingest([presenceFrame('r', [{ user: 'still' }, { user: 'moving', x: i / 10 }])], i);
    }
    const room = s.rooms.get('r')!;
    expect(room.staleCount(6, OPTS.stale)).toBe(1);
    expect(room.users.get(1)!.unchanged).toBe(5);
    expect(room.users.get(2)!.unchanged).toBe(0);
  });

  it('treats a reused client id with another user as a new presence', () => {
    const s = new PresenceStore(OPTS);
    s.ingest([presenceFrame('r', [{ user: 'a', clientId: 7 }])], 0);
    s.ingest([presenceFrame('r', [{ user: 'b', clientId: 7 }])], 1);
    const room = s.rooms.get('r')!;
    expect(room.list.map((u) => [u.user, u.key, u.unchanged])).toEqual([['b', 'b#7', 0]]);
  });

  it('bounds users per room and rooms overall', () => {
    const s = new PresenceStore({ ...OPTS, maxUsers: 3, maxRooms: 2 });
    const many = Array.from({ length: 10 }, (_, i) => ({ user: `u${i}` }));
    s.ingest([presenceFrame('r1', many)], 0);
    expect(s.rooms.get('r1')!.users.size).toBe(3);
    expect(s.rooms.get('r1')!.dropped).toBe(7);
    s.ingest([presenceFrame('r2', many.slice(0, 1))], 1);
    s.ingest([presenceFrame('r3', many.slice(0, 1))], 2);
    expect(s.roomNames()).toEqual(['r2', 'r3']);
  });

  it('keeps separate rooms apart and resets heatmaps when the grid size changes', () => {
    const s = new PresenceStore(OPTS);
    s.ingest([presenceFrame('x', [{ user: 'a' }]), presenceFrame('y', [{ user: 'a' }, { user: 'b' }])], 0);
    expect(s.roomNames()).toEqual(['x', 'y']);
    expect(s.rooms.get('y')!.list.length).toBe(2);
    s.configure({ ...OPTS, gridSize: 20 });
    expect(s.rooms.get('x')!.heat.size).toBe(20);
    expect(s.rooms.get('x')!.heat.total).toBe(0);
  });
});

describe('PresenceStore: several rooms, updates and time', () => {
  const room = (s: PresenceStore, name: string) => s.rooms.get(name)!;

  it('counts an update for a room only when its frame changed, not when another room emitted', () => {
    const s = new PresenceStore({ ...OPTS, stale: { updates: 5, seconds: 0 } });
    // Room A's frame is delivered unchanged (same object, same ts) with every emission of room B.
    const a = presenceFrame('A', [{ user: 'still', x: 0.2, y: 0.2 }], 'metadata', 100);
    for (let i = 0; i <= 6; i++) {
      s.ingest([a, presenceFrame('B', [{ user: 'busy', x: i / 10, y: 0.5 }])], i * 100);
    }
    expect(room(s, 'A').users.get(1)!.unchanged).toBe(0);
    expect(room(s, 'A').staleCount(600, OPTS.stale)).toBe(0);
    expect(room(s, 'A').updates).toBe(1);
    expect(room(s, 'B').updates).toBe(7);
    // A new frame of A (ts moved: a keep-alive) with the same rows does count.
    s.ingest([presenceFrame('A', [{ user: 'still', x: 0.2, y: 0.2 }], 'metadata', 101)], 700);
    expect(room(s, 'A').users.get(1)!.unchanged).toBe(1);
  });

  it('without a frame timestamp, counts an update when any row differs (a join, a leave, lastSeen)', () => {
    const s = new PresenceStore(OPTS);
    const rows = (lastSeen: number): Row[] => [{ user: 'a', lastSeen }];
    s.ingest([presenceFrame('r', rows(1), 'metadata', null)], 0);
    s.ingest([presenceFrame('r', rows(1), 'metadata', null)], 1);
    s.ingest([presenceFrame('r', rows(1), 'metadata', null)], 2);
    expect(room(s, 'r').updates).toBe(1);
    s.ingest([presenceFrame('r', rows(5), 'metadata', null)], 3);
    s.ingest([presenceFrame('r', [...rows(5), { user: 'b' }], 'metadata', null)], 4);
    s.ingest([presenceFrame('r', rows(5), 'metadata', null)], 5);
    expect(room(s, 'r').updates).toBe(4);
    expect(room(s, 'r').users.get(1)!.unchanged).toBe(3);
  });

  it('weights heat by elapsed time, not by how many responses arrived', () => {
    const heatOfA = (emissionsOfB: number) => {
      const s = new PresenceStore(OPTS);
      const a = presenceFrame('A', [{ user: 'u', x: 0.5, y: 0.5 }], 'metadata', 100);
      s.ingest([a, presenceFrame('B', [{ user: 'b' }])], 0);
      for (let i = 1; i <= emissionsOfB; i++) {
        s.ingest([a, presenceFrame('B', [{ user: 'b', x: i / 1000 }])], (2000 * i) / emissionsOfB);
      }
      return room(s, 'A').heat.total;
    };
    // First sample weighs 1 s, then 2 s of presence: 3 whatever the emission rate of the other room.
    expect(heatOfA(1)).toBeCloseTo(3, 5);
    expect(heatOfA(60)).toBeCloseTo(3, 5);
    // A gap in the data is not counted as presence beyond MAX_SAMPLE_MS.
    const s = new PresenceStore(OPTS);
    s.ingest([presenceFrame('r', [{ user: 'u' }])], 0);
    s.ingest([presenceFrame('r', [{ user: 'u', x: 0.51 }])], 3_600_000);
    expect(room(s, 'r').heat.total).toBeCloseTo(1 + 5, 5);
  });

  it('decays heat in rooms that are never drawn (100 s, 1 s half-life): old hotspots are gone', () => {
    const s = new PresenceStore({ ...OPTS, halfLifeMs: 1000 });
    s.ingest([presenceFrame('r', [{ user: 'u', x: 0.15, y: 0.15 }])], 0);
    for (let t = 1; t <= 100; t++) {
      s.ingest([presenceFrame('r', [{ user: 'u', x: 0.85 + (t % 2) * 0.001, y: 0.85 }])], t * 1000);
    }
    const r = room(s, 'r');
    r.heat.decay(100_000); // the first draw, when the room is selected or scrolled into view
    expect(r.heat.cells[r.heat.cellIndex(0.15, 0.15)]).toBeLessThan(HEAT_EPSILON);
    // Steady state of 1 per second with a 1 s half-life: 1 + 1/2 + 1/4 + … = 2.
    expect(r.heat.cells[r.heat.cellIndex(0.85, 0.85)]).toBeCloseTo(2, 3);
    expect(r.heat.total).toBeCloseTo(2, 3);
  });

  it('does not decay fresh samples as if old after a hidden tab (60 s hidden, 5 s half-life)', () => {
    const s = new PresenceStore({ ...OPTS, halfLifeMs: 5000 });
    s.ingest([presenceFrame('r', [{ user: 'u', x: 0.55, y: 0.55 }])], 0);
    const r = room(s, 'r');
    r.heat.decay(0); // drawn once, then the tab is hidden: no draws, the data keeps coming
    for (let t = 1; t <= 60; t++) {
      s.ingest([presenceFrame('r', [{ user: 'u', x: 0.55 + (t % 2) * 0.001, y: 0.55 }])], t * 1000);
    }
    r.heat.decay(60_000); // visible again
    // 61 samples of weight 1, one per second, each decayed by its own age: Σ 2^(-k/5), k = 0..60.
    let expected = 0;
    for (let k = 0; k <= 60; k++) expected += Math.pow(2, -k / 5);
    expect(r.heat.max).toBeCloseTo(expected, 3);
    expect(r.heat.max).toBeGreaterThan(7);
  });

  it('time rule: a presence first seen long after its lastSeen is stale at once (clock skew does not matter)', () => {
    const s = new PresenceStore({ ...OPTS, stale: { updates: 0, seconds: 60 } });
    const podNow = 5_000_000;
    const browserNow = podNow + 3_600_000; // the browser clock is an hour ahead of the pod's
    s.ingest(
      [
        presenceFrame(
          'r',
          [
            { user: 'abandoned', lastSeen: podNow - 120_000 },
            { user: 'recent', lastSeen: podNow - 10_000 },
          ],
          'metadata',
          podNow
        ),
      ],
      browserNow
    );
    const r = room(s, 'r');
    expect(r.list.length).toBe(2);
    const stale = (user: string) =>
      r.list.filter((u) => u.user === user && browserNow - u.changedAt >= 60_000).length === 1;
    expect(stale('abandoned')).toBe(true);
    expect(stale('recent')).toBe(false);
    expect(r.staleCount(browserNow, s.options.stale)).toBe(1);
    expect(r.staleCount(browserNow + 50_000, s.options.stale)).toBe(2);
    // No heat from the abandoned tab.
    expect(r.heat.total).toBeCloseTo(1, 5);
    // Without a frame timestamp the age is measured against the browser clock.
    const t = new PresenceStore({ ...OPTS, stale: { updates: 0, seconds: 60 } });
    t.ingest([presenceFrame('r', [{ user: 'old', lastSeen: 1000 }], 'metadata', null)], 200_000);
    expect(room(t, 'r').staleCount(200_000, t.options.stale)).toBe(1);
  });

  it('drops rooms absent from the data after a short grace; a room back within it is kept', () => {
    const s = new PresenceStore(OPTS);
    s.ingest([presenceFrame('A', [{ user: 'a' }]), presenceFrame('B', [{ user: 'b' }])], 0);
    s.ingest([presenceFrame('B', [{ user: 'b' }])], 1000);
    expect(s.roomNames()).toEqual(['A', 'B']);
    expect(room(s, 'A').list).toEqual([]);
    s.ingest([presenceFrame('A', [{ user: 'a' }]), presenceFrame('B', [{ user: 'b' }])], 2000);
    s.ingest([presenceFrame('B', [{ user: 'b' }])], 3000);
    s.ingest([presenceFrame('B', [{ user: 'b' }])], 3000 + ROOM_GRACE_MS);
    expect(s.roomNames()).toEqual(['A', 'B']);
    // An emptied room (its frame has no rows) counts as absent too; expire() works without new data.
    s.ingest([presenceFrame('A', []), presenceFrame('B', [{ user: 'b' }])], 3001 + ROOM_GRACE_MS);
    expect(s.roomNames()).toEqual(['B']);
    s.ingest([], 4000 + ROOM_GRACE_MS);
    expect(s.expire(4000 + 2 * ROOM_GRACE_MS)).toBe(false);
    expect(s.expire(4001 + 2 * ROOM_GRACE_MS)).toBe(true);
    expect(s.roomNames()).toEqual([]);
  });
});

describe('real editor bindings (revision-2 presence columns)', () => {
  const opts: StoreOptions = {
    gridSize: 8,
    halfLifeMs: 0,
    paletteSize: 4,
    stale: { updates: 2, seconds: 0 },
    maxUsers: 100,
    maxRooms: 4,
  };

  it('a user typing is active: caret moves and lastActive count, not only cursor/status changes', async () => {
    const { bindingFrame, caret } = await import('../test/bindingFrames');
    const s = new PresenceStore(opts);
    const room = 'acme/doc';
    // u-1 types (column moves), u-2 sends updates (lastActive moves, awareness unchanged), u-3 does nothing.
    for (let t = 1; t <= 4; t++) {
      s.ingest(
        [
          bindingFrame(
            room,
            [
              caret(1, 3, { line: 4, column: t }),
              caret(2, 5, { lastActive: 1000 * t }),
              caret(3, 7, { lastActive: 500 }),
            ],
            t * 1000
          ),
        ],
        t * 1000
      );
    }
    const r = s.rooms.get(room)!;
    const stale = (id: number) => r.list.find((u) => u.clientId === id)!.unchanged >= 2;
    expect(stale(1)).toBe(false);
    expect(stale(2)).toBe(false);
    expect(stale(3)).toBe(true);
    expect(r.docRoot).toBe('prosemirror');
    expect(r.docBlocks).toBe(12);
    expect(r.blockHeat.cells[3]).toBeGreaterThan(0);
  });

  it('keeps page coordinates unclamped and fits the canvas to them; refuses absurd ones', async () => {
    const { bindingFrame } = await import('../test/bindingFrames');
    const s = new PresenceStore(opts);
    s.ingest(
      [
        bindingFrame(
          'acme/board',
          [
            { user: 'a', clientId: 1, binding: 'tldraw', x: -340, y: 1200, space: 'page' },
            { user: 'b', clientId: 2, binding: 'tldraw', x: 900, y: 1500, space: 'page' },
            { user: 'c', clientId: 3, binding: 'tldraw', x: 1e300, y: 0, space: 'page' },
          ],
          1000
        ),
      ],
      1000
    );
    const r = s.rooms.get('acme/board')!;
    expect(r.list.map((u) => u.x)).toEqual([-340, 900, NaN]);
    expect(r.fit.space).toBe('page');
    expect(r.fit.extent.xMin).toBeLessThan(-340);
    expect(r.fit.extent.xMax).toBeGreaterThan(900);
    expect(r.heat.total).toBeGreaterThan(0);
  });

  it('takes the colour a client publishes when it is a plain CSS colour', async () => {
    const { bindingFrame, caret } = await import('../test/bindingFrames');
    const s = new PresenceStore(opts);
    s.ingest(
      [bindingFrame('r', [caret(1, 0, { color: '#30bced' }), caret(2, 1, { color: 'url(x)' })], 1)],
      1
    );
    expect(s.rooms.get('r')!.list.map((u) => u.color)).toEqual(['#30bced', '']);
  });
});
