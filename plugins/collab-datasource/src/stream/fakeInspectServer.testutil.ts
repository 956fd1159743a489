/**
 * A small inspect server on a real `ws` socket (127.0.0.1, port 0) for the
 * stream client's lifecycle tests: hello → auth → subscribe/unsubscribe,
 * re-auth, scripted replies. Not a pod: the real-pod tests live in src/integration.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import {
  INSPECT_PROTOCOL_VERSION,
  type InspectClientMessage,
  parseInspectClientMessage,
} from '@collabblocks/protocol';

export interface FakeSession {
  ws: WebSocket;
  auths: Array<{ token: string; at: number }>;
  subs: Map<string, { stream: string; room?: string }>;
  received: InspectClientMessage[];
}

export interface FakeServer {
  url: string;
  sessions: FakeSession[];
  /** Open sockets right now. */
  open(): number;
  /** Token → expiresAt the server accepts (default: any token, +60 s). */
  expiresFor: (token: string) => number;
  /** Called for every message after auth (default: subscribe → subscribed + one message). */
  onRequest: (s: FakeSession, msg: InspectClientMessage, send: (m: Record<string, unknown>) => void) => void;
  send(s: FakeSession, m: Record<string, unknown>): void;
  close(): Promise<void>;
}

let subCounter = 0;

export async function startFakeInspectServer(port = 0): Promise<FakeServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/inspect' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const bound = (wss.address() as { port: number }).port;
  const send = (s: FakeSession, m: Record<string, unknown>): void => {
    if (s.ws.readyState === 1) s.ws.send(JSON.stringify({ v: INSPECT_PROTOCOL_VERSION, ...m }));
  };
  const server: FakeServer = {
    url: `http://127.0.0.1:${bound}`,
    sessions: [],
    open: () => [...wss.clients].filter((c) => c.readyState === 1).length,
    expiresFor: () => Date.now() + 60_000,
    onRequest: (s, msg, reply) => {
      if (msg.type === 'subscribe') {
        const sub = `sub-${++subCounter}`;
        s.subs.set(sub, { stream: msg.stream, ...(msg.room ? { room: msg.room } : {}) });
        reply({
          type: 'subscribed',
          id: msg.id,
          sub,
          stream: msg.stream,
          ...(msg.room ? { room: msg.room } : {}),
        });
        if (msg.stream === 'rooms') {
          reply({
            type: 'rooms',
            sub,
            ts: Date.now(),
            rooms: [
              {
                room: 'acme/a',
                org: 'acme',
                loaded: true,
                connections: 1,
                presence: 1,
                docBytes: 10,
                ops: 1,
                lastActivity: Date.now(),
              },
            ],
          });
        } else if (msg.stream === 'presence' && msg.room) {
          reply({ type: 'presenceSnapshot', sub, room: msg.room, ts: Date.now(), users: [] });
        }
      } else if (msg.type === 'unsubscribe') {
        s.subs.delete(msg.sub);
        reply({ type: 'unsubscribed', sub: msg.sub, reason: 'client', ...(msg.id ? { id: msg.id } : {}) });
      }
    },
    send,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (ws) => {
    const s: FakeSession = { ws, auths: [], subs: new Map(), received: [] };
    server.sessions.push(s);
    send(s, {
      type: 'hello',
      pod: `fake-${bound}`,
      serverTime: Date.now(),
      authTimeoutMs: 2000,
      streams: ['rooms', 'presence', 'tree', 'updates', 'traffic', 'metrics'],
      limits: {
        maxSubscriptions: 32,
        requestsPerSecond: 20,
        maxHistorySpanMs: 86_400_000,
        maxHistoryEntries: 10_000,
        snapshotChunkNodes: 2000,
      },
    });
    ws.on('message', (data) => {
      const parsed = parseInspectClientMessage(String(data));
      if (!parsed.ok) return;
      const msg = parsed.value;
      s.received.push(msg);
      if (msg.type === 'auth') {
        const reauth = s.auths.length > 0;
        s.auths.push({ token: msg.token, at: Date.now() });
        send(s, {
          type: 'authenticated',
          ...(msg.id ? { id: msg.id } : {}),
          org: 'acme',
          scope: msg.token.startsWith('content') ? 'content' : 'metadata',
          expiresAt: server.expiresFor(msg.token),
          reauth,
        });
        return;
      }
      server.onRequest(s, msg, (m) => send(s, m));
    });
  });
  return server;
}

export function waitUntil(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - start > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}
