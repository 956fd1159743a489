/**
 * Client helpers for pod tests: stock `y-websocket` providers (unchanged, in
 * Node with `ws` as the WebSocket polyfill) and raw sockets for protocol-level
 * tests (bad input, close codes).
 *
 *   const a = connectClient(pod.wsUrl, 'acme/doc', token);
 *   await a.synced;                      // server's sync step 2 received
 *   a.doc.getText('t').insert(0, 'hi');
 *   await waitFor(() => b.doc.getText('t').toString() === 'hi', 5000, 'convergence');
 *   a.destroy();
 *
 *   const raw = await openRaw(`${pod.wsUrl}/acme/doc?token=${token}`);
 *   raw.ws.send(bytes); const { code, reason } = await raw.closed;
 */
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

export { waitFor, sleep } from '../infra/ports.js';

export interface StockClient {
  doc: Y.Doc;
  provider: WebsocketProvider;
  /**
   * Resolves on the first `sync` event (state received from the pod); rejects
   * if the connection closes first and `reconnect` is off.
   */
  synced: Promise<void>;
  /** Close events seen by the provider (code, reason), in order. */
  closes: Array<{ code: number; reason: string }>;
  destroy(): void;
}

export interface ConnectOptions {
  /** Let the provider reconnect after a close (default false: tests see closes as they are). */
  reconnect?: boolean;
  /** Initial awareness state. */
  awareness?: Record<string, unknown>;
  doc?: Y.Doc;
}

/** A stock `WebsocketProvider` for `<org>/<room>` on the pod, authenticated with `token`. */
export function connectClient(
  wsUrl: string,
  room: string,
  token: string | null,
  opts: ConnectOptions = {}
): StockClient {
  const doc = opts.doc ?? new Y.Doc();
  const provider = new WebsocketProvider(wsUrl, room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: token === null ? {} : { token },
    disableBc: true,
    maxBackoffTime: 500,
  });
  if (opts.awareness) provider.awareness.setLocalState(opts.awareness);
  const closes: Array<{ code: number; reason: string }> = [];
  let failSync: (err: Error) => void = () => undefined;
  provider.on('connection-close', (ev: { code: number; reason: string } | null) => {
    if (ev) closes.push({ code: ev.code, reason: ev.reason });
    if (!opts.reconnect) {
      provider.shouldConnect = false;
      // Without reconnects this client can never sync now: fail fast instead of hanging the test.
      failSync(new Error(`closed before sync: ${ev?.code ?? '?'} ${ev?.reason ?? ''}`.trim()));
    }
  });
  const synced = new Promise<void>((resolve, reject) => {
    failSync = reject;
    const onSync = (s: boolean): void => {
      if (!s) return;
      provider.off('sync', onSync);
      resolve();
    };
    provider.on('sync', onSync);
  });
  // Handled here so a client nobody awaits does not raise an unhandled rejection.
  synced.catch(() => undefined);
  return {
    doc,
    provider,
    synced,
    closes,
    destroy: () => {
      provider.destroy();
      doc.destroy();
    },
  };
}

export interface RawSocket {
  ws: WebSocket;
  /** Binary frames received, in order. */
  frames: Uint8Array[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a raw WebSocket and resolves once open (rejects if the upgrade fails). */
export function openRaw(url: string, opts: WebSocket.ClientOptions = {}): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
    const frames: Uint8Array[] = [];
    const closed = new Promise<{ code: number; reason: string }>((res) => {
      ws.on('close', (code, reason) => res({ code, reason: reason.toString('utf8') }));
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) frames.push(new Uint8Array(data as Buffer));
    });
    ws.once('open', () => resolve({ ws, frames, closed }));
    ws.once('error', (err) => reject(err));
  });
}

/** Opens a raw socket and waits for the pod to close it; returns the close code and reason. */
export async function closeCodeOf(url: string, timeoutMs = 5000): Promise<{ code: number; reason: string }> {
  const raw = await openRaw(url);
  const timer = setTimeout(() => raw.ws.terminate(), timeoutMs);
  const res = await raw.closed;
  clearTimeout(timer);
  return res;
}
