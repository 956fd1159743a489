/**
 * Benchmark (prints figures; not a test): first live frame after subscribe through the WHOLE browser path — the
 * built datasource (dist/module.js) in Chromium with the real @grafana/runtime of a leg, its query through
 * `/api/ds/query` to the backend executable (started as Grafana starts it), the answer's `meta.channel` turned
 * into a Grafana Live stream by the runtime, the harness's GrafanaLiveSrv subscribing over its WebSocket, the
 * plugin's SubscribeStream + RunStream, and the first packet pushed into the StreamingDataFrame the panel reads.
 *
 *   npx tsx e2e/harness/bench/firstLiveFrame.ts [--leg grafana-12|grafana-13] [--samples 30]
 *
 * Each sample is a fresh channel (its own maxDataPoints, so its own channel path and RunStream) on one real
 * pod whose room has a stock y-websocket client moving its cursor every 200 ms. Times are measured in the
 * page from the query's start: `snapshot` = the QueryData answer (the frame carrying `meta.channel`), `live` =
 * the first frame that came through Grafana Live (a packet: no `meta.channel` any more). Needs
 * `npm run build -w collab-datasource` and the leg's host bundle (scripts/test.d/e2e.sh builds it).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';

import { connectClient } from '../../../collab-server/test/helpers/clients.js';
import { mintToken, TEST_API_KEYS } from '../../../collab-server/test/helpers/jwt.js';
import { startPod } from '../../../collab-server/test/helpers/pod.js';
import { type QueryEmission, startHarness } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    leg: { type: 'string', default: process.env.HARNESS_LEG ?? 'grafana-12' },
    samples: { type: 'string', default: '30' },
  },
});
const SAMPLES = Math.max(1, Number(args.samples) || 30);
const ROOM = 'acme/bench-first-frame';
const PLUGIN_ID = 'collabblocks-collab-datasource';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};
const hasRows = (e: QueryEmission) =>
  (e.frames[0]?.fields.find((f) => f.name === 'user')?.values.length ?? 0) > 0;
const isLive = (e: QueryEmission) => e.frames[0] !== undefined && e.frames[0].meta?.channel === undefined;

async function main(): Promise<void> {
  const load0 = os.loadavg();
  const pod = await startPod();
  const editor = connectClient(
    pod.wsUrl,
    ROOM,
    await mintToken({ org: 'acme', sub: 'bench', name: 'Bench' }),
    {
      awareness: { user: { name: 'Bench', color: '#00f' }, cursor: { x: 0.1, y: 0.1 } },
    }
  );
  await editor.synced;
  let step = 0;
  const mover = setInterval(() => {
    step += 1;
    editor.provider.awareness.setLocalStateField('cursor', { x: (step % 10) / 10, y: 0.5 });
  }, 200);
  const h = await startHarness({ leg: args.leg as 'grafana-12' | 'grafana-13' });
  const snapshot: number[] = [];
  const live: number[] = [];
  try {
    const ds = await h.createDatasource(PLUGIN_ID, {
      jsonData: { podUrls: [pod.httpUrl] },
      secureJsonData: { apiKey: TEST_API_KEYS.acmeContent.key },
    });
    const hub = await h.server.liveHub(PLUGIN_ID);
    for (let i = 0; i <= SAMPLES; i++) {
      const q = await h.runQuery(ds.uid, [{ refId: 'A', queryType: 'presence', room: ROOM }], {
        maxDataPoints: 2000 + i, // a fresh channel path each sample
      });
      const first = await q.waitFor(hasRows, 15_000);
      const firstLive = await q.waitFor((e) => isLive(e) && hasRows(e), 15_000);
      await q.unsubscribe();
      const end = Date.now() + 5000;
      while (hub.runningChannels > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      if (i === 0) continue; // warm-up: the backend process start and the first token
      snapshot.push(first.at);
      live.push(firstLive.at);
    }
    console.log(
      JSON.stringify(
        {
          leg: args.leg,
          samples: SAMPLES,
          snapshotMs: { p50: pct(snapshot, 50), p95: pct(snapshot, 95), max: Math.max(...snapshot) },
          firstLiveFrameMs: { p50: pct(live, 50), p95: pct(live, 95), max: Math.max(...live) },
          runStreams: hub.runStreamsStarted,
          loadavg: { before: load0.map((x) => x.toFixed(1)), after: os.loadavg().map((x) => x.toFixed(1)) },
          cpus: os.cpus().length,
        },
        null,
        2
      )
    );
  } finally {
    clearInterval(mover);
    editor.destroy();
    await h.close();
    await pod.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
