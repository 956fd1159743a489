/**
 * Scale-out benchmark: the same load against 1 pod and against 3 pods
 * (PostgreSQL storage, Redis fan-out), in one run. Real processes: a
 * `redis-server`, a PostgreSQL cluster and pod processes on 127.0.0.1.
 *
 * Load: `ROOMS` rooms, each with `CLIENTS` stock y-websocket clients that
 * all write (`RATE` updates/s each) and read. With 1 pod every client is on
 * it; with 3 pods a room's clients are spread over the pods, so every
 * delivery to another client of the room crosses pods (Redis) except the
 * one that lands on the writer's own pod.
 *
 * Measured: delivery latency (writer's edit → applied in another client's
 * doc, same clock), split into same-pod and cross-pod deliveries; the added
 * cross-pod latency is cross-pod minus the 1-pod baseline at the same
 * percentile. Throughput: updates made durable and delivered per second.
 *
 *   npx tsx bench/cluster.ts [--seconds 8] [--rooms 20] [--clients 3] [--rate 10] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { connectClient, waitFor, type StockClient } from '../test/helpers/clients.js';
import { mintToken } from '../test/helpers/jwt.js';
import { startPod, type PodProcess } from '../test/helpers/pod.js';
import { PostgresServer } from '../test/infra/postgres.js';
import { RedisServer } from '../test/infra/redis.js';
import { errorMessage } from '@collabblocks/protocol';

interface Args {
  seconds: number;
  rooms: number;
  clients: number;
  rate: number;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const out: Args = { seconds: 8, rooms: 20, clients: 3, rate: 10 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    const num = (): number => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${k} needs a positive number`);
      i++;
      return n;
    };
    if (k === '--seconds') out.seconds = num();
    else if (k === '--rooms') out.rooms = Math.floor(num());
    else if (k === '--clients') out.clients = Math.floor(num());
    else if (k === '--rate') out.rate = num();
    else if (k === '--json') {
      if (!v) throw new Error('--json needs a path');
      out.json = v;
      i++;
    } else throw new Error(`unknown argument ${k}`);
  }
  if (out.seconds > 120 || out.rooms > 500 || out.clients > 20 || out.rate > 200) {
    throw new Error('bounded benchmark: seconds <= 120, rooms <= 500, clients <= 20, rate <= 200');
  }
  return out;
}

const now = (): number => performance.timeOrigin + performance.now();

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface Summary {
  samples: number;
  p50: number;
  p95: number;
  p99: number;
}

function summarize(xs: number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  return { samples: s.length, p50: pct(s, 50), p95: pct(s, 95), p99: pct(s, 99) };
}

/** p50/p95 of `collab_crosspod_lag_ms` summed over the pods (bucket upper bounds). */
async function scrapeLag(
  pods: PodProcess[]
): Promise<{ count: number; p50: number; p95: number; catchUp: number } | null> {
  const buckets = new Map<number, number>();
  let catchUp = 0;
  for (const p of pods) {
    const body = await (await fetch(`${p.httpUrl}/metrics`)).text();
    for (const line of body.split('\n')) {
      if (line.startsWith('collab_crosspod_catchup_updates_total')) catchUp += Number(line.split(' ').at(-1));
      const m = /^collab_crosspod_lag_ms_bucket\{(?:[^}]*,)?le="([^"]+)"[^}]*\} ([0-9.e+]+)/.exec(line);
      if (!m) continue;
      const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
      buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
    }
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const count = sorted.at(-1)?.[1] ?? 0;
  if (count === 0) return null;
  const at = (q: number): number => sorted.find(([, c]) => c >= q * count)?.[0] ?? Infinity;
  return { count, p50: at(0.5), p95: at(0.95), catchUp };
}

interface ScenarioResult {
  pods: number;
  offeredPerSec: number;
  durablePerSec: number;
  deliveriesPerSec: number;
  lost: number;
  samePod: Summary;
  crossPod: Summary;
  /** The pods' own `collab_crosspod_lag_ms` (publish → applied on another pod), 3-pod run only. */
  podLag: { count: number; p50: number; p95: number; catchUp: number } | null;
}

interface Edit {
  w: number;
  n: number;
  t: number;
}

async function scenario(
  label: string,
  podCount: number,
  env: Record<string, string>,
  args: Args
): Promise<ScenarioResult> {
  const pods = await Promise.all(Array.from({ length: podCount }, () => startPod({ env })));
  const clients: Array<{ c: StockClient; pod: number; idx: number; room: number }> = [];
  const same: number[] = [];
  const cross: number[] = [];
  let delivered = 0;
  let measuring = false;
  try {
    const token = await mintToken({ org: 'bench', sub: 'bench-user' });
    for (let r = 0; r < args.rooms; r++) {
      for (let k = 0; k < args.clients; k++) {
        const pod = (r + k) % podCount;
        const c = connectClient((pods[pod] as PodProcess).wsUrl, `bench/room-${r}`, token);
        const idx = clients.length;
        clients.push({ c, pod, idx, room: r });
        c.doc.getArray<Edit>('ev').observe((ev) => {
          if (!measuring) return;
          const t = now();
          for (const d of ev.changes.delta) {
            for (const e of (d.insert as Edit[] | undefined) ?? []) {
              if (e.w === idx) continue;
              delivered += 1;
              const writer = clients[e.w];
              (writer && writer.pod === pod ? same : cross).push(t - e.t);
            }
          }
        });
      }
    }
    await Promise.all(clients.map((x) => x.c.synced));
    console.log(
      `[${label}] ${pods.length} pod(s), ${clients.length} clients in ${args.rooms} rooms: warming up`
    );

    const tick = 1000 / args.rate;
    let sent = 0;
    const write = (x: (typeof clients)[number], n: number): void => {
      x.c.doc.getArray<Edit>('ev').push([{ w: x.idx, n, t: now() }]);
    };
    // Warm-up: one second, not measured.
    for (let n = 0; n < args.rate; n++) {
      for (const x of clients) write(x, -1 - n);
      await new Promise((r) => setTimeout(r, tick));
    }
    await new Promise((r) => setTimeout(r, 500));
    measuring = true;
    const t0 = now();
    const total = Math.round(args.seconds * args.rate);
    for (let n = 0; n < total; n++) {
      const due = t0 + n * tick;
      const wait = due - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      for (const x of clients) write(x, n);
      sent += clients.length;
    }
    const sendEnd = now();
    // Drain: every client has every edit of its room.
    const expected = (args.rate + total) * args.clients;
    await waitFor(
      () => clients.every((x) => x.c.doc.getArray('ev').length >= expected),
      30_000,
      `[${label}] all edits delivered`,
      50
    ).catch((err: unknown) => console.warn((err as Error).message));
    const elapsedS = (now() - t0) / 1000;
    measuring = false;
    const lost = clients.reduce((acc, x) => acc + Math.max(0, expected - x.c.doc.getArray('ev').length), 0);
    const podLag = podCount > 1 ? await scrapeLag(pods) : null;
    return {
      pods: podCount,
      offeredPerSec: sent / ((sendEnd - t0) / 1000),
      durablePerSec: sent / elapsedS,
      deliveriesPerSec: delivered / elapsedS,
      lost,
      samePod: summarize(same),
      crossPod: summarize(cross),
      podLag,
    };
  } finally {
    for (const x of clients) x.c.destroy();
    await Promise.allSettled(pods.map((p) => p.cleanup()));
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  process.setMaxListeners(50); // one exit listener per pod process helper
  console.log('starting redis-server and PostgreSQL on 127.0.0.1 ...');
  const [redis, pg] = await Promise.all([RedisServer.start(), PostgresServer.start()]);
  try {
    const base = {
      COLLAB_STORAGE: 'postgres',
      COLLAB_LOG_LEVEL: 'info',
      COLLAB_ROOM_IDLE_MS: '60000',
      COLLAB_METRICS_ENABLED: 'true',
    };
    const one = await scenario(
      '1 pod',
      1,
      { ...base, COLLAB_PG_URL: await pg.createDatabase('bench_one') },
      args
    );
    const three = await scenario(
      '3 pods',
      3,
      { ...base, COLLAB_PG_URL: await pg.createDatabase('bench_three'), COLLAB_REDIS_URL: redis.url },
      args
    );
    const added = {
      p50: three.crossPod.p50 - one.samePod.p50,
      p95: three.crossPod.p95 - one.samePod.p95,
    };
    const f = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
    const row = (name: string, r: ScenarioResult, s: Summary): string =>
      `| ${name} | ${f(r.durablePerSec)} | ${f(r.deliveriesPerSec)} | ${s.samples} | ${f(s.p50)} | ${f(s.p95)} | ${f(s.p99)} | ${r.lost} |`;
    console.log('');
    console.log(
      `load: ${args.rooms} rooms x ${args.clients} writing clients x ${args.rate} updates/s, ${args.seconds} s measured`
    );
    console.log('| setup | durable updates/s | deliveries/s | samples | p50 ms | p95 ms | p99 ms | lost |');
    console.log('|---|---|---|---|---|---|---|---|');
    console.log(row('1 pod (same pod)', one, one.samePod));
    console.log(row('3 pods, same-pod deliveries', three, three.samePod));
    console.log(row('3 pods, cross-pod deliveries', three, three.crossPod));
    console.log('');
    console.log(
      `cross-pod added latency vs 1 pod: p50 ${f(added.p50)} ms, p95 ${f(added.p95)} ms (target p95 < 20 ms)`
    );
    if (three.podLag) {
      console.log(
        `pods' collab_crosspod_lag_ms (publish -> applied on the other pod, ${three.podLag.count} samples, ` +
          `bucket bounds): p50 <= ${three.podLag.p50} ms, p95 <= ${three.podLag.p95} ms; ` +
          `updates caught up from storage: ${three.podLag.catchUp}`
      );
    }
    if (args.json) writeFileSync(args.json, JSON.stringify({ args, one, three, added }, null, 2));
  } finally {
    await Promise.allSettled([redis.destroy(), pg.destroy()]);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('bench failed:', errorMessage(err));
    process.exit(1);
  }
);
