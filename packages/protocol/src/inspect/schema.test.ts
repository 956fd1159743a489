import { describe, expect, it } from 'vitest';
import {
  InspectServerMessageSchema,
  joinPath,
  parentPath,
  parseInspectClientMessage,
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
