/**
 * Benchmark (prints figures; not a test): the backend's cold start as Grafana sees it — process spawned with
 * Grafana's plugin environment → go-plugin handshake line on stdout → first gRPC answer (CollectMetrics over
 * the announced address) — for the packaged executable (`dist/gpx_collab_linux_<arch>`: launcher, bundled C
 * runtime, Node single executable application) and, as the baseline in the same run, Node running the bundle.
 *
 *   npm run build:backend -w plugins/collab-datasource && npm run package:backend -w plugins/collab-datasource
 *   npx tsx plugins/collab-datasource/backend/bench/coldStart.ts [--runs 10]
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { startPluginHost } from '../../../../e2e/harness/src/server/backendPlugin/pluginHost';
import { BACKEND_BUNDLE, packagedExecutable } from '../testing/executable';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const RUNS = Number(args.runs);

function dirBytes(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, e) => n + dirBytes(path.join(p, e)), 0);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function measure(
  command: string,
  args: string[]
): Promise<{ handshake: number[]; firstRpc: number[] }> {
  const handshake: number[] = [];
  const firstRpc: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const host = await startPluginHost({ command, args, handshakeTimeoutMs: 60_000 });
    const t1 = performance.now();
    await host.call(host.diagnostics, 'CollectMetrics', { pluginContext: { orgId: 1, pluginId: 'x' } });
    const t2 = performance.now();
    await host.stop();
    handshake.push(t1 - t0);
    firstRpc.push(t2 - t0);
  }
  return { handshake, firstRpc };
}

async function main(): Promise<void> {
  const load0 = os.loadavg();
  const exe = packagedExecutable();
  const runtimeDir = path.join(
    path.dirname(exe),
    'runtime',
    `linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}`
  );
  const rows: Array<[string, { handshake: number[]; firstRpc: number[] }]> = [];
  if (existsSync(path.join(runtimeDir, 'gpx_collab')))
    rows.push(['packaged executable', await measure(exe, [])]);
  else console.log(`(no packaged executable at ${runtimeDir}: run npm run package:backend first)`);
  rows.push(['node dist-backend/backend.cjs', await measure(process.execPath, [BACKEND_BUNDLE])]);
  const load1 = os.loadavg();

  console.log(`cold start, ${RUNS} runs each (spawn → handshake line → first gRPC answer)`);
  for (const [name, r] of rows) {
    console.log(
      `  ${name.padEnd(30)} handshake p50 ${pct(r.handshake, 50).toFixed(0)} ms p95 ${pct(r.handshake, 95).toFixed(0)} ms;` +
        ` first answer p50 ${pct(r.firstRpc, 50).toFixed(0)} ms p95 ${pct(r.firstRpc, 95).toFixed(0)} ms`
    );
  }
  if (rows.length === 2) {
    console.log(
      `  packaged / node (first answer p50): ${(pct(rows[0]![1].firstRpc, 50) / pct(rows[1]![1].firstRpc, 50)).toFixed(2)}×`
    );
    console.log(
      `  size: runtime/${path.basename(runtimeDir)} ${(dirBytes(runtimeDir) / 2 ** 20).toFixed(1)} MiB` +
        ` (executable ${(statSync(path.join(runtimeDir, 'gpx_collab')).size / 2 ** 20).toFixed(1)} MiB); bundle ${(statSync(BACKEND_BUNDLE).size / 2 ** 20).toFixed(2)} MiB`
    );
  }
  console.log(
    `load average ${load0.map((x) => x.toFixed(1)).join(' ')} → ${load1.map((x) => x.toFixed(1)).join(' ')}`
  );
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
