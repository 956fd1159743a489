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

  it('shows names only with content scope; colours as published when plain CSS colours (revision 2)', () => {
    const rows = [
      { ...user(1, { name: 'Alice Example', color: '#ff0000' }), pod: 'p' },
      { ...user(2, { name: 'Bob', color: 'url(https://x/Bob)' }), pod: 'p' },
    ];
    const meta = buildPresenceFrame(rows, { refId: 'A', room: 'acme/a', ts: 0, scope: 'metadata' });
    expect(col(meta, F.label)).toEqual(['u-1', 'u-2']);
    // The editor's colour (the pod lets plain CSS colours through in metadata scope) …
    expect(col(meta, F.color)?.[0]).toBe('#ff0000');
    // … but nothing else: another string is replaced by the pseudonym's colour.
    expect(col(meta, F.color)?.[1]).toMatch(/^hsl\(/);
    expect(JSON.stringify(meta.fields.map((f) => f.values))).not.toMatch(/Alice|Bob/);
    const content = buildPresenceFrame(rows, { refId: 'A', room: 'acme/a', ts: 0, scope: 'content' });
    expect(col(content, F.label)).toEqual(['Alice Example', 'Bob']);
    expect(col(content, F.color)?.[0]).toBe('#ff0000');
  });

  it('carries pointers with their space and resolved document locations; snippets only with content', () => {
    const located = user(1, {
      cursor: null,
      binding: 'yjs-cursor',
      lastActive: 4242,
      signals: { focused: true },
      location: {
        state: 'resolved',
        root: 'prosemirror',
        rootKind: 'XmlFragment',
        block: 3,
        blocks: 12,
        nodePath: '/prosemirror/3/0',
        path: ['bulletList', 'listItem', 'paragraph'],
        nodeName: 'paragraph',
        offset: 5,
        selection: 7,
        anchorBlock: 2,
        snippet: { before: 'secret be', after: 'fore caret' },
      },
    });
    const canvas = user(2, {
      cursor: null,
      binding: 'tldraw',
      pointer: { x: -340, y: 1200.5, space: 'page' },
    });
    const pending = user(3, {
      cursor: null,
      binding: 'yjs-cursor',
      location: { state: 'unknown', reason: 'pending', block: 9 },
    });
    const sim = user(4, { binding: 'unit-cursor', cursor: { x: 0.25, y: 0.5 } });
    const rows = [located, canvas, pending, sim].map((u) => ({ ...u, pod: 'p' }));
    const meta = buildPresenceFrame(rows, { refId: 'A', room: 'acme/a', ts: 0, scope: 'metadata' });
    expect(col(meta, F.binding)).toEqual(['yjs-cursor', 'tldraw', 'yjs-cursor', 'unit-cursor']);
    expect(col(meta, F.space)).toEqual(['', 'page', '', 'unit']);
    expect(col(meta, F.x)).toEqual([null, -340, null, 0.25]);
    expect(col(meta, F.y)).toEqual([null, 1200.5, null, 0.5]);
    expect(col(meta, F.locState)).toEqual(['resolved', '', 'unknown', '']);
    expect(col(meta, F.block)).toEqual([3, null, null, null]);
    expect(col(meta, F.blocks)).toEqual([12, null, null, null]);
    expect(col(meta, F.nodeName)?.[0]).toBe('paragraph');
    expect(col(meta, F.nodeNames)?.[0]).toBe('bulletList › listItem › paragraph');
    expect(col(meta, F.nodePath)?.[0]).toBe('/prosemirror/3/0');
    expect(col(meta, F.selection)?.[0]).toBe(7);
    expect(col(meta, F.anchorBlock)?.[0]).toBe(2);
    expect(col(meta, F.lastActive)?.[0]).toBe(4242);
    expect(col(meta, F.focused)).toEqual([true, null, null, null]);
    expect(col(meta, F.snippet)?.[0]).toBe('');
    expect(JSON.stringify(meta.fields.map((f) => f.values))).not.toContain('secret');
    const content = buildPresenceFrame(rows, { refId: 'A', room: 'acme/a', ts: 0, scope: 'content' });
    expect(col(content, F.snippet)?.[0]).toBe('secret be|fore caret');
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
