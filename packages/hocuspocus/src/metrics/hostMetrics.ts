/**
 * The collab metrics taxonomy over Hocuspocus's hooks: the same `PodMetrics` and hook → metric mapping
 * (`createMetricsExtension`) our pod uses, fed from what Hocuspocus tells an extension.
 *
 * | Metric event              | Hocuspocus source                                                    |
 * |---------------------------|----------------------------------------------------------------------|
 * | connection joined         | `connected` (after authentication and document load)                 |
 * | connection closed (code)  | `connection.onClose` (registered in `connected`)                     |
 * | message received (kind)   | `beforeHandleMessage` (the raw frame; kind from its first varuints)  |
 * | update applied            | `onChange` (origin: a client connection, or Redis / server-local)    |
 * | durable (storage RTT)     | `onStoreDocument` → `afterStoreDocument` (oldest unstored change)    |
 * | room load / unload        | `onLoadDocument` → `afterLoadDocument`, `afterUnloadDocument`        |
 * | room gauges (scrape time) | `instance.documents` (connections) + per-document unstored changes   |
 *
 * Not available on Hocuspocus (series stay empty, documented in the README): refusals before a
 * connection joined (`ws_errors_total` counts closes of joined connections only), `presence_rtt_ms`
 * (Hocuspocus has no ping / pong per connection), compactions, storage sizes and quotas.
 */
import {
  CpuSampler,
  createMetricsExtension,
  every,
  PodMetrics,
  RoomFolder,
  type MetricsHooks,
  type RoomGaugeStats,
  type Ticker,
  type WarnLogger,
} from '@collabblocks/monitor';
import type { RoomRef } from '../rooms.js';

export interface MetricsOptions {
  /** Rooms that keep their own `room_id` label; the others fold into `room_id="_other"` (default 50). */
  topRooms?: number;
  /** How often the top-N room set is recomputed, ms (default 10 000). */
  foldIntervalMs?: number;
  /** Window over which room activity is ranked, ms (default 60 000). */
  foldWindowMs?: number;
  /** A room out of the top set loses its own counter series after this long, ms (default 600 000). */
  staleSeriesMs?: number;
  /** Sampling period of `cpu_usage` / `mem_usage`, ms (default 5 000). */
  processSampleMs?: number;
  /** prom-client default metrics (event-loop lag, GC, heap) — default true. */
  defaultMetrics?: boolean;
  /**
   * Resolution of the event-loop lag histogram of the default metrics, ms (default 10, as on the pod).
   * It is the extension's main fixed CPU cost (a timer at this period): raise it on small servers.
   */
  eventLoopMonitoringPrecision?: number;
  /** The `backend` label of `storage_write_latency_ms` (default `hocuspocus`). */
  storageBackend?: string;
}

/** Per loaded document: what the scrape and the storage metrics need. */
interface DocState {
  ref: RoomRef;
  /** Changes applied since the last store began (Hocuspocus debounces stores). */
  unstored: number;
  /** When the oldest of them was applied (0 when none). */
  oldestUnstoredAt: number;
  /** Changes the store in progress covers, and when its oldest was applied. */
  storing: { count: number; since: number } | null;
  loadStartedAt: number;
}

/** A loaded document Hocuspocus reports, as the metrics read it. */
export interface DocumentView {
  name: string;
  getConnectionsCount(): number;
}

export class HostMetrics {
  readonly metrics: PodMetrics;
  private readonly hooks: MetricsHooks;
  private readonly docs = new Map<string, DocState>();
  private readonly tickers: Ticker[] = [];
  private readonly backend: string;

  constructor(
    instance: string,
    private readonly documents: () => Iterable<DocumentView>,
    private readonly roomOf: (documentName: string) => RoomRef,
    private readonly logger: WarnLogger,
    private readonly opts: MetricsOptions = {}
  ) {
    const foldIntervalMs = opts.foldIntervalMs ?? 10_000;
    const folder = new RoomFolder(
      opts.topRooms ?? 50,
      Math.max(1, Math.round((opts.foldWindowMs ?? 60_000) / foldIntervalMs)),
      opts.staleSeriesMs ?? 600_000
    );
    this.metrics = new PodMetrics({ pod: instance, rooms: () => this.roomGauges() }, folder, {
      defaultMetrics: opts.defaultMetrics ?? true,
      eventLoopMonitoringPrecision: opts.eventLoopMonitoringPrecision ?? 10,
    });
    this.hooks = createMetricsExtension(this.metrics, logger);
    this.backend = opts.storageBackend ?? 'hocuspocus';
  }

  /** Starts the background samplers (CPU / memory, room folding); timers are unref'd. */
  start(): void {
    if (this.tickers.length > 0) return;
    const cpu = new CpuSampler();
    const sample = () => {
      this.metrics.cpuUsage.set(cpu.sample());
      this.metrics.memUsage.set(process.memoryUsage.rss());
    };
    sample();
    this.tickers.push(
      every(this.opts.processSampleMs ?? 5_000, sample, this.logger, 'process'),
      every(this.opts.foldIntervalMs ?? 10_000, () => this.metrics.rotateFolding(), this.logger, 'folding')
    );
  }

  stop(): void {
    for (const t of this.tickers.splice(0)) t.stop();
  }

  render(accept: string | undefined): Promise<{ contentType: string; body: string }> {
    return this.metrics.render(accept);
  }

  private state(documentName: string): DocState {
    let s = this.docs.get(documentName);
    if (!s) {
      s = {
        ref: this.roomOf(documentName),
        unstored: 0,
        oldestUnstoredAt: 0,
        storing: null,
        loadStartedAt: 0,
      };
      this.docs.set(documentName, s);
    }
    return s;
  }

  loadStarted(documentName: string): void {
    this.state(documentName).loadStartedAt = performance.now();
  }

  /** The document loaded; returns how long the load took (undefined when its start was not seen). */
  loaded(documentName: string): number | undefined {
    const s = this.state(documentName);
    const durationMs = s.loadStartedAt > 0 ? performance.now() - s.loadStartedAt : undefined;
    s.loadStartedAt = 0;
    this.hooks.onRoomLoaded({ org: s.ref.org, durationMs });
    return durationMs;
  }

  unloaded(documentName: string): void {
    const s = this.docs.get(documentName);
    this.docs.delete(documentName);
    this.hooks.onRoomUnloaded({ org: (s?.ref ?? this.roomOf(documentName)).org });
  }

  joined(documentName: string): void {
    const { ref } = this.state(documentName);
    this.hooks.onConnect({ org: ref.org, room: ref.id });
  }

  /**
   * A joined connection closed. `byClient`: the code is not one Hocuspocus closes with itself,
   * so the client chose it (its own close frame); 1006 (dropped) counts as an error either way.
   */
  closed(documentName: string, code: number, byClient: boolean): void {
    this.hooks.onDisconnect({ conn: { org: this.state(documentName).ref.org }, code, byClient });
  }

  message(documentName: string, kind: Parameters<MetricsHooks['onMessage']>[0]['kind']): void {
    const { ref } = this.state(documentName);
    this.hooks.onMessage({ org: ref.org, room: ref.id, kind });
  }

  /** An update applied; `durationMs` from its message's receipt when it came from a client (else NaN). */
  changed(documentName: string, fromClient: boolean, durationMs: number): void {
    const s = this.state(documentName);
    if (s.unstored === 0) s.oldestUnstoredAt = performance.now();
    s.unstored += 1;
    this.hooks.onUpdate({
      org: s.ref.org,
      room: s.ref.id,
      origin: fromClient ? 'client' : 'remote',
      durationMs,
    });
  }

  storeStarted(documentName: string): void {
    const s = this.state(documentName);
    if (s.unstored === 0) return;
    const prev = s.storing;
    s.storing = {
      count: (prev?.count ?? 0) + s.unstored,
      since: prev ? Math.min(prev.since, s.oldestUnstoredAt) : s.oldestUnstoredAt,
    };
    s.unstored = 0;
    s.oldestUnstoredAt = 0;
  }

  stored(documentName: string): void {
    const s = this.docs.get(documentName);
    const done = s?.storing;
    if (!s || !done) return;
    s.storing = null;
    this.hooks.onPersist({
      orgs: [s.ref.org],
      backend: this.backend,
      count: done.count,
      durationMs: performance.now() - done.since,
    });
  }

  /** One entry per room: documents the mapping folds together (unmapped ones) are summed. */
  private roomGauges(): RoomGaugeStats[] {
    const byRoom = new Map<string, RoomGaugeStats>();
    for (const doc of this.documents()) {
      const s = this.state(doc.name);
      const pending = s.unstored + (s.storing?.count ?? 0);
      const e = byRoom.get(s.ref.id);
      if (e) {
        e.connections += doc.getConnectionsCount();
        e.pendingDurable += pending;
      } else {
        byRoom.set(s.ref.id, {
          room: s.ref.id,
          org: s.ref.org,
          connections: doc.getConnectionsCount(),
          pendingDurable: pending,
          pendingCompaction: 0,
        });
      }
    }
    return [...byRoom.values()];
  }
}
