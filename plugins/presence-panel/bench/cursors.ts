/**
 * Presence panel benchmark: N cursors (default 1,000) each moving at H Hz (default 10) in headless Chromium
 * through the E2E harness (the built dist/module.js, real @grafana packages of the leg). Reports, per sample
 * window: rAF interval p50/p95/p99 (browser frame time incl. React re-render and our drawing), the panel's own
 * draw p95 and ingest p95, the CPU time of the browser's processes (renderer / all, per wall second and per
 * drawn frame — the contention-independent figure on a shared machine), and the JS heap after a forced GC
 * (CDP), then the heap drift over the run.
 *
 *   npx tsx plugins/presence-panel/bench/cursors.ts --minutes 10 [--cursors 1000] [--hz 10] [--view canvas|document]
 *     [--leg grafana-12] [--sample-sec 30] [--warmup-sec 30] [--out artifacts/presence-bench.json]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { startHarness } from '@collabblocks/e2e-harness';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Sample {
  at: number;
  ticks: number;
  rafFrames: number;
  rafP50: number;
  rafP95: number;
  rafP99: number;
  rafOver17: number;
  updateP95: number;
  drawP95: number;
  ingestP95: number;
  cursors: number;
  heatCells: number;
  users: number;
  heapMB: number;
  /** Renderer process CPU per wall second over the window (ms/s; 1000 = one core busy). */
  rendererCpuMsPerSec: number;
  /** All browser processes (renderer, GPU/raster, browser) CPU per wall second (ms/s). */
  browserCpuMsPerSec: number;
  /** Panel draws in the window, and renderer CPU per draw+update frame (ms). */
  draws: number;
  rendererCpuMsPerDraw: number;
}

interface ProcessInfo {
  type: string;
  id: number;
  cpuTime: number;
}

function num(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      cursors: { type: 'string' },
      hz: { type: 'string' },
      leg: { type: 'string' },
      'sample-sec': { type: 'string' },
      'warmup-sec': { type: 'string' },
      out: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      view: { type: 'string' },
    },
  });
  const minutes = num(values.minutes, 'minutes', 1);
  const cursors = Math.round(num(values.cursors, 'cursors', 1000));
  const hz = num(values.hz, 'hz', 10);
  const sampleSec = num(values['sample-sec'], 'sample-sec', Math.min(30, minutes * 6));
  const warmupSec = num(values['warmup-sec'], 'warmup-sec', Math.min(30, minutes * 6));
  const width = Math.round(num(values.width, 'width', 900));
  const height = Math.round(num(values.height, 'height', 500));
  const leg = values.leg ?? process.env.HARNESS_LEG ?? 'grafana-12';
  const view = values.view ?? 'canvas';
  if (view !== 'canvas' && view !== 'document') throw new Error('--view must be canvas or document');
  if (leg !== 'grafana-12' && leg !== 'grafana-13') throw new Error(`--leg must be grafana-12 or grafana-13`);

  const h = await startHarness({ leg });
  const cdp = await h.page.context().newCDPSession(h.page);
  const heapMB = async (): Promise<number> => {
    await cdp.send('HeapProfiler.collectGarbage');
    const u = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
    return u.usedSize / 1024 / 1024;
  };
  // CPU time of the browser's processes (SystemInfo.getProcessInfo): contention-independent cost, unlike wall
  // times on a shared, loaded machine.
  const browser = h.page.context().browser();
  const bcdp = browser ? await browser.newBrowserCDPSession() : null;
  const cpu = async (): Promise<{ renderer: number; total: number }> => {
    if (!bcdp) return { renderer: NaN, total: NaN };
    const { processInfo } = (await bcdp.send('SystemInfo.getProcessInfo')) as { processInfo: ProcessInfo[] };
    let renderer = 0;
    let total = 0;
    for (const p of processInfo) {
      total += p.cpuTime;
      if (p.type === 'renderer') renderer += p.cpuTime;
    }
    return { renderer: renderer * 1000, total: total * 1000 };
  };
  const draws = async (): Promise<number> =>
    Number(
      await h.page.evaluate(
        `document.querySelector('[data-testid="presence-room-canvas"]')?.dataset.frames ?? 'NaN'`
      )
    );
  const samples: Sample[] = [];
  try {
    const panel = await h.renderPanel('collabblocks-presence-panel', {
      width,
      height,
      state: 'Streaming',
      options: { halfLifeSec: 30, gridSize: 48, showLabels: true, view },
    });
    await h.page.evaluate(fs.readFileSync(path.join(here, 'inpage.js'), 'utf8'));
    await h.page.evaluate(
      `window.__presenceBench.start(${JSON.stringify(panel.key)}, ${cursors}, ${hz}, ${JSON.stringify(view)})`
    );
    console.log(
      `presence bench: ${cursors} cursors at ${hz} Hz each, ${minutes} min, leg ${leg}, ${width}x${height}, ` +
        `warm-up ${warmupSec}s, samples every ${sampleSec}s`
    );
    const t0 = Date.now();
    const end = t0 + minutes * 60_000;
    await new Promise((r) => setTimeout(r, warmupSec * 1000));
    await h.page.evaluate('window.__presenceBench.sample()'); // drop warm-up window
    let prevCpu = await cpu();
    let prevDraws = await draws();
    let prevAt = Date.now();
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(sampleSec * 1000, Math.max(1000, end - Date.now()))));
      const s = (await h.page.evaluate('window.__presenceBench.sample()')) as Omit<Sample, 'at' | 'heapMB'>;
      const nowCpu = await cpu();
      const nowDraws = await draws();
      const wallSec = (Date.now() - prevAt) / 1000;
      const drawn = nowDraws - prevDraws;
      const sample: Sample = {
        ...s,
        at: Math.round((Date.now() - t0) / 1000),
        rendererCpuMsPerSec: (nowCpu.renderer - prevCpu.renderer) / wallSec,
        browserCpuMsPerSec: (nowCpu.total - prevCpu.total) / wallSec,
        draws: drawn,
        rendererCpuMsPerDraw: drawn > 0 ? (nowCpu.renderer - prevCpu.renderer) / drawn : NaN,
        heapMB: await heapMB(),
      };
      prevCpu = await cpu();
      prevDraws = await draws();
      prevAt = Date.now();
      samples.push(sample);
      console.log(
        `t=${sample.at}s rAF p50/p95/p99 ${sample.rafP50.toFixed(1)}/${sample.rafP95.toFixed(1)}/` +
          `${sample.rafP99.toFixed(1)} ms (${sample.rafOver17}/${sample.rafFrames} > 17.5 ms) ` +
          `draw p95 ${sample.drawP95.toFixed(2)} ms ingest p95 ${sample.ingestP95.toFixed(2)} ms ` +
          `update p95 ${sample.updateP95.toFixed(2)} ms cursors ${sample.cursors} heat cells ${sample.heatCells} ` +
          `heap ${sample.heapMB.toFixed(2)} MB | CPU renderer ${sample.rendererCpuMsPerSec.toFixed(0)} ms/s, ` +
          `browser total ${sample.browserCpuMsPerSec.toFixed(0)} ms/s, ${sample.draws} draws, ` +
          `renderer CPU ${sample.rendererCpuMsPerDraw.toFixed(2)} ms/draw`
      );
    }
    await h.page.evaluate('window.__presenceBench.stop()');
  } finally {
    await h.close();
  }
  if (samples.length === 0) throw new Error('no samples: run longer than the warm-up');
  const heaps = samples.map((s) => s.heapMB);
  const first = heaps[0] as number;
  const drift = (Math.max(...heaps) - Math.min(...heaps)) / first;
  const lastDrift = ((heaps.at(-1) as number) - first) / first;
  const worst = (k: keyof Sample) => Math.max(...samples.map((s) => s[k]));
  const summary = {
    cursors,
    hz,
    minutes,
    leg,
    worstRafP95: worst('rafP95'),
    worstDrawP95: worst('drawP95'),
    worstIngestP95: worst('ingestP95'),
    worstRendererCpuMsPerSec: worst('rendererCpuMsPerSec'),
    worstBrowserCpuMsPerSec: worst('browserCpuMsPerSec'),
    worstRendererCpuMsPerDraw: worst('rendererCpuMsPerDraw'),
    heapFirstMB: first,
    heapLastMB: heaps.at(-1),
    heapRangePct: drift * 100,
    heapLastVsFirstPct: lastDrift * 100,
    heapFlat: drift <= 0.1,
    drawUnder16: worst('drawP95') < 16,
    rafUnder17_5: worst('rafP95') < 17.5,
  };
  console.log(JSON.stringify(summary, null, 2));
  if (values.out) {
    fs.mkdirSync(path.dirname(values.out), { recursive: true });
    fs.writeFileSync(values.out, JSON.stringify({ summary, samples }, null, 2));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
