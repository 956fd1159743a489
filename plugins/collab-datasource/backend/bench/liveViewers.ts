/**
 * Benchmark (prints figures; not a test): the collab datasource's live path, today's browser-direct mode vs
 * the backend plugin, against two REAL pods.
 *
 *   npx tsx plugins/collab-datasource/backend/bench/liveViewers.ts [--viewers 50] [--channels 100] [--samples 30]
 *
 * 1. 50 viewers of one live presence panel → upstream inspect sessions per pod (the pods' `inspect_sessions`):
 *    browser-direct (one datasource per browser, as the frontend-only plugin did) vs the backend through a
 *    Grafana-Live hub (e2e/harness/src/server/backendPlugin/liveHub.ts: SubscribeStream per viewer, one RunStream per channel).
 * 2. First live frame after subscribe (QueryData → channel → first packet), p50 / p95 over fresh channels.
 * 3. Backend RSS idle and with 100 live channels running.
 * Run `npm run build:backend -w plugins/collab-datasource` first (the bench starts dist-backend/backend.cjs;
 * BACKEND_EXECUTABLE=<path> starts a packaged executable instead).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';

import { connectClient } from '../../../../collab-server/test/helpers/clients';
import { mintToken, TEST_API_KEYS } from '../../../../collab-server/test/helpers/jwt';
import { startPod } from '../../../../collab-server/test/helpers/pod';
import { PodPool } from '../../src/stream/pool';
import type { SocketLike } from '../../src/stream/socket';
import { TokenSource } from '../../src/stream/tokens';
import { LiveHub } from '../../../../e2e/harness/src/server/backendPlugin/liveHub';
import { startPluginHost } from '../../../../e2e/harness/src/server/backendPlugin/pluginHost';
import { BACKEND_BUNDLE } from '../testing/executable';

const { values: args } = parseArgs({
  options: {
    viewers: { type: 'string', default: '50' },
    channels: { type: 'string', default: '100' },
    samples: { type: 'string', default: '30' },
  },
});
const VIEWERS = Number(args.viewers);
const CHANNELS = Number(args.channels);
const SAMPLES = Number(args.samples);
const ROOM = 'acme/bench-presence';
const KEY = TEST_API_KEYS.acmeContent.key;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};

async function inspectSessions(httpUrl: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) {
    const m = /^inspect_sessions(?:\{[^}]*\})? (\d+(?:\.\d+)?)$/.exec(line);
    if (m) n += Number(m[1]);
  }
  return n;
}

async function waitFor(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await sleep(50);
  }
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
}

async function main(): Promise<void> {
  const load0 = os.loadavg();
  const pods = await Promise.all([startPod(), startPod()]);
  const podUrls = pods.map((p) => p.httpUrl);
  const token = await mintToken({ org: 'acme', sub: 'bench', name: 'Bench User' });
  const editor = connectClient(pods[0]!.wsUrl, ROOM, token, {
    awareness: { user: { name: 'Bench User', color: '#00f' }, cursor: { x: 0.1, y: 0.1 } },
  });
  await editor.synced;
  let tick = 0;
  const mover = setInterval(() => {
    tick += 1;
    editor.provider.awareness.setLocalStateField('cursor', { x: (tick % 100) / 100, y: 0.5 });
  }, 200);
  const out: string[] = [];
  try {
    // ---- 1a. today: every browser its own datasource, its own inspect socket per pod.
    const pools: PodPool[] = [];
    const subs: Array<{ unsubscribe(): void }> = [];
    for (let i = 0; i < VIEWERS; i++) {
      const tokens = new TokenSource({
        preferred: 'metadata',
        fetch: async (scope) => {
          const res = await fetch(`${podUrls[0]}/api/inspect/token/${scope}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
            body: '{}',
          });
          return res.json();
        },
      });
      const pool = new PodPool({
        tokens: tokens.provider,
        socketFactory: (url) => new WebSocket(url) as unknown as SocketLike,
        lingerMs: 0,
      });
      pools.push(pool);
      for (const u of podUrls) {
        const conn = pool.get(u);
        subs.push(conn.stream({ stream: 'presence', room: ROOM }).subscribe());
      }
    }
    await waitFor(
      async () => (await Promise.all(podUrls.map(inspectSessions))).every((n) => n >= VIEWERS),
      60_000,
      'direct sessions'
    );
    const direct = await Promise.all(podUrls.map(inspectSessions));
    for (const s of subs) s.unsubscribe();
    for (const p of pools) p.dispose();
    await waitFor(
      async () => (await Promise.all(podUrls.map(inspectSessions))).every((n) => n === 0),
      20_000,
      'direct close'
    );

    // ---- 1b. the backend through Grafana Live.
    const host = await startPluginHost(
      process.env.BACKEND_EXECUTABLE
        ? { command: process.env.BACKEND_EXECUTABLE }
        : { command: process.execPath, args: [BACKEND_BUNDLE] }
    );
    const hub = new LiveHub(host);
    const ctx = (role: string, uid = 'bench') => ({
      orgId: 1,
      pluginId: 'collabblocks-collab-datasource',
      user: { login: 'v', name: 'V', email: '', role },
      dataSourceInstanceSettings: {
        id: 1,
        uid,
        name: 'Collab',
        jsonData: Buffer.from(JSON.stringify({ podUrls })),
        decryptedSecureJsonData: { apiKey: KEY },
        lastUpdatedMS: 1,
      },
    });
    await sleep(300);
    const rssIdle = rssMiB(host.proc.pid!);
    const queryChannel = async (extra: Record<string, unknown>): Promise<string> => {
      const res = await host.call<{ responses: Record<string, { frames: Buffer[]; error: string }> }>(
        host.data,
        'QueryData',
        {
          pluginContext: ctx('Viewer'),
          queries: [
            {
              refId: 'A',
              json: Buffer.from(JSON.stringify({ refId: 'A', queryType: 'presence', room: ROOM, ...extra })),
            },
          ],
        }
      );
      const { tableFromIPC } = await import('apache-arrow');
      const meta = JSON.parse(
        tableFromIPC(res.responses['A']!.frames[0]!).schema.metadata.get('meta') ?? '{}'
      ) as {
        channel?: string;
      };
      if (!meta.channel) throw new Error(`no channel: ${res.responses['A']!.error}`);
      return meta.channel.replace(/^ds\/[^/]+\//, '');
    };
    const path = await queryChannel({});
    const got = new Set<number>();
    const unsubs: Array<() => void> = [];
    for (let i = 0; i < VIEWERS; i++) {
      const r = await hub.subscribe(ctx('Viewer'), path, () => got.add(i));
      unsubs.push(r.unsubscribe);
    }
    await waitFor(() => got.size === VIEWERS, 30_000, 'every viewer a packet');
    await sleep(500);
    const viaBackend = await Promise.all(podUrls.map(inspectSessions));
    const runStreams = hub.runStreamsStarted;
    for (const u of unsubs) u();

    // ---- 2. first live frame after subscribe, fresh channels.
    const firstFrame: number[] = [];
    const queryMs: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const q0 = performance.now();
      const p = await queryChannel({ maxDataPoints: 1000 + i });
      const t0 = performance.now();
      queryMs.push(t0 - q0);
      let t1 = 0;
      const r = await hub.subscribe(ctx('Viewer'), p, () => {
        if (!t1) t1 = performance.now();
      });
      await waitFor(() => t1 > 0, 10_000, 'first frame');
      firstFrame.push(t1 - t0);
      r.unsubscribe();
    }

    // ---- 3. RSS with N live channels (N rooms, one viewer each).
    const chUnsubs: Array<() => void> = [];
    const seen = new Set<number>();
    for (let i = 0; i < CHANNELS; i++) {
      const p = await queryChannel({ room: `acme/bench-room-${i}` });
      const r = await hub.subscribe(ctx('Viewer'), p, () => seen.add(i));
      chUnsubs.push(r.unsubscribe);
    }
    await waitFor(() => seen.size === CHANNELS, 60_000, `${CHANNELS} channels live`);
    await sleep(2000);
    const rssLive = rssMiB(host.proc.pid!);
    const sessionsLive = await Promise.all(podUrls.map(inspectSessions));
    for (const u of chUnsubs) u();
    hub.close();
    await host.stop();

    const load1 = os.loadavg();
    out.push(
      `collab datasource live path — ${new Date().toISOString()}, ${os.cpus().length} cores, load average ${load0.map((l) => l.toFixed(2)).join(' ')} → ${load1.map((l) => l.toFixed(2)).join(' ')}`,
      `${VIEWERS} viewers of one live presence panel, upstream inspect sessions per pod:`,
      `  browser-direct (frontend-only plugin): ${direct.join(' / ')}`,
      `  backend via Grafana Live:              ${viaBackend.join(' / ')}  (RunStream calls: ${runStreams}; ratio ${(direct[0]! / Math.max(1, viaBackend[0]!)).toFixed(0)}x fewer)`,
      `first live frame after subscribe (${SAMPLES} fresh channels): p50 ${pct(firstFrame, 50).toFixed(1)} ms, p95 ${pct(firstFrame, 95).toFixed(1)} ms; QueryData (snapshot + channel) p50 ${pct(queryMs, 50).toFixed(0)} ms, p95 ${pct(queryMs, 95).toFixed(0)} ms`,
      `backend RSS: idle ${rssIdle} MiB; with ${CHANNELS} live channels ${rssLive} MiB (inspect sessions per pod then: ${sessionsLive.join(' / ')})`
    );
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    clearInterval(mover);
    editor.destroy();
    await Promise.all(pods.map((p) => p.cleanup()));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  }
);
