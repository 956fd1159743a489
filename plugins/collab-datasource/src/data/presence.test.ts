import { describe, expect, it } from 'vitest';
import { COLLAB_FRAME_KIND_KEY, PRESENCE_FIELDS as F, type PresenceUser } from '@collabblocks/protocol';

import { buildPresenceFrame, PresenceState } from './presence';

const user = (clientId: number, extra: Partial<PresenceUser> = {}): PresenceUser => ({
  clientId,
  user: `u-${clientId}`,
  cursor: { x: clientId, y: clientId * 2 },
  lastSeen: 1000 + clientId,
  updates: 1,
  ...extra,
});

const col = (frame: ReturnType<typeof buildPresenceFrame>, name: string) =>
  frame.fields.find((f) => f.name === name)?.values;

describe('presence frame', () => {
  it('folds snapshots and patches per pod and builds one row per user', () => {
    const s = new PresenceState('acme/a');
    s.apply('pod-1', {
      type: 'presenceSnapshot',
      v: 1,
      sub: 's',
      room: 'acme/a',
      ts: 10,
      users: [user(1), user(2)],
    });
    const r = s.apply('pod-1', {
      type: 'presencePatch',
      v: 1,
      sub: 's',
      room: 'acme/a',
      ts: 20,
      joined: [user(3, { cursor: null })],
      updated: [user(1, { cursor: { x: 5, y: 6 }, lastSeen: 2000 })],
      left: [2],
    });
    expect(r.joined.map((u) => u.clientId)).toEqual([3]);
    expect(r.left).toEqual([2]);
    const frame = buildPresenceFrame(s.rows(), { refId: 'A', room: 'acme/a', ts: s.ts, scope: 'metadata' });
    expect(frame.refId).toBe('A');
    expect(frame.meta?.custom?.[COLLAB_FRAME_KIND_KEY]).toBe('presence');
    expect(col(frame, F.clientId)).toEqual([1, 3]);
    expect(col(frame, F.x)).toEqual([5, null]);
    expect(col(frame, F.y)).toEqual([6, null]);
    expect(col(frame, F.lastSeen)).toEqual([2000, 1003]);
    expect(col(frame, F.room)).toEqual(['acme/a', 'acme/a']);
    expect(Object.values(F).every((name) => frame.fields.some((f) => f.name === name))).toBe(true);
  });

  it('shows names and colours only with content scope', () => {
    const rows = [{ ...user(1, { name: 'Alice Example', color: '#ff0000' }), pod: 'p' }];
    const meta = buildPresenceFrame(rows, { refId: 'A', room: 'acme/a', ts: 0, scope: 'metadata' });
    expect(col(meta, F.label)).toEqual(['u-1']);
    expect(col(meta, F.color)?.[0]).not.toBe('#ff0000');
    expect(JSON.stringify(meta.fields.map((f) => f.values))).not.toContain('Alice');
    const content = buildPresenceFrame(rows, { refId: 'A', room: 'acme/a', ts: 0, scope: 'content' });
    expect(col(content, F.label)).toEqual(['Alice Example']);
    expect(col(content, F.color)).toEqual(['#ff0000']);
  });

  it('dedupes a client seen on two pods (most recent wins) and forgets a lost pod', () => {
    const s = new PresenceState('acme/a');
    s.apply('p1', {
      type: 'presenceSnapshot',
      v: 1,
      sub: 's',
      room: 'acme/a',
      ts: 1,
      users: [user(1, { lastSeen: 5 })],
    });
    s.apply('p2', {
      type: 'presenceSnapshot',
      v: 1,
      sub: 's',
      room: 'acme/a',
      ts: 1,
      users: [user(1, { lastSeen: 9 })],
    });
    expect(s.rows()).toHaveLength(1);
    expect(s.rows()[0]?.pod).toBe('p2');
    s.dropPod('p2');
    expect(s.rows()[0]?.pod).toBe('p1');
  });

  it("prefers the pod the client is connected to over another pod's relayed (remote) copy", () => {
    const s = new PresenceState('acme/a');
    const snap = (users: ReturnType<typeof user>[]) =>
      ({ type: 'presenceSnapshot', v: 1, sub: 's', room: 'acme/a', ts: 1, users }) as const;
    s.apply('p1', snap([user(1, { lastSeen: 5, user: 'u_local' })]));
    s.apply('p2', snap([user(1, { lastSeen: 9, user: 'a_relayed', remote: true })]));
    expect(s.rows()).toHaveLength(1);
    expect(s.rows()[0]).toMatchObject({ pod: 'p1', user: 'u_local' });
    // Without the local report, the relayed copy is still shown.
    s.dropPod('p1');
    expect(s.rows()[0]).toMatchObject({ pod: 'p2', user: 'a_relayed' });
  });
});
