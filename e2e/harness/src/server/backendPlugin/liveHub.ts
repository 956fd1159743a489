/**
 * Grafana Live's plugin-channel side, for the e2e harness and the benches, modelled on Grafana's own
 * (pkg/services/live/features/plugin.go, pkg/services/live/runstream/manager.go):
 * - each viewer's subscription to `ds/<uid>/<path>` is admitted by the plugin's SubscribeStream (with the
 *   viewer's own PluginContext); the response's `data` (the SDK's InitialData) is that viewer's first message,
 *   as Grafana sends it in the subscribe reply;
 * - the FIRST viewer of a channel starts the plugin's RunStream (with that viewer's context, re-resolved on
 *   every restart as Grafana re-reads the datasource); every packet is forwarded to every viewer of the
 *   channel; one RunStream per channel, whatever the number of viewers; a viewer joining a running channel
 *   gets no earlier packet (no recovery on plugin channels);
 * - a RunStream that ends with an error while the channel has viewers is run again, as Grafana's stream
 *   manager does: at once when the failed run had lasted at least 100 ms, else after 100 ms × 2^n for the
 *   n-th fast failure in a row from the second one on (200 ms, 400 ms, … capped at 5 s). A RunStream that
 *   returns without an error is not run again until a new viewer subscribes; its viewers keep their
 *   subscription (Grafana tells them nothing);
 * - when the last viewer leaves, the RunStream call is cancelled (Grafana does so after a delay;
 *   `closeDelayMs`), and a pending restart is dropped.
 */
import type { ClientReadableStream } from '@grpc/grpc-js';

import type { PluginHost } from './pluginHost.js';

export type PacketListener = (data: string) => void;

/** Grafana's stream manager (runstream/manager.go): what decides a restart and its delay. */
export const RUN_STREAM_RESTART = {
  /** A run shorter than this counts as a fast failure. */
  fastRunMs: 100,
  /** The delay of the n-th fast failure in a row is coolDownMs × 2^n (n from 0: the first retry is at once). */
  coolDownMs: 100,
  maxDelayMs: 5_000,
} as const;

/** Delay before the next RunStream after `fastErrors` fast failures in a row (Grafana's getDelay). */
export function restartDelay(fastErrors: number): number {
  if (fastErrors <= 0) return 0;
  return Math.min(
    RUN_STREAM_RESTART.maxDelayMs,
    RUN_STREAM_RESTART.coolDownMs * 2 ** Math.min(fastErrors, 16)
  );
}

interface ChannelRun {
  /** The running call, or null between a failure and its restart, or after a clean end. */
  call: ClientReadableStream<{ data: Buffer }> | null;
  /** The plugin context the channel's RunStream runs with (the first viewer's, re-read on each restart). */
  context: () => unknown;
  viewers: Set<PacketListener>;
  closeTimer: ReturnType<typeof setTimeout> | null;
  restartTimer: ReturnType<typeof setTimeout> | null;
  /** Fast failures in a row (runs shorter than RUN_STREAM_RESTART.fastRunMs). */
  fastErrors: number;
  closed: boolean;
}

export interface SubscribeResult {
  status: 'OK' | 'NOT_FOUND' | 'PERMISSION_DENIED';
  unsubscribe: () => void;
}

export interface SubscribeOptions {
  /**
   * The viewer's plugin context as Grafana resolves it when it restarts the channel's RunStream (the same
   * user, the datasource's settings of now). Default: the context the viewer subscribed with.
   */
  resolveContext?: () => unknown;
}

export interface LiveHubOptions {
  closeDelayMs?: number;
  /** Told each time a channel's RunStream call ends by itself (`err` null: it returned without an error). */
  onEnd?: (path: string, err: Error | null) => void;
}

export class LiveHub {
  private readonly runs = new Map<string, ChannelRun>();
  /** Channels whose RunStream was started by a viewer (a test / bench figure; restarts not counted). */
  runStreamsStarted = 0;
  /** RunStream calls made again after one ended with an error (Grafana's restarts). */
  runStreamRestarts = 0;
  /** The last RunStream ends that were not the hub's own cancel (at most 20; Grafana logs them). */
  readonly recentEnds: Array<{ path: string; error: string | null; at: number }> = [];

  constructor(
    private readonly host: PluginHost,
    private readonly opts: LiveHubOptions = {}
  ) {}

  /** Channels with viewers. */
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
    opts: SubscribeOptions = {}
  ): Promise<SubscribeResult> {
    const res = await this.host.call<{ status: SubscribeResult['status']; data?: Buffer }>(
      this.host.stream,
      'SubscribeStream',
      { pluginContext, path }
    );
    if (res.status !== 'OK') return { status: res.status, unsubscribe: () => undefined };
    // The subscribe reply's data: this viewer's first message (Grafana forwards it with the reply).
    if (res.data && res.data.length > 0) listener(res.data.toString('utf8'));
    let run = this.runs.get(path);
    if (!run) {
      run = {
        call: null,
        context: opts.resolveContext ?? (() => pluginContext),
        viewers: new Set(),
        closeTimer: null,
        restartTimer: null,
        fastErrors: 0,
        closed: false,
      };
      this.runs.set(path, run);
    } else if (run.closeTimer) {
      clearTimeout(run.closeTimer);
      run.closeTimer = null;
    }
    const r = run;
    // No replay of earlier packets: Grafana subscribes `ds/` channels without recovery (live.go's reply has
    // EnableRecovery false for plugin channels), so a viewer joining a running channel gets its
    // SubscribeStream data, then the packets sent from now on; the query's QueryData frame is what it shows
    // meanwhile.
    r.viewers.add(listener);
    // No RunStream running nor due (a new channel, or one whose RunStream returned): Grafana submits one.
    if (!r.call && !r.restartTimer) {
      this.runStreamsStarted += 1;
      r.fastErrors = 0;
      this.start(path, r);
    }
    return {
      status: 'OK',
      unsubscribe: () => {
        if (!r.viewers.delete(listener) || r.viewers.size > 0) return;
        const close = () => {
          r.closeTimer = null;
          if (r.viewers.size > 0) return;
          this.stop(path, r);
        };
        const delay = this.opts.closeDelayMs ?? 0;
        if (delay > 0) r.closeTimer = setTimeout(close, delay);
        else close();
      },
    };
  }

  private start(path: string, r: ChannelRun): void {
    r.restartTimer = null;
    if (r.closed) return;
    const startedAt = Date.now();
    const call = (this.host.stream.RunStream as (req: unknown) => ClientReadableStream<{ data: Buffer }>)({
      pluginContext: r.context(),
      path,
    });
    r.call = call;
    call.on('data', (p: { data: Buffer }) => {
      const text = p.data.toString('utf8');
      for (const v of r.viewers) v(text);
    });
    let ended = false;
    const end = (err: Error | null) => {
      if (ended) return;
      ended = true;
      if (r.call === call) r.call = null;
      if (r.closed) return; // cancelled by the hub: the last viewer left
      this.recentEnds.push({ path, error: err ? err.message : null, at: Date.now() });
      if (this.recentEnds.length > 20) this.recentEnds.shift();
      this.opts.onEnd?.(path, err);
      if (!err) return; // returned without an error: not run again until a new viewer subscribes
      // Grafana's manager: a run that lasted ≥ 100 ms restarts at once and resets the count; a fast failure
      // waits restartDelay(n) and counts one more.
      let delay = 0;
      if (Date.now() - startedAt < RUN_STREAM_RESTART.fastRunMs) {
        delay = restartDelay(r.fastErrors);
        r.fastErrors += 1;
      } else {
        r.fastErrors = 0;
      }
      this.runStreamRestarts += 1;
      r.restartTimer = setTimeout(() => this.start(path, r), delay);
    };
    // CANCELLED (1) is the hub's own cancel; every other status is an error Grafana logs and restarts on.
    call.on('error', (err: Error) => end((err as { code?: number }).code === 1 ? null : err));
    call.on('end', () => end(null));
  }

  private stop(path: string, r: ChannelRun): void {
    r.closed = true;
    if (r.restartTimer) clearTimeout(r.restartTimer);
    r.restartTimer = null;
    if (r.closeTimer) clearTimeout(r.closeTimer);
    r.closeTimer = null;
    r.call?.cancel();
    r.call = null;
    if (this.runs.get(path) === r) this.runs.delete(path);
  }

  close(): void {
    for (const [path, r] of [...this.runs]) this.stop(path, r);
    this.runs.clear();
  }
}
