/**
 * `/metrics` render cost with many loaded rooms.
 *
 *   npx tsx bench/metrics-render.ts [rooms=10000] [orgs=100] [renders=200]
 *
 * Builds a pod view of N rooms over M orgs, feeds ops / RTT / persist events
 * through the metrics extension (as the core would), then renders the text
 * and OpenMetrics expositions repeatedly while an event-loop delay monitor
 * runs. Prints render time percentiles, exposition size and the worst
 * event-loop stall. Target: p99 < 25 ms and no stall > 10 ms at 10,000 rooms.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import type { PodView, RoomRuntimeStats } from '../src/hooks/index.js';
import { createObservability, readObservabilityConfig } from '../src/observability/index.js';
import { createLogger } from '../src/observability/logger.js';

export interface RenderBenchResult {
  rooms: number;
  orgs: number;
  renders: number;
  textP50Ms: number;
  textP99Ms: number;
  openMetricsP50Ms: number;
  openMetricsP99Ms: number;
  maxRenderMs: number;
  /** CPU time of one render (user + system), p50 / p99: robust to other processes on the machine. */
  cpuP50Ms: number;
  cpuP99Ms: number;
  /** Longest synchronous slice of a render (CPU ms) — the event-loop block a scrape can cause. */
  maxSliceCpuMs: number;
  maxSlices: number;
  /** Median over renders of the render's longest slice (CPU ms). */
  sliceP50Ms: number;
  /** CPU ms of one top-N folding rotation (a background timer, every 10 s), median of 10. */
  rotateP50Ms: number;
  maxEventLoopStallMs: number;
  textBytes: number;
  series: number;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function benchMetricsRender(
  rooms = 10_000,
  orgs = 100,
  renders = 200
): Promise<RenderBenchResult> {
  const stats: RoomRuntimeStats[] = Array.from({ length: rooms }, (_, i) => ({
    room: `org${i % orgs}/room-${i}`,
    org: `org${i % orgs}`,
    connections: 1 + (i % 7),
    docBytes: 1000 + i,
    ops: i,
    pendingDurable: i % 3,
    pendingCompaction: i % 11,
    presence: i % 5,
    lastActivity: Date.now(),
  }));
  const view: PodView = { pod: 'bench-pod', rooms: () => stats };
  const sink = new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });
  const obs = createObservability(
    readObservabilityConfig(process.env, {
      storageStats: () =>
        Promise.resolve(
          stats.map((s) => ({
            room: s.room,
            org: s.org,
            bytes: s.docBytes,
            ops: s.ops,
            lastSeq: s.ops,
            lastTs: 0,
          }))
        ),
    }),
    view,
    createLogger({ level: 'warn' }, sink)
  );
  const ext = obs.extension;
  // Activity: Zipf-ish, every room gets at least one op; a few get many.
  for (let i = 0; i < rooms; i++) {
    const s = stats[i];
    if (!s) continue;
    const n = 1 + Math.floor(1000 / (i + 1));
    for (let k = 0; k < n; k++) ext.onMessage?.({ org: s.org, room: s.room, kind: 'sync-update', bytes: 40 });
    ext.onMessage?.({ org: s.org, room: s.room, kind: 'awareness', bytes: 60 });
    ext.onRtt?.({ org: s.org, room: s.room, connId: `c${i}`, rttMs: (i % 90) + 0.5 });
    ext.onPersist?.({
      orgs: [s.org],
      backend: 'sqlite',
      count: 1,
      bytes: 40,
      durationMs: (i % 70) + 0.3,
      ...(i % 10 === 0 ? { traceId: i.toString(16).padStart(32, '0') } : {}),
    });
  }
  const rotations: number[] = [];
  for (let k = 0; k < 10; k++) {
    for (const s of stats) ext.onMessage?.({ org: s.org, room: s.room, kind: 'awareness', bytes: 60 });
    const c0 = process.cpuUsage();
    obs.rotateFolding();
    const c = process.cpuUsage(c0);
    rotations.push((c.user + c.system) / 1000);
  }
  rotations.sort((a, b) => a - b);
  await obs.refreshStorage();

  const h = monitorEventLoopDelay({ resolution: 1 });
  const text: number[] = [];
  const om: number[] = [];
  const cpu: number[] = [];
  let maxSliceCpuMs = 0;
  let maxSlices = 0;
  const slicesMax: number[] = [];
  let textBytes = 0;
  let series = 0;
  // Warm-up (JIT) outside the measurement.
  for (let i = 0; i < 5; i++) await obs.metrics.render(undefined);
  h.enable();
  for (let i = 0; i < renders; i++) {
    const openMetrics = i % 2 === 1;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await obs.metrics.render(
      openMetrics ? 'application/openmetrics-text;version=1.0.0' : undefined
    );
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    const lr = obs.podMetrics?.lastRender;
    if (lr) {
      maxSliceCpuMs = Math.max(maxSliceCpuMs, lr.maxSliceCpuMs);
      maxSlices = Math.max(maxSlices, lr.slices);
      slicesMax.push(lr.maxSliceCpuMs);
    }
    (openMetrics ? om : text).push(dt);
    if (!openMetrics) {
      textBytes = r.body.length;
      series = r.body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    }
    // Let timers run between scrapes, as between real scrapes.
    await new Promise((res) => setTimeout(res, 2));
  }
  h.disable();
  await obs.shutdown();
  text.sort((a, b) => a - b);
  om.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  slicesMax.sort((a, b) => a - b);
  return {
    rooms,
    orgs,
    renders,
    textP50Ms: pct(text, 50),
    textP99Ms: pct(text, 99),
    openMetricsP50Ms: pct(om, 50),
    openMetricsP99Ms: pct(om, 99),
    maxRenderMs: Math.max(...text, ...om),
    cpuP50Ms: pct(cpu, 50),
    cpuP99Ms: pct(cpu, 99),
    maxSliceCpuMs,
    maxSlices,
    sliceP50Ms: pct(slicesMax, 50),
    rotateP50Ms: pct(rotations, 50),
    // The monitor measures timer delay beyond its resolution: the longest the loop was blocked.
    maxEventLoopStallMs: h.max / 1e6,
    textBytes,
    series,
  };
}

const isMain =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'));
if (isMain) {
  const [rooms, orgs, renders] = process.argv.slice(2).map(Number);
  const r = await benchMetricsRender(rooms || 10_000, orgs || 100, renders || 200);
  const f = (n: number) => n.toFixed(2);
  console.log(`metrics render: ${r.rooms} rooms / ${r.orgs} orgs, ${r.renders} renders`);
  console.log(`  text 0.0.4   p50 ${f(r.textP50Ms)} ms  p99 ${f(r.textP99Ms)} ms`);
  console.log(`  openmetrics  p50 ${f(r.openMetricsP50Ms)} ms  p99 ${f(r.openMetricsP99Ms)} ms`);
  console.log(`  cpu per render p50 ${f(r.cpuP50Ms)} ms  p99 ${f(r.cpuP99Ms)} ms`);
  console.log(
    `  longest synchronous slice per render: median ${f(r.sliceP50Ms)} ms, max ${f(r.maxSliceCpuMs)} ms CPU` +
      ` (up to ${r.maxSlices} slices per render)`
  );
  console.log(
    `  max render ${f(r.maxRenderMs)} ms wall, max event-loop delay ${f(r.maxEventLoopStallMs)} ms` +
      ' (wall figures include time the OS gave to other processes)'
  );
  console.log(`  exposition ${r.textBytes} bytes, ${r.series} series`);
  console.log(`  folding rotation (background, every 10 s): ${f(r.rotateP50Ms)} ms CPU (median)`);
  console.log(JSON.stringify(r));
}
