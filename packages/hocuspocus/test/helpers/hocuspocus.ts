/**
 * A real `@hocuspocus/server` on 127.0.0.1 (ephemeral port) and real `@hocuspocus/provider` clients
 * in Node (`ws` as the WebSocket polyfill).
 *
 *   const hp = await startHocuspocus({ monitor: { instance: 'hp-1' } });
 *   const a = connectHocuspocus(hp.wsUrl, 'acme/doc');
 *   await a.synced;
 *   a.doc.getText('t').insert(0, 'hi');
 *   a.destroy();
 *   await hp.stop();
 */
import { Server, type Extension } from '@hocuspocus/server';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { CollabMonitor, type CollabMonitorOptions } from '../../src/index.js';

export interface HocuspocusHost {
  server: Server;
  monitor: CollabMonitor | undefined;
  httpUrl: string;
  wsUrl: string;
  stop(): Promise<void>;
}

export interface StartHocuspocusOptions {
  /** Options of the CollabMonitor extension; `false` starts Hocuspocus without it. */
  monitor?: CollabMonitorOptions | false;
  /** Further extensions (e.g. persistence, an authentication hook). */
  extensions?: Extension[];
  /** onStoreDocument debounce, ms (Hocuspocus default 2000; tests use less). */
  debounce?: number;
}

export async function startHocuspocus(opts: StartHocuspocusOptions = {}): Promise<HocuspocusHost> {
  const monitor =
    opts.monitor === false
      ? undefined
      : new CollabMonitor({
          instance: 'hocuspocus-test',
          metrics: { defaultMetrics: false },
          ...opts.monitor,
        });
  const server = new Server({
    address: '127.0.0.1',
    port: 0,
    quiet: true,
    stopOnSignals: false,
    debounce: opts.debounce ?? 50,
    maxDebounce: 500,
    extensions: [...(monitor ? [monitor] : []), ...(opts.extensions ?? [])],
  });
  await server.listen();
  const port = server.address.port;
  return {
    server,
    monitor,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    stop: () => server.destroy(),
  };
}

export interface HocuspocusClient {
  doc: Y.Doc;
  provider: HocuspocusProvider;
  socket: HocuspocusProviderWebsocket;
  /** Resolves once the provider synced with the server. */
  synced: Promise<void>;
  destroy(): void;
}

export function connectHocuspocus(
  wsUrl: string,
  documentName: string,
  opts: { token?: string; awareness?: Record<string, unknown> } = {}
): HocuspocusClient {
  const socket = new HocuspocusProviderWebsocket({
    url: wsUrl,
    WebSocketPolyfill: WebSocket,
    // Tests see closes as they are: no reconnect.
    delay: 60_000,
    maxAttempts: 1,
  });
  const doc = new Y.Doc();
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name: documentName,
    document: doc,
    token: opts.token ?? 'no-auth',
  });
  provider.attach();
  if (opts.awareness) {
    for (const [k, v] of Object.entries(opts.awareness)) provider.setAwarenessField(k, v);
  }
  const synced = new Promise<void>((resolve) => {
    if (provider.isSynced) resolve();
    else provider.on('synced', () => resolve());
  });
  return {
    doc,
    provider,
    socket,
    synced,
    destroy: () => {
      provider.destroy();
      socket.destroy();
    },
  };
}
