/**
 * historyTree replay benchmark against a real pod process (tsx src/main.ts on
 * 127.0.0.1, free port, temp data dir) with stock y-websocket clients:
 *
 *  - a 100,001-node document (20,000 maps × 4 keys, one update), then N small
 *    updates (root-map keys, nested keys, array appends — the kinds a
 *    dashboard makes);
 *  - one content-scope inspector asks `historyTree {at: before the N updates,
 *    toTs: after}`: time to the last base chunk, to the last step page, steps,
 *    pages, bytes;
 *  - meanwhile two other clients ping-pong edits in another room: their
 *    round-trip times show whether the replay holds up collaboration.
 *
 *   npx tsx bench/replay.ts [--quick] [--base-only]
 *   (--quick: 1,000 updates instead of 5,000; --base-only: the same request without
 *   toTs, i.e. the pre-existing historyTree, for comparison of the collaboration probe)
 */
import WebSocket from 'ws';
import * as Y from 'yjs';
import { INSPECT_LIMITS } from '@collabblocks/protocol';
import { startPod, type PodProcess } from '../test/helpers/pod.js';
import { connectClient, type StockClient } from '../test/helpers/clients.js';
import { addItemMaps } from '../test/helpers/docs.js';
import { mintToken } from '../test/helpers/jwt.js';
import { KEYS, mintInspect } from '../test/inspect.client.js';

const quick = process.argv.includes('--quick');
const UPDATES = quick ? 1_000 : 5_000;
const baseOnly = process.argv.includes('--base-only');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await sleep(5);
  }
}

async function client(pod: PodProcess, room: string, sub: string): Promise<StockClient> {
  const token = await mintToken({ org: 'acme', sub, name: sub });
  const c = connectClient(pod.wsUrl, room, token);
  await c.synced;
  return c;
}

async function main(): Promise<void> {
  const pod = await startPod({
    env: { COLLAB_COMPACT_OPS: '1000000', COLLAB_COMPACT_INTERVAL_MS: '600000' },
  });
  const opened: StockClient[] = [];
  let ws: WebSocket | null = null;
  try {
    const room = 'acme/replay-bench';
    const writer = await client(pod, room, 'writer');
    opened.push(writer);
    const data = writer.doc.getMap<unknown>('data');
    const list = writer.doc.getArray<number>('list');
    addItemMaps(writer.doc, data, 0, 20_000);
    const probe = await client(pod, room, 'probe');
    opened.push(probe);
    await waitUntil(() => probe.doc.getMap('data').size >= 20_000, 60_000, 'base synced');
    await sleep(50);
    const at = Date.now();
    await sleep(20);
    for (let i = 0; i < UPDATES; i++) {
      const r = i % 3;
      if (r === 0) data.set(`k${i % 50}`, i);
      else if (r === 1) (data.get(`item${(i * 7919) % 20_000}`) as Y.Map<unknown>).set('a', -i);
      else list.push([i]);
      if (i % 100 === 99) await sleep(1);
    }
    await waitUntil(
      () => probe.doc.getArray('list').length >= Math.floor(UPDATES / 3),
      120_000,
      'updates synced'
    );
    await sleep(300); // group commits land
    const toTs = Date.now();

    // Collaboration probe in another room: round trips while the replay runs.
    const pa = await client(pod, 'acme/replay-probe', 'pa');
    const pb = await client(pod, 'acme/replay-probe', 'pb');
    opened.push(pa, pb);
    const rtts: number[] = [];
    let probing = true;
    const probeLoop = (async (): Promise<void> => {
      let n = 0;
      while (probing) {
        n++;
        const t0 = performance.now();
        pa.doc.getMap('p').set('n', n);
        await waitUntil(() => pb.doc.getMap('p').get('n') === n, 10_000, 'probe echo');
        rtts.push(performance.now() - t0);
        await sleep(10);
      }
    })();

    const tok = await mintInspect(pod.httpUrl, KEYS.content, 'content');
    ws = new WebSocket(`${pod.wsUrl}/inspect`);
    await new Promise<void>((r, j) => {
      ws?.once('open', () => r());
      ws?.once('error', j);
    });
    const sock = ws;
    let bytes = 0;
    let baseNodes = 0;
    let steps = 0;
    let stepNodes = 0;
    let pages = 0;
    let tBase = 0;
    let tLast = 0;
    let truncated = false;
    let t0 = 0;
    const done = new Promise<void>((resolve, reject) => {
      sock.on('message', (raw: Buffer) => {
        bytes += raw.length;
        const m = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        if (m.type === 'authenticated') {
          t0 = performance.now();
          const req = { v: 1, type: 'historyTree', id: 'r', room, at, ...(baseOnly ? {} : { toTs }) };
          sock.send(JSON.stringify(req));
        } else if (m.type === 'historyTree') {
          baseNodes += (m.nodes as unknown[]).length;
          if (m.last) tBase = performance.now() - t0;
          if (m.last && baseOnly) {
            tLast = tBase;
            resolve();
          }
        } else if (m.type === 'historyTreeSteps') {
          pages++;
          for (const s of m.steps as Array<{ added: unknown[]; changed: unknown[]; removed: unknown[] }>) {
            steps++;
            stepNodes += s.added.length + s.changed.length + s.removed.length;
          }
          if (m.last) {
            tLast = performance.now() - t0;
            truncated = m.truncated === true;
            resolve();
          }
        } else if (m.type === 'error') reject(new Error(JSON.stringify(m)));
      });
    });
    sock.send(JSON.stringify({ v: 1, type: 'auth', id: 'a', token: tok.token }));
    await done;
    probing = false;
    await probeLoop;
    const result = {
      updates: UPDATES,
      baseNodes,
      baseMs: Math.round(tBase),
      steps,
      truncated,
      stepNodes,
      pages,
      totalMs: Math.round(tLast),
      replayMs: Math.round(tLast - tBase),
      mbytes: +(bytes / 1e6).toFixed(1),
      stepsChunkNodes: INSPECT_LIMITS.stepsChunkNodes,
      collabRttMs: {
        samples: rtts.length,
        p50: +pct(rtts, 50).toFixed(1),
        p99: +pct(rtts, 99).toFixed(1),
        max: +Math.max(...rtts).toFixed(1),
      },
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    ws?.terminate();
    for (const c of opened) c.destroy();
    await pod.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
