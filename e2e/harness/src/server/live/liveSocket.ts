/**
 * Grafana Live's browser-facing side for the harness: the host page's GrafanaLiveSrv opens one WebSocket on
 * LIVE_SOCKET_PATH and subscribes to `ds/<uid>/<path>` channels. Each subscription goes through the plugin's
 * LiveHub (SubscribeStream with the viewer's PluginContext — the role the page has now — whose initial data is
 * the viewer's first message, one RunStream per channel restarted as Grafana restarts a failed one, fan-out,
 * cancel on the last leave); packets are forwarded as the plugin sent them. Everything a page
 * opened is torn down when it unsubscribes or its socket closes. Bounded: subscriptions per page, message
 * size, and a page that does not read its socket (more than MAX_BUFFERED bytes queued) is disconnected, as
 * Grafana Live disconnects a slow client.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';

import { type RawData, type WebSocket, WebSocketServer } from 'ws';

import {
  LIVE_SOCKET_PATH,
  type LiveClientMessage,
  type LiveServerMessage,
  MAX_LIVE_SUBSCRIPTIONS,
} from '../../shared/live.js';
import type { BackendDatasource, BackendPlugins } from '../backendPlugin/routes.js';

const MAX_BUFFERED = 16 * 1024 * 1024;
const MAX_CLIENT_MESSAGE = 16 * 1024;

export interface LiveSocketDeps {
  backends: BackendPlugins;
  /** The backend datasource of a uid, or undefined (unknown, or a datasource without backend). */
  datasource(uid: string): BackendDatasource | undefined;
  /** The viewer's role now (the harness page's). */
  role(): string;
}

export interface LiveSocket {
  /** Pages connected and subscriptions held (a test figure). */
  stats(): { sockets: number; subscriptions: number };
  close(): void;
}

function readMessage(raw: RawData): LiveClientMessage | null {
  let v: unknown;
  try {
    v = JSON.parse(String(raw));
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const m = v as Record<string, unknown>;
  if (typeof m.id !== 'number' || !Number.isSafeInteger(m.id)) return null;
  if (m.type === 'subscribe' && typeof m.channel === 'string' && m.channel.length <= 2048) {
    return { type: 'subscribe', id: m.id, channel: m.channel };
  }
  if (m.type === 'unsubscribe') return { type: 'unsubscribe', id: m.id };
  return null;
}

export function attachLiveSocket(server: http.Server, deps: LiveSocketDeps): LiveSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE });
  const pages = new Map<WebSocket, Map<number, () => void>>();

  const send = (ws: WebSocket, msg: LiveServerMessage | string) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED) {
      ws.close(1013, 'slow consumer');
      return;
    }
    ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  };

  async function subscribe(ws: WebSocket, subs: Map<number, () => void>, id: number, channel: string) {
    const refuse = (status: 'NOT_FOUND' | 'ERROR', message: string) =>
      send(ws, { type: 'subscribed', id, status, message });
    if (subs.has(id)) return refuse('ERROR', `subscription ${id} exists`);
    if (subs.size >= MAX_LIVE_SUBSCRIPTIONS) return refuse('ERROR', 'too many subscriptions');
    const m = /^ds\/([A-Za-z0-9_-]{1,40})\/(.+)$/.exec(channel);
    if (!m) return refuse('NOT_FOUND', 'only datasource channels (ds/<uid>/<path>) are served');
    const ds = deps.datasource(m[1] ?? '');
    if (!ds) return refuse('NOT_FOUND', 'data source not found or has no backend');
    // Reserve the id while SubscribeStream runs: an unsubscribe meanwhile cancels what it admits.
    let cancelled = false;
    subs.set(id, () => (cancelled = true));
    try {
      const hub = await deps.backends.live(ds.pluginId);
      const role = deps.role();
      const res = await hub.subscribe(
        deps.backends.pluginContext(ds, role),
        m[2] ?? '',
        (text) => send(ws, `{"type":"message","id":${id},"data":${text}}`),
        // A restarted RunStream runs as the same user with the datasource's settings of then.
        { resolveContext: () => deps.backends.pluginContext(deps.datasource(ds.uid) ?? ds, role) }
      );
      if (cancelled || ws.readyState !== ws.OPEN) {
        res.unsubscribe();
        return;
      }
      if (res.status !== 'OK') {
        subs.delete(id);
        send(ws, { type: 'subscribed', id, status: res.status });
        return;
      }
      subs.set(id, res.unsubscribe);
      send(ws, { type: 'subscribed', id, status: 'OK' });
    } catch (err) {
      subs.delete(id);
      refuse('ERROR', err instanceof Error ? err.message : String(err));
    }
  }

  wss.on('connection', (ws: WebSocket) => {
    const subs = new Map<number, () => void>();
    pages.set(ws, subs);
    ws.on('message', (raw) => {
      const msg = readMessage(raw);
      if (!msg) {
        ws.close(1003, 'bad message');
        return;
      }
      if (msg.type === 'subscribe') void subscribe(ws, subs, msg.id, msg.channel);
      else {
        const unsubscribe = subs.get(msg.id);
        subs.delete(msg.id);
        unsubscribe?.();
      }
    });
    ws.on('close', () => {
      for (const unsubscribe of subs.values()) unsubscribe();
      subs.clear();
      pages.delete(ws);
    });
    ws.on('error', () => ws.terminate());
  });

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const p = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (p !== LIVE_SOCKET_PATH) {
      // Nobody else upgrades on this server: refuse instead of leaving the socket hanging.
      if (server.listenerCount('upgrade') === 1) socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  server.on('upgrade', onUpgrade);

  return {
    stats: () => ({
      sockets: pages.size,
      subscriptions: [...pages.values()].reduce((n, s) => n + s.size, 0),
    }),
    close() {
      server.off('upgrade', onUpgrade);
      for (const ws of pages.keys()) ws.terminate();
      wss.close();
    },
  };
}
