import { describe, expect, it } from 'vitest';
import { parseInspectServerMessage, type TrafficMessage } from '@collabblocks/protocol';
import type { FrameEvent } from '../../events.js';
import type { MonitorHost } from '../../host.js';
import { createInspectMetrics } from '../metrics.js';
import { Pseudonyms } from '../pseudonyms.js';
import type { Subscription } from '../session/session.js';
import type { StreamContext } from './stream.js';
import { TrafficStream } from './traffic.js';

const secret = new Uint8Array(32);

function fakeSub(id: string, room: string, sent: string[]): Subscription {
  const session = {
    org: 'acme',
    scope: 'metadata',
    sendSub: (_s: Subscription, data: string) => sent.push(data),
  } as unknown as Subscription['session'];
  return { id, stream: 'traffic', room, session, holding: null, generation: 0, closed: false };
}

function ctx(): StreamContext {
  return {
    host: {} as MonitorHost,
    pseudonyms: new Pseudonyms(secret),
    metrics: createInspectMetrics(),
    logger: { warn: () => {} },
    isClosing: () => false,
    countDrop: () => {},
    resync: () => {},
  };
}

const frame = (connId: string, bytes: number): FrameEvent => ({
  room: 'acme/a',
  org: 'acme',
  connId,
  direction: 'in',
  kind: 'sync-update',
  bytes,
  ts: Date.now(),
  data: new Uint8Array(bytes),
});

describe('traffic stream module', () => {
  it('wants frames only while subscribed; 200 rows per batch, the rest coalesced per (conn, direction, kind)', async () => {
    const t = new TrafficStream(ctx(), 5);
    const sent: string[] = [];
    const sub = fakeSub('s1', 'acme/a', sent);
    expect(t.wantsFrames('acme/a')).toBe(false);
    t.subscribe(sub);
    expect(t.wantsFrames('acme/a')).toBe(true);
    for (let i = 0; i < 250; i++) t.onFrame(frame(i % 2 === 0 ? 'x' : 'y', 10));
    await new Promise((r) => setTimeout(r, 30));
    expect(sent).toHaveLength(1);
    const m = parseInspectServerMessage(sent[0] as string);
    expect(m.ok).toBe(true);
    const msg = (m as { value: TrafficMessage }).value;
    expect(msg.dropped).toBe(50);
    expect(msg.frames).toHaveLength(202);
    const coalesced = msg.frames.filter((f) => f.count !== undefined);
    expect(coalesced.map((f) => [f.count, f.bytes])).toEqual([
      [25, 250],
      [25, 250],
    ]);
    // Connection ids never reach the wire: pseudonyms.
    expect(msg.frames.every((f) => f.conn.startsWith('c_') && f.conn !== 'x')).toBe(true);
    t.unsubscribe(sub);
    expect(t.wantsFrames('acme/a')).toBe(false);
    t.onFrame(frame('x', 1));
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toHaveLength(1);
    t.close();
  });
});
