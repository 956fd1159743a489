import { describe, expect, it } from 'vitest';
import {
  INSPECT_FEATURES,
  INSPECT_SCHEMA_REVISION,
  InspectServerMessageSchema,
  MAX_UPDATE_LINES,
  PresenceUserSchema,
  TreeNodeSchema,
  UpdateSummarySchema,
  joinPath,
  parentPath,
  parseInspectClientMessage,
  parsePresenceFields,
  parseInspectServerMessage,
  PRESENCE_STATUSES,
  scopeAllows,
  splitPath,
} from './index.js';

describe('inspect client messages', () => {
  it('accepts every valid client message', () => {
    const msgs = [
      { v: 1, type: 'auth', token: 'a.b.c' },
      { v: 1, type: 'auth', id: 'r1', token: 'a.b.c' },
      { v: 1, type: 'subscribe', id: 's1', stream: 'rooms' },
      { v: 1, type: 'subscribe', id: 's2', stream: 'tree', room: 'acme/doc' },
      { v: 1, type: 'unsubscribe', id: 'u', sub: 'sub-1' },
      { v: 1, type: 'history', id: 'h', room: 'acme/doc', fromTs: 0, toTs: 10, afterSeq: 3, limit: 5 },
      { v: 1, type: 'historyTree', id: 'ht', room: 'acme/doc', at: 123 },
      { v: 1, type: 'historyTree', id: 'ht', room: 'acme/doc', at: 123, toTs: 456, maxSteps: 10 },
      { v: 1, type: 'ping' },
    ];
    for (const m of msgs) {
      const r = parseInspectClientMessage(JSON.stringify(m));
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
  });

  it('rejects bad input with a machine code and keeps the request id', () => {
    expect(parseInspectClientMessage('{nope')).toMatchObject({ ok: false, code: 'malformed' });
    expect(parseInspectClientMessage('[1]')).toMatchObject({ ok: false, code: 'malformed' });
    expect(parseInspectClientMessage('{"v":2,"type":"ping","id":"x"}')).toMatchObject({
      ok: false,
      code: 'unsupported_version',
      id: 'x',
    });
    expect(parseInspectClientMessage('{"v":1,"type":"explode","id":"y"}')).toMatchObject({
      ok: false,
      code: 'unknown_type',
      id: 'y',
    });
    const noRoom = parseInspectClientMessage('{"v":1,"type":"subscribe","id":"z","stream":"tree"}');
    expect(noRoom).toMatchObject({ ok: false, code: 'malformed', id: 'z' });
    if (!noRoom.ok) expect(noRoom.error).toContain('room');
    expect(
      parseInspectClientMessage('{"v":1,"type":"subscribe","id":"z","stream":"bogus","room":"a/b"}')
    ).toMatchObject({ ok: false, code: 'malformed' });
    expect(
      parseInspectClientMessage('{"v":1,"type":"history","id":"h","room":"a/b","fromTs":-1,"toTs":1}')
    ).toMatchObject({
      ok: false,
      code: 'malformed',
    });
    // Replay bound: maxSteps above the ceiling, or not a positive integer, is refused.
    for (const maxSteps of [5_001, 0, 1.5]) {
      expect(
        parseInspectClientMessage(
          JSON.stringify({ v: 1, type: 'historyTree', id: 'ht', room: 'a/b', at: 1, toTs: 2, maxSteps })
        )
      ).toMatchObject({ ok: false, code: 'malformed', id: 'ht' });
    }
  });
});

describe('inspect server messages', () => {
  it('validates server messages by type', () => {
    const ok = parseInspectServerMessage(
      JSON.stringify({
        v: 1,
        type: 'authenticated',
        org: 'acme',
        scope: 'metadata',
        expiresAt: 1,
        reauth: false,
      })
    );
    expect(ok.ok).toBe(true);
    const bad = InspectServerMessageSchema.safeParse({ v: 1, type: 'treePatch', sub: 's' });
    expect(bad.success).toBe(false);
    const node = {
      path: '/t',
      parent: '',
      depth: 1,
      key: 't',
      type: 'Text',
      size: 3,
      itemCount: 1,
      deleted: 0,
      children: 0,
    };
    const steps = {
      v: 1,
      type: 'historyTreeSteps',
      id: 'ht',
      room: 'acme/doc',
      at: 1,
      toTs: 9,
      steps: [{ seq: 4, ts: 5, clientId: 7, added: [], changed: [node], removed: ['/m/gone'] }],
      last: true,
      truncated: false,
    };
    const parsed = InspectServerMessageSchema.safeParse(steps);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(
      InspectServerMessageSchema.safeParse({ ...steps, steps: [{ seq: 4, ts: 5, added: [] }] }).success
    ).toBe(false);
  });
});

describe('presence users', () => {
  it('accept the optional remote flag; messages without it (older pods) still parse', () => {
    const user = { clientId: 7, user: 'a_x', cursor: null, lastSeen: 1, updates: 0 };
    const msg = (users: unknown[]): string =>
      JSON.stringify({ v: 1, type: 'presenceSnapshot', sub: 's1', room: 'acme/doc', ts: 1, users });
    const old = parseInspectServerMessage(msg([user]));
    expect(old.ok).toBe(true);
    const remote = parseInspectServerMessage(msg([{ ...user, remote: true, status: 'unknown' }]));
    expect(remote.ok && remote.value.type === 'presenceSnapshot' && remote.value.users[0]?.remote).toBe(true);
    expect(parseInspectServerMessage(msg([{ ...user, remote: 'yes' }])).ok).toBe(false);
    expect(PRESENCE_STATUSES).toEqual(['editing', 'idle', 'away', 'unknown']);
  });
});

describe('paths and scopes', () => {
  it('escapes segments like JSON Pointer', () => {
    const p = joinPath(joinPath('', 'a/b'), 'c~d');
    expect(p).toBe('/a~1b/c~0d');
    expect(splitPath(p)).toEqual(['a/b', 'c~d']);
    expect(parentPath(p)).toBe('/a~1b');
    expect(parentPath('/a~1b')).toBe('');
    expect(parentPath('')).toBeNull();
  });
  it('orders scopes', () => {
    expect(scopeAllows('content', 'metadata')).toBe(true);
    expect(scopeAllows('metadata', 'content')).toBe(false);
  });
});

describe('revision 2: bindings, locations, runs, formats', () => {
  const base = { clientId: 7, user: 'a_x', cursor: null, lastSeen: 1, updates: 0 };
  const snapshot = (users: unknown[]): string =>
    JSON.stringify({ v: 1, type: 'presenceSnapshot', sub: 's1', room: 'acme/doc', ts: 1, users });

  it('presence users carry binding, location, pointer, activity and signals', () => {
    const user = {
      ...base,
      binding: 'yjs-cursor',
      location: {
        state: 'resolved',
        root: 'prosemirror',
        rootKind: 'XmlFragment',
        block: 3,
        blocks: 12,
        nodePath: '/prosemirror/3/0/0',
        path: ['bulletList', 'listItem', 'paragraph'],
        nodeName: 'paragraph',
        offset: 5,
        selection: 0,
      },
      lastActive: 10,
      lastEdit: 9,
      signals: { focused: true, idle: 'active', at: 8 },
    };
    const r = parseInspectServerMessage(snapshot([user]));
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (r.ok && r.value.type === 'presenceSnapshot') expect(r.value.users[0]?.location?.block).toBe(3);
    const canvas = { ...base, binding: 'tldraw', pointer: { x: -1200.5, y: 40, space: 'page', selected: 2 } };
    expect(parseInspectServerMessage(snapshot([canvas])).ok).toBe(true);
    // A binding the client does not know yet (open set) still parses.
    expect(parseInspectServerMessage(snapshot([{ ...base, binding: 'some-future-binding' }])).ok).toBe(true);
  });

  it('refuses malformed location and pointer values', () => {
    const bad = [
      { location: { state: 'maybe' } },
      { location: { state: 'resolved', block: -1 } },
      { location: { state: 'resolved', line: 1.5 } },
      { location: { state: 'resolved', path: Array.from({ length: 17 }, () => 'p') } },
      { location: { state: 'resolved', snippet: { before: 'x'.repeat(41), after: '' } } },
      { location: { state: 'unknown', reason: 'because' } },
      { pointer: { x: Number.NaN, y: 0, space: 'page' } },
      { pointer: { x: 0, y: 0, space: 'galaxy' } },
      { signals: { idle: 'sleeping' } },
    ];
    for (const extra of bad) {
      // NaN does not survive JSON; check the schema directly.
      const parsed = PresenceUserSchema.safeParse({ ...base, ...extra });
      expect(parsed.success, JSON.stringify(extra)).toBe(false);
    }
  });

  it('tree nodes carry attributes, runs, embeds, binding and subdocument guid', () => {
    const node = {
      path: '/quill',
      parent: '',
      depth: 1,
      key: 'quill',
      type: 'Text',
      size: 12,
      itemCount: 5,
      deleted: 0,
      children: 0,
      binding: 'quill',
      runs: [
        { length: 5, marks: ['bold'] },
        { length: 1, embed: 'image' },
        { length: 6, text: 'world\n', marks: ['header'], values: { header: 1 } },
      ],
      embeds: 1,
    };
    expect(TreeNodeSchema.safeParse(node).success).toBe(true);
    const el = { ...node, type: 'XmlElement', nodeName: 'heading', attrs: { level: 2 }, attrKeys: ['level'] };
    expect(TreeNodeSchema.safeParse(el).success).toBe(true);
    expect(TreeNodeSchema.safeParse({ ...el, attrs: { level: { deep: 1 } } }).success).toBe(false);
    expect(TreeNodeSchema.safeParse({ ...node, runs: [{ length: -1 }] }).success).toBe(false);
    const doc = { ...node, type: 'Doc', guid: 'a-guid', shouldLoad: false };
    expect(TreeNodeSchema.safeParse(doc).success).toBe(true);
  });

  it('update summaries count formatting apart from inserts', () => {
    const u = {
      ts: 1,
      clientId: 3,
      origin: 'client',
      bytes: 40,
      inserted: 0,
      deleted: 0,
      paths: ['/prosemirror/0/0'],
      formatted: 12,
      formats: [{ path: '/prosemirror/0/0', key: 'bold', length: 12 }],
    };
    expect(UpdateSummarySchema.safeParse(u).success).toBe(true);
    expect(UpdateSummarySchema.safeParse({ ...u, formats: [{ path: '/', key: 'b' }] }).success).toBe(false);
  });

  it('update summaries (revision 3) carry the Y.Text lines touched, bounded and ordered', () => {
    const u = {
      ts: 1,
      clientId: 3,
      origin: 'client',
      bytes: 9,
      inserted: 2,
      deleted: 0,
      paths: ['/codemirror'],
    };
    const lines = [{ path: '/codemirror', from: 12, to: 13 }];
    expect(UpdateSummarySchema.safeParse({ ...u, lines }).success).toBe(true);
    expect(
      UpdateSummarySchema.safeParse({ ...u, lines: [{ path: '/codemirror', from: 4, to: 3 }] }).success
    ).toBe(false);
    expect(
      UpdateSummarySchema.safeParse({ ...u, lines: [{ path: '/codemirror', from: -1, to: 3 }] }).success
    ).toBe(false);
    const many = Array.from({ length: MAX_UPDATE_LINES + 1 }, (_, i) => ({
      path: '/t',
      from: i * 2,
      to: i * 2,
    }));
    expect(UpdateSummarySchema.safeParse({ ...u, lines: many }).success).toBe(false);
    expect(UpdateSummarySchema.safeParse({ ...u, lines: many.slice(1), linesTruncated: true }).success).toBe(
      true
    );
  });

  it('presence subscriptions take field paths; bad paths are malformed', () => {
    const sub = (presence: unknown): string =>
      JSON.stringify({ v: 1, type: 'subscribe', id: 's', stream: 'presence', room: 'acme/doc', presence });
    expect(parseInspectClientMessage(sub({ fields: { head: 'sel.head', anchor: 'sel.anchor' } })).ok).toBe(
      true
    );
    expect(parseInspectClientMessage(sub({ fields: { x: 'p.x', y: 'p.y', space: 'scene' } })).ok).toBe(true);
    expect(parseInspectClientMessage(sub({ locations: false })).ok).toBe(true);
    for (const fields of [
      { x: 'p.x' }, // y missing
      { anchor: 'a' }, // anchor without head
      { head: 'a..b' },
      { head: 'a.b.c.d.e.f.g.h.i' }, // 9 segments
      { head: 'x'.repeat(129) },
      { head: '__proto__ x' },
    ]) {
      expect(parseInspectClientMessage(sub({ fields })), JSON.stringify(fields)).toMatchObject({
        ok: false,
        code: 'malformed',
        id: 's',
      });
    }
  });

  it("parsePresenceFields: a query's paths, empty ones unset, bad ones one readable sentence", () => {
    expect(parsePresenceFields(undefined)).toEqual({ ok: true, value: undefined });
    expect(parsePresenceFields({ head: '', name: '' })).toEqual({ ok: true, value: undefined });
    expect(parsePresenceFields({ head: 'me.sel.to', anchor: 'me.sel.from', color: '' })).toEqual({
      ok: true,
      value: { head: 'me.sel.to', anchor: 'me.sel.from' },
    });
    expect(parsePresenceFields({ head: 'a.b.c.d.e.f.g.h.i' })).toEqual({
      ok: false,
      error: 'presenceFields.head: a dotted field path (at most 8 segments)',
    });
    expect(parsePresenceFields({ head: 'x'.repeat(129) })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^presenceFields\.head: /),
    });
    expect(parsePresenceFields({ x: 'p.x' })).toEqual({
      ok: false,
      error: 'presenceFields.y: x and y go together',
    });
    expect(parsePresenceFields({ anchor: 'a' })).toEqual({
      ok: false,
      error: 'presenceFields.head: anchor needs head',
    });
    expect(parsePresenceFields('head')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^presenceFields: /),
    });
  });

  it('hello announces features and revision; older hellos still parse', () => {
    const hello = {
      v: 1,
      type: 'hello',
      pod: 'p',
      serverTime: 1,
      authTimeoutMs: 2000,
      streams: ['presence'],
      limits: {
        maxSubscriptions: 1,
        requestsPerSecond: 1,
        maxHistorySpanMs: 1,
        maxHistoryEntries: 1,
        snapshotChunkNodes: 1,
      },
    };
    expect(parseInspectServerMessage(JSON.stringify(hello)).ok).toBe(true);
    const r = parseInspectServerMessage(
      JSON.stringify({ ...hello, features: [...INSPECT_FEATURES], revision: INSPECT_SCHEMA_REVISION })
    );
    expect(r.ok && r.value.type === 'hello' && r.value.features).toContain('locations');
  });
});
