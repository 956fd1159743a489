/**
 * The inspect session (protocol state machine) against a fake socket and a
 * fake bridge: what happens to replies when the client does not read, request
 * limits on every message type, and scope changes on re-auth.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { CloseCode, type InspectScope } from '@collabblocks/protocol';
import {
  InspectSession,
  type SessionHost,
  type Subscription,
  mintInspectToken,
  verifyInspectToken,
  type InspectVerifyResult,
} from '@collabblocks/monitor';

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

const SECRET = new Uint8Array(Buffer.from('inspect-session-test-secret-0123456789'));

class FakeHost implements SessionHost {
  readonly pod = 'fake';
  queueLimits?: { maxQueuedBytes: number; maxQueuedMessages: number };
  readonly subs: Subscription[] = [];
  readonly resyncs: Array<[string, number]> = [];
  verifications = 0;
  /** What `history` does (default: nothing). */
  onHistory: (session: InspectSession, msg: { id: string }) => Promise<void> = async () => undefined;
  async verify(token: string): Promise<InspectVerifyResult> {
    this.verifications++;
    return verifyInspectToken(SECRET, token);
  }
  subscribe(sub: Subscription): void {
    this.subs.push(sub);
  }
  unsubscribe(): void {}
  resync(sub: Subscription, dropped: number): void {
    this.resyncs.push([sub.id, dropped]);
  }
  history(session: InspectSession, msg: { id: string }): Promise<void> {
    return this.onHistory(session, msg);
  }
  async historyTree(): Promise<void> {}
  sessionAuthenticated(): boolean {
    return true;
  }
  sessionClosed(): void {}
  countDrop(): void {}
  /** A real inspect token (`now` in the past for an expired one). */
  async token(scope: InspectScope, ttlSeconds = 60, now = Date.now()): Promise<string> {
    return (await mintInspectToken(SECRET, 'acme', scope, ttlSeconds, now)).token;
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
    ws.client({ type: 'auth', id: 'a', token: await host.token('content') });
    // The token's verification is asynchronous: wait for its answer, not for a fixed time (20 ms was too
    // short on a loaded CI machine).
    for (let i = 0; i < 400 && ws.of('authenticated').length === 0; i++) await tick(5);
    expect(ws.of('authenticated')).toHaveLength(1);
    ws.bufferedAmount = 10 << 20; // stops reading: everything queues from now on
    for (let i = 0; i < 12; i++) ws.client({ type: 'ping', id: `p${i}` });
    await tick(20);
    // 10 pongs fit in the queue; the 11th cannot be queued: the session is closed, not muted.
    expect(ws.closed?.code).toBe(CloseCode.SLOW_CONSUMER);
    expect(ws.of('pong')).toHaveLength(0);
  });
});

/** An authenticated session on a fake socket. */
async function authed(
  host: FakeHost,
  scope: InspectScope = 'content'
): Promise<{ ws: FakeWs; session: InspectSession }> {
  const o = open(host);
  o.ws.client({ type: 'auth', id: 'a0', token: await host.token(scope) });
  for (let i = 0; i < 400 && o.ws.of('authenticated').length === 0; i++) await tick(5);
  expect(o.ws.of('authenticated')).toHaveLength(1);
  return o;
}

describe('request limits', () => {
  it('ping counts against the request rate (burst 40), like any request', async () => {
    const host = new FakeHost();
    const { ws } = await authed(host);
    for (let i = 0; i < 60; i++) ws.client({ type: 'ping', id: `p${i}` });
    await tick(20);
    const pongs = ws.of('pong').length;
    const limited = ws.of('error').filter((m) => m.code === 'rate_limited').length;
    expect(pongs + limited).toBe(60);
    // The auth took one token of the 40; a few refill while the test runs.
    expect(pongs).toBeLessThanOrEqual(45);
    expect(limited).toBeGreaterThanOrEqual(15);
    expect(ws.closed).toBeNull();
  });

  it('auth counts too: a re-auth flood is limited before any token is verified', async () => {
    const host = new FakeHost();
    const { ws } = await authed(host);
    const token = await host.token('content');
    for (let i = 0; i < 60; i++) ws.client({ type: 'auth', id: `a${i + 1}`, token });
    for (let i = 0; i < 200 && ws.of('authenticated').length + ws.of('error').length < 61; i++) await tick(5);
    const limited = ws.of('error').filter((m) => m.code === 'rate_limited').length;
    expect(limited).toBeGreaterThanOrEqual(15);
    expect(host.verifications).toBeLessThanOrEqual(1 + 45);
    expect(ws.closed).toBeNull();
  });

  it('a flood paced just above the rate is closed RATE_LIMITED although a request is admitted now and then', async () => {
    // A starved event loop reads a flood slowly, so the bucket refills between its messages: the old
    // "200 rejected in a row" count was reset by every refill and never closed such a flood.
    const host = new FakeHost();
    let t = Date.now();
    const ws = new FakeWs();
    sessions.push(new InspectSession(ws as unknown as WebSocket, host, () => t));
    ws.client({ type: 'auth', id: 'a0', token: await host.token('content') });
    for (let i = 0; i < 400 && ws.of('authenticated').length === 0; i++) await tick(5);
    expect(ws.of('authenticated')).toHaveLength(1);
    for (let i = 0; i < 600 && !ws.closed; i++) {
      t += 5; // one token per 50 ms at 20 requests/s: one request in ten is admitted
      ws.client({ type: 'ping', id: `p${i}` });
    }
    await tick(20);
    expect(ws.of('pong').length).toBeGreaterThan(40); // the burst, then one in ten
    expect(ws.closed?.code).toBe(CloseCode.RATE_LIMITED);
  });

  it('an auth flood before authentication closes the socket RATE_LIMITED', async () => {
    const host = new FakeHost();
    const { ws } = open(host);
    const token = await host.token('content');
    for (let i = 0; i < 60; i++) ws.client({ type: 'auth', id: `a${i}`, token });
    await tick(50);
    expect(ws.closed?.code).toBe(CloseCode.RATE_LIMITED);
    expect(host.verifications).toBeLessThanOrEqual(41);
  });
});

describe('bad input after authentication', () => {
  it('malformed JSON gets a non-fatal malformed error and the session goes on', async () => {
    const host = new FakeHost();
    const { ws } = await authed(host);
    ws.emit('message', Buffer.from('{"v":1,"type":"ping",'), false);
    ws.emit('message', Buffer.from('[1,2,3]'), false);
    await tick();
    const errors = ws.of('error');
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toMatchObject({ code: 'malformed', fatal: false });
    expect(ws.closed).toBeNull();
    ws.client({ type: 'ping', id: 'still' });
    await tick();
    expect(ws.of('pong').map((m) => m.id)).toEqual(['still']);
  });

  it('a re-auth with an expired token ends the session with AUTH_EXPIRED (4407)', async () => {
    const host = new FakeHost();
    const { ws } = await authed(host);
    ws.client({ type: 'auth', id: 'old', token: await host.token('content', 60, Date.now() - 120_000) });
    for (let i = 0; i < 100 && !ws.closed; i++) await tick(5);
    expect(ws.closed?.code).toBe(CloseCode.AUTH_EXPIRED);
    expect(ws.of('error').at(-1)).toMatchObject({ id: 'old', code: 'auth_expired', fatal: true });
  });
});

describe('re-auth from content down to metadata scope', () => {
  it('purges queued content frames and content replies; subscriptions resync in the new scope', async () => {
    const host = new FakeHost();
    const { ws, session } = await authed(host, 'content');
    for (const stream of ['tree', 'updates', 'metrics'] as const)
      ws.client({ type: 'subscribe', id: `s-${stream}`, stream, room: 'acme/doc' });
    await tick();
    const [tree, updates, metrics] = host.subs as [Subscription, Subscription, Subscription];
    // A history reply with content, queued while the client is not reading.
    host.onHistory = async (s, msg) => {
      s.sendControl({
        type: 'history',
        id: msg.id,
        room: 'acme/doc',
        fromTs: 0,
        toTs: 1,
        entries: [
          {
            ts: 1,
            clientId: 1,
            origin: 'storage',
            bytes: 1,
            inserted: 1,
            deleted: 0,
            paths: ['/t'],
            preview: [{ path: '/t', op: 'insert', value: 'SECRET-preview' }],
          },
        ],
        nextAfterSeq: null,
      });
    };
    ws.bufferedAmount = 10 << 20;
    ws.client({ type: 'history', id: 'h1', room: 'acme/doc', fromTs: 0, toTs: 1 });
    await tick();
    const frame = (sub: Subscription, type: string, extra: object): string =>
      JSON.stringify({ v: 1, type, sub: sub.id, ...extra });
    session.sendSub(tree, frame(tree, 'treePatch', { value: 'SECRET-tree' }));
    session.sendSub(updates, frame(updates, 'updates', { value: 'SECRET-update' }));
    session.sendSub(metrics, frame(metrics, 'metrics', { opsPerSec: 1 }));
    // A snapshot streaming for the tree subscription holds its patches: those go too.
    tree.holding = [frame(tree, 'treePatch', { value: 'SECRET-held' })];
    ws.client({ type: 'auth', id: 'down', token: await host.token('metadata') });
    for (let i = 0; i < 100 && session.scope !== 'metadata'; i++) await tick(5);
    ws.bufferedAmount = 0;
    for (let i = 0; i < 100 && host.resyncs.length < 2; i++) await tick(10);
    expect(JSON.stringify(ws.sent)).not.toContain('SECRET');
    // Scope-independent frames still go out.
    expect(ws.of('metrics')).toHaveLength(1);
    // The content reply was withdrawn: an error with its id says so.
    expect(ws.of('error').find((m) => m.id === 'h1')).toMatchObject({
      code: 'scope_insufficient',
      fatal: false,
    });
    expect(ws.of('authenticated').at(-1)).toMatchObject({ id: 'down', scope: 'metadata', reauth: true });
    // Content-bearing subscriptions resync (a fresh metadata snapshot for state streams).
    expect(new Map(host.resyncs)).toEqual(
      new Map([
        [tree.id, 2],
        [updates.id, 1],
      ])
    );
    expect(tree.holding).toBeNull();
  });
});
