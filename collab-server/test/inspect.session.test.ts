/**
 * The inspect session (protocol state machine) against a fake socket and a
 * fake bridge: what happens to replies when the client does not read, request
 * limits on every message type, and scope changes on re-auth.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { CloseCode, type InspectScope } from '@collabblocks/protocol';
import { InspectSession, type SessionHost, type Subscription } from '../src/inspect/session.js';
import type { InspectVerifyResult } from '../src/inspect/token.js';

/** A socket whose writes are recorded; `bufferedAmount` says whether the client reads. */
class FakeWs extends EventEmitter {
  readonly sent: Array<Record<string, unknown>> = [];
  bufferedAmount = 0;
  closed: { code: number; reason: string } | null = null;
  send(data: string, cb: (err?: Error) => void): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
    setImmediate(() => cb());
  }
  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }
  terminate(): void {
    this.closed ??= { code: 1006, reason: 'terminated' };
  }
  /** A client frame. */
  client(msg: Record<string, unknown>): void {
    this.emit('message', Buffer.from(JSON.stringify({ v: 1, ...msg })), false);
  }
  of(type: string): Array<Record<string, unknown>> {
    return this.sent.filter((m) => m.type === type);
  }
}

class FakeHost implements SessionHost {
  readonly pod = 'fake';
  queueLimits?: { maxQueuedBytes: number; maxQueuedMessages: number };
  /** Token string → verification result. */
  readonly tokens = new Map<string, InspectVerifyResult>();
  readonly subs: Subscription[] = [];
  async verify(token: string): Promise<InspectVerifyResult> {
    return (
      this.tokens.get(token) ?? {
        ok: false,
        closeCode: CloseCode.AUTH_INVALID,
        code: 'auth_invalid',
        reason: 'bad',
      }
    );
  }
  subscribe(sub: Subscription): void {
    this.subs.push(sub);
  }
  unsubscribe(): void {}
  resync(): void {}
  async history(): Promise<void> {}
  async historyTree(): Promise<void> {}
  sessionAuthenticated(): void {}
  sessionClosed(): void {}
  countDrop(): void {}
  token(name: string, scope: InspectScope, expiresAt = Date.now() + 60_000): string {
    this.tokens.set(name, { ok: true, value: { org: 'acme', scope, expiresAt } });
    return name;
  }
}

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sessions: InspectSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close(1000, 'test end');
});

function open(host: FakeHost): { ws: FakeWs; session: InspectSession } {
  const ws = new FakeWs();
  const session = new InspectSession(ws as unknown as WebSocket, host);
  sessions.push(session);
  return { ws, session };
}

describe('replies when the client does not read', () => {
  it('closes with SLOW_CONSUMER (4412) instead of dropping replies silently', async () => {
    const host = new FakeHost();
    host.queueLimits = { maxQueuedMessages: 10, maxQueuedBytes: 1 << 20 };
    const { ws } = open(host);
    ws.client({ type: 'auth', id: 'a', token: host.token('t', 'content') });
    await tick();
    expect(ws.of('authenticated')).toHaveLength(1);
    ws.bufferedAmount = 10 << 20; // stops reading: everything queues from now on
    for (let i = 0; i < 12; i++) ws.client({ type: 'ping', id: `p${i}` });
    await tick(20);
    // 10 pongs fit in the queue; the 11th cannot be queued: the session is closed, not muted.
    expect(ws.closed?.code).toBe(CloseCode.SLOW_CONSUMER);
    expect(ws.of('pong')).toHaveLength(0);
  });
});
