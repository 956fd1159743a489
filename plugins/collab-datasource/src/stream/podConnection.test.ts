import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import { backoffDelay } from './backoff';
import { startFakeInspectServer, waitUntil, type FakeServer } from './fakeInspectServer.testutil';
import { PodConnection } from './podConnection';
import type { SocketFactory, SocketLike } from './socket';
import type { StreamEvent, TokenProvider } from './types';

const wsFactory: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

function tokens(expiresInMs = 60_000): TokenProvider & { calls: number } {
  const p = (async () => {
    p.calls += 1;
    return {
      token: `metadata-token-${p.calls}`,
      expiresAt: Date.now() + expiresInMs,
      scope: 'metadata' as const,
    };
  }) as TokenProvider & { calls: number };
  p.calls = 0;
  return p;
}

describe('PodConnection lifecycle (real ws server)', () => {
  let server: FakeServer;
  let conn: PodConnection | null = null;
  beforeEach(async () => {
    server = await startFakeInspectServer();
  });
  afterEach(async () => {
    conn?.dispose();
    conn = null;
    await server.close();
  });

  it('subscribe → open → auth → frames; subscribers share one socket; last unsubscribe closes it', async () => {
    conn = new PodConnection({ url: server.url, tokens: tokens(), socketFactory: wsFactory, lingerMs: 0 });
    const a: StreamEvent[] = [];
    const b: StreamEvent[] = [];
    const subA = conn.stream({ stream: 'rooms' }).subscribe((e) => a.push(e));
    const subB = conn.stream({ stream: 'presence', room: 'acme/a' }).subscribe((e) => b.push(e));
    await waitUntil(() => a.some((e) => e.type === 'message' && e.msg.type === 'rooms'), 5000, 'rooms frame');
    await waitUntil(
      () => b.some((e) => e.type === 'message' && e.msg.type === 'presenceSnapshot'),
      5000,
      'presence'
    );
    expect(conn.socketsOpened).toBe(1);
    expect(server.sessions).toHaveLength(1);
    const s = server.sessions[0]!;
    // The token travels in the first frame, never in the URL.
    expect(s.received[0]?.type).toBe('auth');
    expect(s.subs.size).toBe(2);
    expect(a.find((e) => e.type === 'status')).toMatchObject({ status: 'connecting' });
    expect(conn.podName).toMatch(/^fake-/);

    subA.unsubscribe();
    await waitUntil(() => s.subs.size === 1, 2000, 'pod-side unsubscribe');
    expect(server.open()).toBe(1);
    subB.unsubscribe();
    await waitUntil(() => server.open() === 0, 2000, 'socket closed');
    expect(conn.isOpen).toBe(false);
    expect(conn.refs).toBe(0);
  });

  it('keeps an idle socket for lingerMs so a re-run query reuses it', async () => {
    conn = new PodConnection({ url: server.url, tokens: tokens(), socketFactory: wsFactory, lingerMs: 300 });
    const first = conn.stream({ stream: 'rooms' }).subscribe();
    await waitUntil(() => server.sessions[0]?.subs.size === 1, 3000, 'subscribed');
    first.unsubscribe();
    const again: StreamEvent[] = [];
    const second = conn.stream({ stream: 'rooms' }).subscribe((e) => again.push(e));
    await waitUntil(
      () => again.some((e) => e.type === 'message' && e.msg.type === 'rooms'),
      3000,
      'rooms again'
    );
    expect(conn.socketsOpened).toBe(1);
    second.unsubscribe();
    await waitUntil(() => server.open() === 0, 2000, 'closed after linger');
  });

  it('reconnects with backoff after the socket drops and re-subscribes', async () => {
    conn = new PodConnection({
      url: server.url,
      tokens: tokens(),
      socketFactory: wsFactory,
      lingerMs: 0,
      backoff: { baseMs: 100, maxMs: 400, jitter: 0 },
    });
    const events: StreamEvent[] = [];
    const sub = conn.stream({ stream: 'rooms' }).subscribe((e) => events.push(e));
    const roomsCount = () => events.filter((e) => e.type === 'message' && e.msg.type === 'rooms').length;
    await waitUntil(() => roomsCount() === 1, 3000, 'first rooms');
    const droppedAt = Date.now();
    server.sessions[0]!.ws.terminate();
    await waitUntil(() => roomsCount() === 2, 5000, 'rooms after reconnect');
    const elapsed = Date.now() - droppedAt;
    expect(elapsed).toBeGreaterThanOrEqual(90); // first retry waits baseMs
    expect(conn.socketsOpened).toBe(2);
    expect(server.sessions[1]!.subs.size).toBe(1);
    const err = events.find((e) => e.type === 'error');
    expect(err).toMatchObject({ type: 'error', code: 'connection', fatal: false });
    expect(events.some((e) => e.type === 'status' && e.status === 'reconnecting')).toBe(true);
    sub.unsubscribe();
    await waitUntil(() => server.open() === 0, 2000, 'closed');
  });

  it('backs off exponentially up to the max while the pod is down, then recovers', async () => {
    const delays: number[] = [];
    const url = server.url;
    await server.close();
    conn = new PodConnection({
      url,
      tokens: tokens(),
      socketFactory: wsFactory,
      lingerMs: 0,
      backoff: { baseMs: 20, maxMs: 80, jitter: 0 },
    });
    const sub = conn.stream({ stream: 'rooms' }).subscribe((e) => {
      if (e.type === 'status' && e.detail) delays.push(Number(/retry in (\d+)/.exec(e.detail)?.[1]));
    });
    await waitUntil(() => delays.length >= 4, 5000, 'four retries');
    expect(delays.slice(0, 4)).toEqual([20, 40, 80, 80]);
    sub.unsubscribe();
    expect(conn.isOpen).toBe(false);
    // Re-created for afterEach.
    server = await startFakeInspectServer();
  });

  it('re-authenticates on the same socket before the token expires', async () => {
    const provider = tokens(1200);
    server.expiresFor = () => Date.now() + 1200;
    conn = new PodConnection({
      url: server.url,
      tokens: provider,
      socketFactory: wsFactory,
      lingerMs: 0,
      refreshMarginMs: 700,
    });
    const sub = conn.stream({ stream: 'rooms' }).subscribe();
    await waitUntil(() => (server.sessions[0]?.auths.length ?? 0) >= 2, 4000, 're-auth');
    const s = server.sessions[0]!;
    expect(s.auths[1]!.token).not.toBe(s.auths[0]!.token);
    expect(s.auths[1]!.at - s.auths[0]!.at).toBeLessThan(1200);
    expect(conn.socketsOpened).toBe(1);
    expect(provider.calls).toBeGreaterThanOrEqual(2);
    sub.unsubscribe();
  });

  it('delivers a subscription error to that subscriber only', async () => {
    server.onRequest = (_s, msg, reply) => {
      if (msg.type === 'subscribe' && msg.room === 'acme/bad') {
        reply({ type: 'error', id: msg.id, code: 'room_not_found', message: 'no such room', fatal: false });
      } else if (msg.type === 'subscribe') {
        reply({ type: 'subscribed', id: msg.id, sub: 'ok-1', stream: msg.stream });
      }
    };
    conn = new PodConnection({ url: server.url, tokens: tokens(), socketFactory: wsFactory, lingerMs: 0 });
    const bad: StreamEvent[] = [];
    const good: StreamEvent[] = [];
    const s1 = conn.stream({ stream: 'tree', room: 'acme/bad' }).subscribe((e) => bad.push(e));
    const s2 = conn.stream({ stream: 'tree', room: 'acme/good' }).subscribe((e) => good.push(e));
    await waitUntil(() => bad.some((e) => e.type === 'error'), 3000, 'error');
    await waitUntil(() => good.some((e) => e.type === 'message'), 3000, 'subscribed');
    expect(bad.find((e) => e.type === 'error')).toMatchObject({ code: 'room_not_found', fatal: true });
    expect(good.some((e) => e.type === 'error')).toBe(false);
    s1.unsubscribe();
    s2.unsubscribe();
  });

  it('fails requests in flight when the socket drops', async () => {
    server.onRequest = () => undefined; // never answers
    conn = new PodConnection({ url: server.url, tokens: tokens(), socketFactory: wsFactory, lingerMs: 0 });
    const events: StreamEvent[] = [];
    const sub = conn.request({ type: 'historyTree', room: 'acme/a', at: 1 }).subscribe((e) => events.push(e));
    await waitUntil(() => (server.sessions[0]?.received.length ?? 0) >= 2, 3000, 'request sent');
    server.sessions[0]!.ws.terminate();
    await waitUntil(() => events.some((e) => e.type === 'error'), 3000, 'request failed');
    expect(events.find((e) => e.type === 'error')).toMatchObject({ fatal: true });
    sub.unsubscribe();
  });

  it('reports a token failure to subscribers and retries', async () => {
    let fail = true;
    const provider: TokenProvider = async () => {
      if (fail) throw new Error('HTTP 401');
      return { token: 'metadata-ok', expiresAt: Date.now() + 60_000, scope: 'metadata' };
    };
    conn = new PodConnection({
      url: server.url,
      tokens: provider,
      socketFactory: wsFactory,
      lingerMs: 0,
      backoff: { baseMs: 50, maxMs: 50, jitter: 0 },
    });
    const events: StreamEvent[] = [];
    const sub = conn.stream({ stream: 'rooms' }).subscribe((e) => events.push(e));
    await waitUntil(() => events.some((e) => e.type === 'error' && e.code === 'token'), 3000, 'token error');
    fail = false;
    await waitUntil(
      () => events.some((e) => e.type === 'message' && e.msg.type === 'rooms'),
      3000,
      'recovered'
    );
    sub.unsubscribe();
  });
});

describe('backoffDelay', () => {
  it('grows exponentially, caps at max, and jitters within [1-jitter, 1] of the step', () => {
    const opts = { baseMs: 100, maxMs: 1000, jitter: 0.5 };
    expect(backoffDelay(0, opts, () => 1)).toBe(100);
    expect(backoffDelay(3, opts, () => 1)).toBe(800);
    expect(backoffDelay(10, opts, () => 1)).toBe(1000);
    expect(backoffDelay(10, opts, () => 0)).toBe(500);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(2, opts);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });
});

describe('PodConnection after an auth rejection', () => {
  it('asks for a fresh token on the next attempt', async () => {
    const server = await startFakeInspectServer();
    const asked: Array<boolean | undefined> = [];
    let n = 0;
    const provider: TokenProvider = async (opts) => {
      asked.push(opts?.fresh);
      n += 1;
      return { token: `metadata-${n}`, expiresAt: Date.now() + 60_000, scope: 'metadata' };
    };
    const conn = new PodConnection({
      url: server.url,
      tokens: provider,
      socketFactory: wsFactory,
      lingerMs: 0,
      backoff: { baseMs: 20, maxMs: 20, jitter: 0 },
    });
    const events: StreamEvent[] = [];
    const sub = conn.stream({ stream: 'rooms' }).subscribe((e) => events.push(e));
    await waitUntil(() => server.sessions[0]?.subs.size === 1, 3000, 'subscribed');
    server.sessions[0]!.ws.close(4402, 'token signature invalid');
    await waitUntil(
      () => server.sessions.length === 2 && server.sessions[1]!.subs.size === 1,
      3000,
      'reconnected'
    );
    expect(asked).toEqual([undefined, true]);
    expect(server.sessions[1]!.auths[0]!.token).toBe('metadata-2');
    expect(events.find((e) => e.type === 'error')).toMatchObject({ code: 'auth' });
    sub.unsubscribe();
    conn.dispose();
    await server.close();
  });
});

describe('PodConnection names (shared by an instance)', () => {
  it("names a pod it never reached by the name another connection learned from the pod's hello", async () => {
    const server = await startFakeInspectServer();
    const names = new Map<string, string>();
    const reached = new PodConnection({
      url: server.url,
      tokens: tokens(),
      socketFactory: wsFactory,
      lingerMs: 0,
      names,
    });
    const sub = reached.stream({ stream: 'rooms' }).subscribe(() => undefined);
    await waitUntil(() => server.sessions[0]?.subs.size === 1, 3000, 'subscribed');
    expect(names.get(server.url)).toMatch(/^fake-/);
    // Another connection to the same pod (another scope or shard) whose socket is refused before any hello.
    const refused: SocketFactory = () => {
      throw new Error('connection refused');
    };
    const never = new PodConnection({
      url: server.url,
      tokens: tokens(),
      socketFactory: refused,
      lingerMs: 0,
      backoff: { baseMs: 60_000, maxMs: 60_000, jitter: 0 },
      names,
    });
    const events: StreamEvent[] = [];
    const sub2 = never.stream({ stream: 'rooms' }).subscribe((e) => events.push(e));
    const err = events.find((e) => e.type === 'error');
    expect(err?.pod).toBe(names.get(server.url));
    expect(err?.pod).not.toBe(new URL(server.url).host);
    sub2.unsubscribe();
    sub.unsubscribe();
    never.dispose();
    reached.dispose();
    await server.close();
  });
});
