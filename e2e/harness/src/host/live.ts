// The browser side of Grafana Live for the harness: the GrafanaLiveSrv that @grafana/runtime's
// DataSourceWithBackend hands a query's `meta.channel` frames to (toStreamingDataResponse → getDataStream).
// One WebSocket per page to the host server (shared/live.ts), which admits each subscription through the
// plugin's SubscribeStream and forwards RunStream's packets. As Grafana's LiveDataStream does, the query's
// frame starts a StreamingDataFrame with the datasource's buffer options (maxLength, Append / Replace) and
// every packet is pushed into it (a schema replaces the fields, data appends or replaces per the action); each
// push is one `Streaming` response. Unsubscribing the Observable unsubscribes the channel.
import { BehaviorSubject, Observable } from 'rxjs';
import {
  type DataQueryResponse,
  type LiveChannelAddress,
  LiveChannelConnectionState,
  type LiveChannelEvent,
  LiveChannelEventType,
  type LiveChannelPresenceStatus,
  LoadingState,
  StreamingDataFrame,
  toLiveChannelId,
} from '@grafana/data';
import type { GrafanaLiveSrv, LiveDataStreamOptions } from '@grafana/runtime';

import { LIVE_SOCKET_PATH, type LiveClientMessage, type LiveServerMessage } from '../shared/live.js';

interface Subscription {
  onSubscribed(status: string, message?: string): void;
  onMessage(data: unknown): void;
  onEnded(error?: string): void;
}

export class HarnessLiveSrv {
  private socket: WebSocket | null = null;
  private ready: Promise<WebSocket> | null = null;
  private nextId = 1;
  private readonly subs = new Map<number, Subscription>();
  private readonly connected = new BehaviorSubject<boolean>(false);

  getConnectionState(): Observable<boolean> {
    return this.connected.asObservable();
  }

  private connect(): Promise<WebSocket> {
    if (this.ready) return this.ready;
    const url = new URL(LIVE_SOCKET_PATH, window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url.toString());
    this.socket = ws;
    this.ready = new Promise((resolve, reject) => {
      ws.addEventListener('open', () => {
        this.connected.next(true);
        resolve(ws);
      });
      ws.addEventListener('error', () => reject(new Error('Grafana Live: connection failed')));
    });
    this.ready.catch(() => undefined);
    ws.addEventListener('message', (ev: MessageEvent<string>) => {
      let msg: LiveServerMessage;
      try {
        msg = JSON.parse(ev.data) as LiveServerMessage;
      } catch {
        return;
      }
      const sub = this.subs.get(msg.id);
      if (!sub) return;
      if (msg.type === 'subscribed') sub.onSubscribed(msg.status, msg.message);
      else sub.onMessage(msg.data);
    });
    ws.addEventListener('close', (ev) => {
      this.connected.next(false);
      this.socket = null;
      this.ready = null;
      const subs = [...this.subs.values()];
      this.subs.clear();
      for (const s of subs)
        s.onEnded(`Grafana Live disconnected (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`);
    });
    return this.ready;
  }

  private send(msg: LiveClientMessage): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(msg));
  }

  /** Subscribes `sub` to a channel; returns the unsubscribe. */
  private open(addr: LiveChannelAddress, sub: Subscription): () => void {
    const id = this.nextId++;
    this.subs.set(id, sub);
    let closed = false;
    this.connect().then(
      () => {
        if (!closed) this.send({ type: 'subscribe', id, channel: toLiveChannelId(addr) });
      },
      (err: unknown) => {
        this.subs.delete(id);
        if (!closed) sub.onEnded(err instanceof Error ? err.message : String(err));
      }
    );
    return () => {
      closed = true;
      if (this.subs.delete(id)) this.send({ type: 'unsubscribe', id });
    };
  }

  getDataStream(options: LiveDataStreamOptions): Observable<DataQueryResponse> {
    const key = options.key ?? toLiveChannelId(options.addr);
    return new Observable<DataQueryResponse>((subscriber) => {
      const frame = options.frame
        ? StreamingDataFrame.fromDataFrameJSON(options.frame, options.buffer)
        : StreamingDataFrame.empty(options.buffer);
      const emit = () => subscriber.next({ key, state: LoadingState.Streaming, data: [frame] });
      if (options.frame) emit();
      const unsubscribe = this.open(options.addr, {
        onSubscribed: (status, message) => {
          if (status === 'OK') return;
          subscriber.next({
            key,
            state: LoadingState.Error,
            data: [frame],
            error: {
              message: `subscribe ${toLiveChannelId(options.addr)}: ${status}${message ? ` (${message})` : ''}`,
            },
          });
          subscriber.complete();
        },
        onMessage: (data) => {
          try {
            frame.push(data as Parameters<StreamingDataFrame['push']>[0]);
          } catch (err) {
            subscriber.next({
              key,
              state: LoadingState.Error,
              data: [frame],
              error: { message: err instanceof Error ? err.message : String(err) },
            });
            return;
          }
          emit();
        },
        onEnded: (error) => {
          subscriber.next({
            key,
            state: error ? LoadingState.Error : LoadingState.Done,
            data: [frame],
            ...(error ? { error: { message: error } } : {}),
          });
          subscriber.complete();
        },
      });
      return unsubscribe;
    });
  }

  getStream<T>(address: LiveChannelAddress): Observable<LiveChannelEvent<T>> {
    return new Observable<LiveChannelEvent<T>>((subscriber) => {
      const unsubscribe = this.open(address, {
        onSubscribed: (status, message) => {
          subscriber.next({
            type: LiveChannelEventType.Status,
            id: toLiveChannelId(address),
            timestamp: Date.now(),
            state:
              status === 'OK' ? LiveChannelConnectionState.Connected : LiveChannelConnectionState.Invalid,
            ...(status === 'OK' ? {} : { error: new Error(message ?? status) }),
          } as LiveChannelEvent<T>);
        },
        onMessage: (data) => subscriber.next({ type: LiveChannelEventType.Message, message: data as T }),
        onEnded: () => subscriber.complete(),
      });
      return unsubscribe;
    });
  }

  getPresence(): Promise<LiveChannelPresenceStatus> {
    return Promise.reject(new Error('presence is not served for datasource channels'));
  }

  publish(): Promise<unknown> {
    return Promise.reject(new Error('datasource channels are read-only (the plugin refuses PublishStream)'));
  }

  asGrafanaLiveSrv(): GrafanaLiveSrv {
    return this as unknown as GrafanaLiveSrv;
  }
}
