import { describe, expect, it } from 'vitest';
import { INSPECT_PROTOCOL_VERSION, parseInspectServerMessage } from '@collabblocks/protocol';
import { controlFrame, PerScope, subFrame } from './frame.js';

describe('frame header', () => {
  it('splices the header before the body fields, from an object or its JSON', () => {
    const body = { room: 'acme/a', frames: [], dropped: 0 };
    const a = subFrame('traffic', 's1', body);
    expect(a).toBe(subFrame('traffic', 's1', JSON.stringify(body)));
    expect(JSON.parse(a)).toEqual({ v: INSPECT_PROTOCOL_VERSION, type: 'traffic', sub: 's1', ...body });
    expect(a.startsWith(`{"v":${INSPECT_PROTOCOL_VERSION},"type":"traffic","sub":"s1",`)).toBe(true);
  });

  it('an empty body is the header alone; ids are JSON-escaped', () => {
    expect(JSON.parse(subFrame('x', 'a"b', {}))).toEqual({
      v: INSPECT_PROTOCOL_VERSION,
      type: 'x',
      sub: 'a"b',
    });
  });

  it('frames are valid protocol messages', () => {
    const m = parseInspectServerMessage(
      subFrame('resync', 's2', { stream: 'tree', room: 'acme/a', dropped: 3, reason: 'backpressure' })
    );
    expect(m.ok).toBe(true);
    const c = parseInspectServerMessage(controlFrame({ type: 'pong', serverTime: 5 }));
    expect(c).toMatchObject({
      ok: true,
      value: { v: INSPECT_PROTOCOL_VERSION, type: 'pong', serverTime: 5 },
    });
  });

  it('PerScope makes and serialises each scope body once, whatever the number of subscribers', () => {
    const made: string[] = [];
    const body = new PerScope('updates', (scope) => {
      made.push(scope);
      return { room: 'acme/a', items: [scope] };
    });
    const sub = (id: string, scope: 'content' | 'metadata') => ({ id, session: { scope } });
    const frames = [
      sub('s1', 'content'),
      sub('s2', 'metadata'),
      sub('s3', 'content'),
      sub('s4', 'metadata'),
    ].map((s) => JSON.parse(body.frame(s)) as { sub: string; items: string[] });
    expect(made).toEqual(['content', 'metadata']);
    expect(frames.map((f) => [f.sub, f.items[0]])).toEqual([
      ['s1', 'content'],
      ['s2', 'metadata'],
      ['s3', 'content'],
      ['s4', 'metadata'],
    ]);
  });
});
