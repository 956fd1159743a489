import { describe, expect, it } from 'vitest';
import { createDataFrame, FieldType, type DataFrame } from '@grafana/data';
import { COLLAB_FRAME_KIND_KEY, PRESENCE_FIELDS as F } from '@collabblocks/protocol';

import { forEachPresenceRow } from './parse';
import { PresenceStore, type StoreOptions } from './store';

interface Row {
  user: string;
  clientId?: number;
  label?: string;
  x?: number | null;
  y?: number | null;
  status?: string;
}

function presenceFrame(room: string, rows: Row[], scope: 'metadata' | 'content' = 'metadata'): DataFrame {
  return createDataFrame({
    name: 'presence',
    meta: { custom: { [COLLAB_FRAME_KIND_KEY]: 'presence', room, pod: 'p1', ts: 1, scope } },
    fields: [
      { name: F.room, type: FieldType.string, values: rows.map(() => room) },
      { name: F.clientId, type: FieldType.number, values: rows.map((r, i) => r.clientId ?? i + 1) },
      { name: F.user, type: FieldType.string, values: rows.map((r) => r.user) },
      { name: F.label, type: FieldType.string, values: rows.map((r) => r.label ?? r.user) },
      { name: F.x, type: FieldType.number, values: rows.map((r) => (r.x === undefined ? 0.5 : r.x)) },
      { name: F.y, type: FieldType.number, values: rows.map((r) => (r.y === undefined ? 0.5 : r.y)) },
      { name: F.status, type: FieldType.string, values: rows.map((r) => r.status ?? 'editing') },
      { name: F.lastSeen, type: FieldType.time, values: rows.map(() => 1000) },
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
    for (let i = 1; i <= 8; i++) s.ingest([presenceFrame('r', [{ user: 'a', x: 0.15, y: 0.15 }])], i);
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
