/**
 * Grafana Live's plugin-channel side, for the e2e harness and the benches: each viewer's subscription to
 * `ds/<uid>/<path>` is admitted by the plugin's SubscribeStream (with the viewer's own PluginContext);
 * the FIRST viewer of a channel starts the plugin's RunStream, every packet is forwarded to every viewer of
 * the channel, and when the last viewer leaves the RunStream call is cancelled (Grafana does so after a
 * short delay; `closeDelayMs`). One RunStream per channel, whatever the number of viewers.
 */
import type { ClientReadableStream } from '@grpc/grpc-js';

import type { PluginHost } from './pluginHost.js';

export type PacketListener = (data: string) => void;
/** Told once when the channel's RunStream ends by itself (the plugin returned or failed), not on unsubscribe. */
export type EndListener = (err: Error | null) => void;

interface ChannelRun {
  call: ClientReadableStream<{ data: Buffer }>;
  viewers: Set<PacketListener>;
  ends: Map<PacketListener, EndListener>;
  /** The last packet, replayed to a viewer that joins a running channel (Grafana Live keeps it too). */
  last: string | null;
  closeTimer: ReturnType<typeof setTimeout> | null;
}

export interface SubscribeResult {
  status: 'OK' | 'NOT_FOUND' | 'PERMISSION_DENIED';
  unsubscribe: () => void;
}

export class LiveHub {
  private readonly runs = new Map<string, ChannelRun>();
  /** RunStream calls started so far (a test / bench figure). */
  runStreamsStarted = 0;

  constructor(
    private readonly host: PluginHost,
    private readonly opts: { closeDelayMs?: number; onEnd?: (path: string, err: Error | null) => void } = {}
  ) {}

  get runningChannels(): number {
    return this.runs.size;
  }

  /**
   * Subscribes a viewer to a channel path (the part after `ds/<uid>/`). `pluginContext` is the viewer's (user
   * and role); RunStream runs with the first viewer's, as in Grafana.
   */
  async subscribe(
    pluginContext: unknown,
    path: string,
    listener: PacketListener,
    onEnd?: EndListener
  ): Promise<SubscribeResult> {
    const res = await this.host.call<{ status: SubscribeResult['status'] }>(
      this.host.stream,
      'SubscribeStream',
      {
        pluginContext,
        path,
      }
    );
    if (res.status !== 'OK') return { status: res.status, unsubscribe: () => undefined };
    let run = this.runs.get(path);
    if (!run) {
      const call = (this.host.stream.RunStream as (r: unknown) => ClientReadableStream<{ data: Buffer }>)({
        pluginContext,
        path,
      });
      this.runStreamsStarted += 1;
      const created: ChannelRun = { call, viewers: new Set(), ends: new Map(), last: null, closeTimer: null };
      call.on('data', (p: { data: Buffer }) => {
        const text = p.data.toString('utf8');
        created.last = text;
        for (const v of created.viewers) v(text);
      });
      let ended = false;
      const end = (err: Error | null) => {
        if (ended) return;
        ended = true;
        if (this.runs.get(path) === created) this.runs.delete(path);
        this.opts.onEnd?.(path, err);
        for (const [viewer, fn] of created.ends) if (created.viewers.has(viewer)) fn(err);
      };
      call.on('error', (err: Error) => end((err as { code?: number }).code === 1 ? null : err));
      call.on('end', () => end(null));
      this.runs.set(path, created);
      run = created;
    } else if (run.closeTimer) {
      clearTimeout(run.closeTimer);
      run.closeTimer = null;
    }
    const r = run;
    r.viewers.add(listener);
    if (onEnd) r.ends.set(listener, onEnd);
    if (r.last !== null) listener(r.last);
    return {
      status: 'OK',
      unsubscribe: () => {
        r.ends.delete(listener);
        if (!r.viewers.delete(listener) || r.viewers.size > 0) return;
        const close = () => {
          if (r.viewers.size > 0) return;
          r.call.cancel();
          if (this.runs.get(path) === r) this.runs.delete(path);
        };
        const delay = this.opts.closeDelayMs ?? 0;
        if (delay > 0) r.closeTimer = setTimeout(close, delay);
        else close();
      },
    };
  }

  close(): void {
    for (const r of this.runs.values()) {
      if (r.closeTimer) clearTimeout(r.closeTimer);
      r.call.cancel();
    }
    this.runs.clear();
  }
}
