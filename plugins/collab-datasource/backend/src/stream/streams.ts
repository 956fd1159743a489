/**
 * Grafana Live streams. SubscribeStream admits a viewer to a channel (its scope within the viewer's role,
 * its room within the API key's org); RunStream — called by Grafana once per channel, however many viewers
 * it has — runs the live runner of the channel on the instance's shared pod connections (one upstream inspect
 * subscription per pod) and sends each emission as a JSON frame packet, the way the Go SDK's
 * `StreamSender.SendFrame(frame, IncludeAll)` does; it tears the runner (and the pod subscriptions) down when
 * Grafana ends the call. Running channels are bounded per process.
 */
import type { Subscription } from 'rxjs';
import { createDataFrame, type DataFrame, type DataQueryResponse } from '@grafana/data';
import { errorMessage } from '@collabblocks/protocol';

import { runnerOf } from '../../../src/query/runners';
import { frameToJSON } from '../frames/json';
import { mergeFrames } from '../frames/merge';
import type {
  PluginContext,
  PublishStreamResponse,
  RunStreamRequest,
  StreamPacket,
  SubscribeStreamRequest,
  SubscribeStreamResponse,
} from '../grpc/messages';
import { type Instance, type Instances, MAX_SHARDS, scopeOfRole, SHARD_CAPACITY } from '../pods/instance';
import { checkRoomOrg, OrgRefused } from '../pods/orgGuard';
import { runContext } from '../query/context';
import { type Channel, parseChannelPath } from './channel';

/** Channels running at once in this process (Grafana runs one RunStream per channel). */
export const MAX_RUNNING_CHANNELS = SHARD_CAPACITY * MAX_SHARDS;

export interface StreamsOptions {
  maxChannels?: number;
  throttleMs?: number;
}

/** A RunStream call as the gRPC layer hands it over. */
export interface PacketSink {
  send(packet: StreamPacket): void;
  /** Called once when Grafana ends the stream (or the connection drops). */
  onClose(fn: () => void): void;
}

export class StreamRefused extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED',
    message: string
  ) {
    super(message);
  }
}

const empty = Buffer.alloc(0);

export class Streams {
  private readonly running = new Map<string, { channel: string; sub: Subscription }>();
  private nextId = 1;
  readonly stats = { started: 0, refused: 0 };

  constructor(
    private readonly instances: Instances,
    private readonly opts: StreamsOptions = {}
  ) {}

  get runningCount(): number {
    return this.running.size;
  }

  get maxChannels(): number {
    return this.opts.maxChannels ?? MAX_RUNNING_CHANNELS;
  }

  async subscribe(req: SubscribeStreamRequest): Promise<SubscribeStreamResponse> {
    try {
      await this.admit(req.pluginContext, req.path, true);
      // A channel that cannot start now (the process runs its maximum) is still admitted — Grafana retries
      // RunStream while the channel has viewers, so it starts when others end — and the viewer's first
      // frame (the SDK's InitialData) says why it is empty.
      if (!this.isRunning(req.pluginContext, req.path) && this.running.size >= this.maxChannels) {
        return { status: 'OK', data: initialNotice(this.capacityMessage()) };
      }
      return { status: 'OK', data: empty };
    } catch (err) {
      this.stats.refused += 1;
      const status =
        err instanceof StreamRefused && err.code === 'PERMISSION_DENIED' ? 'PERMISSION_DENIED' : 'NOT_FOUND';
      return { status, data: empty };
    }
  }

  /** Channels are read-only. */
  publish(): PublishStreamResponse {
    return { status: 'PERMISSION_DENIED', data: empty };
  }

  /** Runs a channel until Grafana ends the call; throws StreamRefused before sending anything when it may not run. */
  async run(req: RunStreamRequest, sink: PacketSink): Promise<void> {
    const { instance, channel } = await this.admit(req.pluginContext, req.path, false);
    if (this.running.size >= this.maxChannels) {
      this.stats.refused += 1;
      throw new StreamRefused('RESOURCE_EXHAUSTED', this.capacityMessage());
    }
    const runner = runnerOf(channel.kind);
    if (!runner?.live) throw new StreamRefused('NOT_FOUND', `"${channel.kind}" is not a live query kind`);
    const p = channel.params;
    const ctx = runContext(
      instance,
      channel.scope,
      {
        refId: 'A',
        room: p.room,
        pod: p.pod,
        gridSize: p.gridSize,
        at: '',
        through: '',
        filter: p.filter,
        fromMs: Date.now(),
        toMs: Date.now(),
        ...(p.maxDataPoints !== undefined ? { maxDataPoints: p.maxDataPoints } : {}),
        ...(p.heatmapMeasure !== undefined ? { heatmapMeasure: p.heatmapMeasure } : {}),
        ...(p.heatmapBucketMs !== undefined ? { heatmapBucketMs: p.heatmapBucketMs } : {}),
      },
      { throttleMs: this.opts.throttleMs ?? 250 }
    );
    ctx.rootPath = p.rootPath;
    ctx.maxDepth = p.maxDepth;
    const id = this.nextId++;
    this.stats.started += 1;
    const sub = runner.run(ctx).subscribe({
      next: (r) => {
        try {
          for (const packet of packetsOf(r)) sink.send(packet);
        } catch {
          // A send on a call Grafana already ended: the close handler below tears the runner down.
        }
      },
    });
    this.running.set(String(id), { channel: channelKey(req.pluginContext, req.path), sub });
    sink.onClose(() => {
      sub.unsubscribe();
      this.running.delete(String(id));
    });
  }

  private capacityMessage(): string {
    return `more than ${this.maxChannels} live channels are running in this backend; this one starts when others end`;
  }

  /** A channel is Grafana's per organisation: `ds/<uid>/<path>` of one org. */
  private isRunning(ctx: PluginContext | null, path: string): boolean {
    const key = channelKey(ctx, path);
    for (const r of this.running.values()) if (r.channel === key) return true;
    return false;
  }

  private async admit(
    pluginContext: PluginContext | null,
    path: string,
    checkUser: boolean
  ): Promise<{ instance: Instance; channel: Channel }> {
    let channel: Channel;
    try {
      channel = parseChannelPath(path);
    } catch (err) {
      throw new StreamRefused('NOT_FOUND', errorMessage(err));
    }
    let instance: Instance;
    try {
      instance = this.instances.of(pluginContext);
    } catch (err) {
      throw new StreamRefused('NOT_FOUND', errorMessage(err));
    }
    if (checkUser && channel.scope === 'content' && scopeOfRole(pluginContext?.user?.role) !== 'content') {
      throw new StreamRefused('PERMISSION_DENIED', 'a content channel needs the Editor role');
    }
    // The key's org (from a token of the channel's scope): a room of another org is refused here, before
    // any pod sees it; so is a content channel when the key only grants metadata.
    try {
      await checkRoomOrg(instance, channel.scope, channel.params.room, { exactScope: true });
    } catch (err) {
      const denied = err instanceof OrgRefused && err.reason !== 'no_token';
      throw new StreamRefused(denied ? 'PERMISSION_DENIED' : 'NOT_FOUND', errorMessage(err));
    }
    return { instance, channel };
  }

  dispose(): void {
    for (const r of this.running.values()) r.sub.unsubscribe();
    this.running.clear();
  }
}

function channelKey(ctx: PluginContext | null, path: string): string {
  return `${ctx?.orgId ?? 0}/${path}`;
}

/** SubscribeStream's initial data: an empty frame whose error notice the viewer's panel shows. */
function initialNotice(text: string): Buffer {
  const frame: DataFrame = { fields: [], length: 0, meta: { notices: [{ severity: 'error', text }] } };
  return Buffer.from(JSON.stringify(frameToJSON(frame, 'all')));
}

/**
 * The packets of one emission: ONE frame (frame JSON with schema and data) holding every pod's data
 * (frames/merge.ts: Grafana Live keeps a channel's last packet as its frame, so one packet per pod frame
 * would flicker between pods); the response's errors travel as error notices.
 */
export function packetsOf(r: DataQueryResponse): StreamPacket[] {
  const errors = (r.errors ?? (r.error ? [r.error] : [])).map((e) => ({
    severity: 'error' as const,
    text: e.message ?? 'error',
  }));
  let frames = mergeFrames(r.data as DataFrame[]);
  if (errors.length) {
    const [first, ...rest] = frames;
    const base = first ?? createDataFrame({ refId: 'A', fields: [] });
    frames = [
      { ...base, meta: { ...base.meta, notices: [...(base.meta?.notices ?? []), ...errors] } },
      ...rest,
    ];
  }
  return frames.map((f) => ({ data: Buffer.from(JSON.stringify(frameToJSON(f, 'all'))) }));
}
