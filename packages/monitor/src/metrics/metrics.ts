/**
 * The pod's Prometheus metrics: one own `Registry` (never the global one),
 * `pod` as a default label on every series, and the exposition rendered as
 * OpenMetrics (with exemplars) or text 0.0.4 depending on the Accept header.
 * See `collab-server/docs/METRICS.md` for what each metric measures.
 *
 * Scrape-time work is bounded: gauges derived from the pod view are one loop
 * over precomputed per-room numbers; storage sizes are refreshed elsewhere in
 * the background.
 */
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type LabelValues,
  type RegistryContentType,
} from 'prom-client';
import type { MetricsHostView } from './events.js';
import { ExpositionWriter, type ExposableMetric, type SampleData } from './exposition.js';
import { OTHER_ROOM, RoomFolder, roomIdOf } from './folding.js';

/** Latency buckets, ms (include the SLO thresholds 40 and 60). */
export const LATENCY_BUCKETS_MS = [0.5, 1, 2, 5, 10, 20, 30, 40, 50, 60, 80, 100, 150, 250, 500, 1000, 2500];
export const ROOM_LOAD_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;

/** The label used when an event carries no org. */
export const UNKNOWN_ORG = '_unknown';

/**
 * True when the Accept header prefers OpenMetrics over the text format
 * (Prometheus sends `application/openmetrics-text;version=1.0.0,…;q=…`).
 */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [typeRaw, ...params] = part.split(';');
    const type = (typeRaw ?? '').trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const [k, v] = p.split('=');
      if (k?.trim().toLowerCase() === 'q') {
        const n = Number(v?.trim());
        if (Number.isFinite(n)) q = n;
      }
    }
    if (type === 'application/openmetrics-text') om = Math.max(om, q);
    else if (type === 'text/plain' || type === '*/*' || type === 'text/*') text = Math.max(text, q);
  }
  return om > 0 && om >= text;
}

const TRACE_ID = /^[0-9a-f]{32}$/;

export class PodMetrics {
  readonly registry: Registry<RegistryContentType>;

  readonly activeConnections: Gauge<'org' | 'room_id'>;
  readonly crdtOps: Counter<'org' | 'room_id' | 'type'>;
  readonly presenceRtt: Histogram<'org'>;
  readonly storageOpRtt: Histogram<'org'>;
  readonly wsErrors: Counter<'org' | 'code'>;
  readonly coreErrors: Counter<'org' | 'code'>;
  readonly clientCloses: Counter<'org'>;
  readonly presenceRefused: Counter<'org' | 'kind'>;
  readonly keySetFailures: Counter<'reason'>;
  readonly cpuUsage: Gauge;
  readonly memUsage: Gauge;
  readonly storageBytes: Gauge<'org'>;
  readonly storageQuotaBytes: Gauge<'org'>;
  readonly opsLag: Gauge<'org'>;
  readonly opsPendingDurable: Gauge<'org'>;
  readonly opsPendingCompaction: Gauge<'org'>;
  readonly storageWriteLatency: Histogram<'backend'>;
  readonly storageWrites: Counter<'backend'>;
  readonly roomsLoaded: Gauge;
  readonly messages: Counter<'org' | 'kind'>;
  readonly connectionsOpened: Counter<'org'>;
  readonly roomLoad: Histogram;
  readonly roomsUnloaded: Counter<'org'>;
  readonly compactions: Counter<'org'>;
  readonly compactionDuration: Histogram;
  readonly updateDuration: Histogram;
  readonly storageStatsAge: Gauge;
  readonly limitEvents: Counter<'org' | 'limit' | 'action'>;
  readonly queuedBytes: Gauge;

  /** Metric objects and their original names (prom-client may rename counters in place). */
  private readonly metricNames = new WeakMap<ExposableMetric, string>();
  private readonly writer: ExpositionWriter;
  /** Room → `type` label values it has its own `crdt_ops_total` series for (to remove them on expiry). */
  private readonly roomOpTypes = new Map<string, { org: string; types: Set<string> }>();
  private renderChain: Promise<unknown> = Promise.resolve();
  /**
   * Figures of the last render (pod-gauge refresh + exposition): how many slices it ran
   * in between event-loop yields and the CPU time of the longest slice (for benches and tests).
   */
  lastRender = { slices: 0, maxSliceCpuMs: 0, maxFamilySlices: 0 };
  private storageStatsAt = 0;

  constructor(
    private readonly pod: MetricsHostView,
    readonly folder: RoomFolder,
    opts: { defaultMetrics: boolean; eventLoopMonitoringPrecision: number }
  ) {
    // OpenMetrics registry so exemplar-enabled histograms can register; text is rendered by switching type.
    this.registry = new Registry<RegistryContentType>();
    this.registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    this.registry.setDefaultLabels({ pod: pod.pod });
    this.writer = new ExpositionWriter({ pod: pod.pod });
    const registers = [this.registry];

    this.activeConnections = new Gauge({
      name: 'collab_active_connections',
      help: 'Open WebSocket connections per room (rooms outside the top N fold into room_id="_other").',
      labelNames: ['org', 'room_id'],
      registers,
    });
    this.crdtOps = new Counter({
      name: 'crdt_ops_total',
      help: 'CRDT messages received per room and type (update, sync-step2, awareness, remote-update).',
      labelNames: ['org', 'room_id', 'type'],
      registers,
    });
    this.presenceRtt = new Histogram({
      name: 'presence_rtt_ms',
      help: 'WebSocket ping to pong round trip per connection, milliseconds (includes pod event-loop delay).',
      labelNames: ['org'],
      buckets: LATENCY_BUCKETS_MS,
      registers,
    });
    this.storageOpRtt = new Histogram({
      name: 'storage_op_rtt_ms',
      help: 'Received update to durable in storage, per org, milliseconds; trace_id exemplars when sampled.',
      labelNames: ['org'],
      buckets: LATENCY_BUCKETS_MS,
      enableExemplars: true,
      registers,
    });
    this.wsErrors = new Counter({
      name: 'ws_errors_total',
      help: 'WebSocket connections the pod rejected or closed with an error close code, or that dropped (1006).',
      labelNames: ['org', 'code'],
      registers,
    });
    this.clientCloses = new Counter({
      name: 'collab_client_closes_total',
      help: 'Connections the client closed with a close code of its own (not 1000/1001/1005); not pod errors.',
      labelNames: ['org'],
      registers,
    });
    this.presenceRefused = new Counter({
      name: 'collab_presence_refused_total',
      help: "Awareness entries dropped because another connection owns the client id (set or remove someone else's presence).",
      labelNames: ['org', 'kind'],
      registers,
    });
    this.keySetFailures = new Counter({
      name: 'collab_auth_jwks_failures_total',
      help: 'Connections refused (4500) because the token key set (JWKS) could not be fetched, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.coreErrors = new Counter({
      name: 'collab_errors_total',
      help: 'Errors reported by the pod core (invalid update, storage unavailable, …) by close code.',
      labelNames: ['org', 'code'],
      registers,
    });
    this.cpuUsage = new Gauge({
      name: 'cpu_usage',
      help: 'Process CPU time over the last sampling interval as a fraction of one core.',
      registers,
    });
    this.memUsage = new Gauge({
      name: 'mem_usage',
      help: 'Process resident set size, bytes.',
      registers,
    });
    this.storageBytes = new Gauge({
      name: 'collab_storage_bytes',
      help: 'Bytes stored per org (update log + snapshots), refreshed in the background.',
      labelNames: ['org'],
      registers,
    });
    this.storageQuotaBytes = new Gauge({
      name: 'collab_storage_quota_bytes',
      help: 'Storage quota per org, bytes.',
      labelNames: ['org'],
      registers,
    });
    this.opsLag = new Gauge({
      name: 'collab_ops_lag',
      help: 'Ops received but not yet durable plus durable ops not yet compacted, per org (loaded rooms).',
      labelNames: ['org'],
      registers,
    });
    this.opsPendingDurable = new Gauge({
      name: 'collab_ops_pending_durable',
      help: 'Ops received but not yet durable, per org.',
      labelNames: ['org'],
      registers,
    });
    this.opsPendingCompaction = new Gauge({
      name: 'collab_ops_pending_compaction',
      help: 'Durable ops not yet folded into a snapshot, per org.',
      labelNames: ['org'],
      registers,
    });
    this.storageWriteLatency = new Histogram({
      name: 'storage_write_latency_ms',
      help: 'Storage write latency (update received to durable) per backend, milliseconds.',
      labelNames: ['backend'],
      buckets: LATENCY_BUCKETS_MS,
      registers,
    });
    this.storageWrites = new Counter({
      name: 'collab_storage_written_ops_total',
      help: 'Updates made durable per backend.',
      labelNames: ['backend'],
      registers,
    });
    this.roomsLoaded = new Gauge({
      name: 'collab_rooms_loaded',
      help: 'Rooms currently loaded in memory on this pod.',
      registers,
    });
    this.messages = new Counter({
      name: 'collab_messages_total',
      help: 'WebSocket messages received, by kind (the error-rate denominator).',
      labelNames: ['org', 'kind'],
      registers,
    });
    this.connectionsOpened = new Counter({
      name: 'collab_connections_total',
      help: 'WebSocket connections accepted (authenticated and joined a room).',
      labelNames: ['org'],
      registers,
    });
    this.roomLoad = new Histogram({
      name: 'collab_room_load_ms',
      help: 'Time to load a room from storage (snapshot + log replay), milliseconds.',
      buckets: ROOM_LOAD_BUCKETS_MS,
      registers,
    });
    this.roomsUnloaded = new Counter({
      name: 'collab_rooms_unloaded_total',
      help: 'Rooms unloaded from memory (idle or shutdown).',
      labelNames: ['org'],
      registers,
    });
    this.compactions = new Counter({
      name: 'collab_compactions_total',
      help: 'Snapshots written by compaction.',
      labelNames: ['org'],
      registers,
    });
    this.compactionDuration = new Histogram({
      name: 'collab_compaction_duration_ms',
      help: 'Duration of one compaction (merge + snapshot write), milliseconds.',
      buckets: ROOM_LOAD_BUCKETS_MS,
      registers,
    });
    this.updateDuration = new Histogram({
      name: 'collab_update_duration_ms',
      help: 'Client update receive to durable, applied and broadcast, milliseconds.',
      buckets: LATENCY_BUCKETS_MS,
      registers,
    });
    this.storageStatsAge = new Gauge({
      name: 'collab_storage_stats_age_seconds',
      help: 'Age of the storage sizes shown by collab_storage_bytes (-1 before the first refresh).',
      registers,
      collect: () => {
        this.storageStatsAge.set(this.storageStatsAt === 0 ? -1 : (Date.now() - this.storageStatsAt) / 1000);
      },
    });

    this.limitEvents = new Counter({
      name: 'collab_limit_events_total',
      help: 'Limits that acted (docs/POD.md "Limits and isolation"), by limit and action (throttled, refused, closed).',
      labelNames: ['org', 'limit', 'action'],
      registers,
    });
    this.queuedBytes = new Gauge({
      name: 'collab_queued_bytes',
      help: 'Bytes queued to clients and not yet written, pod-wide (a buffer shared by several clients counts once).',
      registers,
      collect: () => {
        this.queuedBytes.set(this.pod.queuedBytes?.() ?? 0);
      },
    });

    if (opts.defaultMetrics) {
      collectDefaultMetrics({
        register: this.registry,
        eventLoopMonitoringPrecision: opts.eventLoopMonitoringPrecision,
      });
    }
  }

  /** Counts a CRDT message into the room's current label. */
  countOp(room: string, org: string, type: string, n = 1): void {
    if (this.folder.touch(room, n)) {
      this.crdtOps.inc({ org, room_id: roomIdOf(room, org), type }, n);
      let e = this.roomOpTypes.get(room);
      if (!e) {
        e = { org, types: new Set() };
        this.roomOpTypes.set(room, e);
      }
      e.types.add(type);
    } else {
      this.crdtOps.inc({ org, room_id: OTHER_ROOM, type }, n);
    }
  }

  /** Storage write: per org RTT (with a trace exemplar when sampled) and per backend latency. */
  observePersist(
    orgs: readonly string[],
    backend: string,
    durationMs: number,
    count: number,
    traceId?: string
  ) {
    if (!Number.isFinite(durationMs) || durationMs < 0) return;
    this.storageWriteLatency.observe({ backend }, durationMs);
    if (Number.isFinite(count) && count > 0) this.storageWrites.inc({ backend }, count);
    // prom-client types exemplar labels as the metric's labels; the exemplar label is `trace_id`.
    const exemplarLabels = (
      traceId && TRACE_ID.test(traceId) ? { trace_id: traceId } : {}
    ) as LabelValues<'org'>;
    for (const org of new Set(orgs)) {
      this.storageOpRtt.observe({ labels: { org }, value: durationMs, exemplarLabels });
    }
  }

  /** Recomputes the top room set; removes the own series of rooms out of it for too long. */
  rotateFolding(): void {
    const { expired } = this.folder.rotate();
    for (const room of expired) {
      const e = this.roomOpTypes.get(room);
      if (!e) continue;
      this.roomOpTypes.delete(room);
      const room_id = roomIdOf(room, e.org);
      for (const type of e.types) this.crdtOps.remove({ org: e.org, room_id, type });
    }
  }

  /** Storage sizes from a background refresh. */
  setStorageSizes(bytesByOrg: ReadonlyMap<string, number>, quotaByOrg: ReadonlyMap<string, number>): void {
    this.storageBytes.reset();
    for (const [org, bytes] of bytesByOrg) this.storageBytes.set({ org }, bytes);
    this.storageQuotaBytes.reset();
    for (const [org, bytes] of quotaByOrg) this.storageQuotaBytes.set({ org }, bytes);
    this.storageStatsAt = Date.now();
  }

  /** One pass over the loaded rooms' precomputed numbers (scrape time). */
  refreshPodGauges(): void {
    const rooms = this.pod.rooms();
    this.activeConnections.reset();
    this.opsLag.reset();
    this.opsPendingDurable.reset();
    this.opsPendingCompaction.reset();
    const other = new Map<string, number>();
    const durable = new Map<string, number>();
    const compaction = new Map<string, number>();
    for (const r of rooms) {
      if (this.folder.isTop(r.room)) {
        this.activeConnections.set({ org: r.org, room_id: roomIdOf(r.room, r.org) }, r.connections);
      } else {
        other.set(r.org, (other.get(r.org) ?? 0) + r.connections);
      }
      durable.set(r.org, (durable.get(r.org) ?? 0) + r.pendingDurable);
      compaction.set(r.org, (compaction.get(r.org) ?? 0) + r.pendingCompaction);
    }
    for (const [org, n] of other) this.activeConnections.set({ org, room_id: OTHER_ROOM }, n);
    for (const [org, d] of durable) {
      const c = compaction.get(org) ?? 0;
      this.opsPendingDurable.set({ org }, d);
      this.opsPendingCompaction.set({ org }, c);
      this.opsLag.set({ org }, d + c);
    }
    this.roomsLoaded.set(rooms.length);
    this.memUsage.set(process.memoryUsage.rss());
  }

  /** Renders the exposition; renders are serialised (one scrape's work at a time, gauges refreshed per render). */
  render(accept: string | undefined): Promise<{ contentType: string; body: string }> {
    const run = this.renderChain.then(() => this.renderNow(wantsOpenMetrics(accept)));
    this.renderChain = run.catch(() => undefined);
    return run;
  }

  private async renderNow(openMetrics: boolean): Promise<{ contentType: string; body: string }> {
    let sliceStart = performance.now();
    let sliceCpu = process.cpuUsage();
    this.refreshPodGauges();
    const contentType = openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE;
    // Metric by metric (prom-client's public `get()` data, our writer), yielding to the event loop whenever
    // a slice took longer than SLICE_MS: a scrape of a large pod never blocks the loop for long. A large
    // family (a histogram per org, thousands of lines) is itself formatted in runs of samples with the
    // same check between runs; its lines are joined exactly as `writer.format` joins them.
    const parts: string[] = [];
    let maxSliceCpuMs = 0;
    let slices = 1;
    let maxFamilySlices = 0;
    const endSlice = async (): Promise<void> => {
      const c = process.cpuUsage(sliceCpu);
      maxSliceCpuMs = Math.max(maxSliceCpuMs, (c.user + c.system) / 1000);
      await yieldToLoop();
      slices += 1;
      sliceStart = performance.now();
      sliceCpu = process.cpuUsage();
    };
    // The gauge refresh is one pass over every loaded room: give the loop a turn after it.
    await endSlice();
    for (const metric of this.registry.getMetricsAsArray() as unknown as ExposableMetric[]) {
      // Record names on first sight: prom-client renames counters in place if anyone renders
      // OpenMetrics through `registry.metrics()`, and other modules register metrics later.
      let name = this.metricNames.get(metric);
      if (name === undefined) {
        name = metric.name;
        this.metricNames.set(metric, name);
      }
      const data = await (metric.getForPromString ? metric.getForPromString() : metric.get());
      const family = this.writer.family(data, name, openMetrics);
      const values = data.values ?? [];
      const firstSlice = slices;
      for (let i = 0; i < values.length; i++) {
        family.lines.push(family.line(values[i] as SampleData));
        if ((i + 1) % SAMPLES_PER_CHECK === 0 && performance.now() - sliceStart > SLICE_MS) await endSlice();
      }
      parts.push(family.lines.join('\n'));
      maxFamilySlices = Math.max(maxFamilySlices, slices - firstSlice + 1);
      if (performance.now() - sliceStart > SLICE_MS) await endSlice();
    }
    const c = process.cpuUsage(sliceCpu);
    this.lastRender = {
      slices,
      maxSliceCpuMs: Math.max(maxSliceCpuMs, (c.user + c.system) / 1000),
      maxFamilySlices,
    };
    const body = openMetrics ? `${parts.join('\n')}\n# EOF\n` : `${parts.join('\n\n')}\n`;
    return { contentType, body };
  }
}

/** Longest stretch of rendering work between two yields to the event loop, ms. */
const SLICE_MS = 2;
/** Samples formatted between two clock reads inside a family (a few µs each). */
const SAMPLES_PER_CHECK = 64;

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
