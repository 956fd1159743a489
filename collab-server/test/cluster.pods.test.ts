/**
 * Scale-out against real processes: a real `redis-server` and PostgreSQL
 * (started here on free 127.0.0.1 ports) and three pod processes
 * (`COLLAB_STORAGE=postgres`, `COLLAB_REDIS_URL`), with stock y-websocket
 * clients on different pods. Fault scenarios: Redis down, PostgreSQL down
 * (held updates are not broadcast until durable; past the bound writers get
 * 4503), SIGKILL of a pod (every acknowledged update is on the other pods).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode } from '@collabblocks/protocol';
import { connectClient, sleep, waitFor, type StockClient } from './helpers/clients.js';
import { mintToken, TEST_API_KEYS } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';
import { PostgresServer } from './infra/postgres.js';
import { RedisServer } from './infra/redis.js';

const MAX_PENDING_OPS = 40;

let redis: RedisServer;
let postgres: PostgresServer;
let pods: PodProcess[] = [];
let podEnv: Record<string, string> = {};
const clients: StockClient[] = [];

function client(
  pod: PodProcess,
  room: string,
  token: string,
  opts: Parameters<typeof connectClient>[3] = {}
) {
  const c = connectClient(pod.wsUrl, room, token, opts);
  clients.push(c);
  return c;
}

async function readyz(pod: PodProcess): Promise<{ http: number; body: Record<string, unknown> }> {
  const res = await fetch(`${pod.httpUrl}/readyz`);
  return { http: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function metric(pod: PodProcess, name: string): Promise<number> {
  const text = await (await fetch(`${pod.httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

const text = (c: StockClient): string => c.doc.getText('t').toString();

beforeAll(async () => {
  [redis, postgres] = await Promise.all([RedisServer.start(), PostgresServer.start()]);
  const pgUrl = await postgres.createDatabase('cluster');
  const env = (podEnv = {
    COLLAB_STORAGE: 'postgres',
    COLLAB_PG_URL: pgUrl,
    COLLAB_REDIS_URL: redis.url,
    COLLAB_PG_MAX_PENDING_OPS: String(MAX_PENDING_OPS),
    COLLAB_ROOM_IDLE_MS: '60000',
    COLLAB_COMPACT_OPS: '50',
    // The periodic storage sweep is off so the tests see the Redis reconnect catch-up on its own.
    COLLAB_CLUSTER_SWEEP_MS: '0',
    COLLAB_LOG_LEVEL: 'info',
  });
  pods = await Promise.all([1, 2, 3].map(() => startPod({ env, startTimeoutMs: 60_000 })));
}, 150_000);

afterAll(async () => {
  for (const c of clients) c.destroy();
  await Promise.allSettled(pods.map((p) => p.cleanup()));
  await Promise.allSettled([redis?.destroy(), postgres?.destroy()]);
}, 60_000);

describe('cluster: three pods, Redis fan-out, PostgreSQL storage', () => {
  it('stock clients on different pods converge; awareness crosses pods and is counted once', async () => {
    const [p1, p2, p3] = pods as [PodProcess, PodProcess, PodProcess];
    const tok = await mintToken({ org: 'acme', sub: 'alice' });
    const a = client(p1, 'acme/converge', tok, { awareness: { user: 'a' } });
    const b = client(p2, 'acme/converge', tok, { awareness: { user: 'b' } });
    const c = client(p3, 'acme/converge', tok);
    await Promise.all([a.synced, b.synced, c.synced]);

    a.doc.getText('t').insert(0, 'from-a ');
    b.doc.getText('t').insert(0, 'from-b ');
    c.doc.getMap('m').set('k', 'from-c');
    for (let i = 0; i < 20; i++) a.doc.getArray<number>('arr').push([i]);
    await waitFor(
      () =>
        [a, b, c].every(
          (x) =>
            text(x).includes('from-a') &&
            text(x).includes('from-b') &&
            x.doc.getMap('m').get('k') === 'from-c' &&
            x.doc.getArray('arr').length === 20
        ) &&
        text(a) === text(b) &&
        text(b) === text(c),
      10_000,
      'convergence across pods'
    );

    // Awareness: b and c see a's state (and a sees b's) through the fan-out.
    await waitFor(
      () =>
        [...c.provider.awareness.getStates().values()].some((s) => s.user === 'a') &&
        [...a.provider.awareness.getStates().values()].some((s) => s.user === 'b'),
      10_000,
      'awareness across pods'
    );
    // Each pod counts only its own connections: 3 clients, 3 connections in total.
    const conns = await Promise.all(pods.map((p) => metric(p, 'collab_active_connections')));
    expect(conns.reduce((x, y) => x + y, 0)).toBe(3);
    // /api/rooms reports the room's connections per pod, from any pod.
    await waitFor(
      async () => {
        const res = await fetch(`${p3.httpUrl}/api/rooms`, {
          headers: { authorization: `Bearer ${TEST_API_KEYS.acme.key}` },
        });
        const body = (await res.json()) as {
          rooms: Array<{ room: string; connections: number; pods?: Record<string, number> }>;
        };
        const row = body.rooms.find((r) => r.room === 'acme/converge');
        return (
          row?.connections === 3 &&
          Object.keys(row.pods ?? {}).length === 3 &&
          Object.values(row.pods ?? {}).every((n) => n === 1) &&
          row.pods?.[p1.podName] === 1
        );
      },
      10_000,
      '/api/rooms connections per pod'
    );
    // The cross-pod lag histogram saw the fan-out.
    expect(await metric(p2, 'collab_crosspod_lag_ms_count')).toBeGreaterThan(0);

    // a leaves: its presence disappears on the other pods too.
    a.provider.disconnect();
    await waitFor(
      () => ![...c.provider.awareness.getStates().values()].some((s) => s.user === 'a'),
      10_000,
      'awareness removal across pods'
    );
  }, 60_000);

  it('Redis down: pods keep serving local clients, /readyz says degraded, and everything re-syncs when Redis returns', async () => {
    const [p1, p2] = pods as [PodProcess, PodProcess];
    const tok = await mintToken({ org: 'acme', sub: 'bob' });
    const a1 = client(p1, 'acme/redis-down', tok);
    const a2 = client(p1, 'acme/redis-down', tok);
    const b = client(p2, 'acme/redis-down', tok);
    await Promise.all([a1.synced, a2.synced, b.synced]);
    a1.doc.getText('t').insert(0, 'before ');
    await waitFor(() => text(b) === 'before ', 10_000, 'fan-out before the fault');

    await redis.kill();
    try {
      await waitFor(async () => (await readyz(p1)).body.status === 'degraded', 10_000, 'degraded readiness');
      const rz = await readyz(p1);
      expect(rz.http).toBe(200);
      expect((rz.body.checks as Record<string, { status: string }>).redis?.status).toBe('degraded');

      // Local sync still works on each pod. Pod 2 writes first: pod 1's later write then has the
      // higher seq, so nothing on pod 2 reveals it (a later seq would, through the gap check).
      b.doc.getText('t').insert(0, 'p2-while-down ');
      await sleep(300);
      a1.doc.getText('t').insert(a1.doc.getText('t').length, 'p1-while-down ');
      await waitFor(() => text(a2).includes('p1-while-down'), 10_000, 'local sync on pod 1 without Redis');
      await sleep(300);
      expect(text(b)).not.toContain('p1-while-down'); // no fan-out while Redis is down
    } finally {
      await redis.start();
    }

    await waitFor(
      () =>
        [a1, a2, b].every((x) => text(x).includes('p1-while-down') && text(x).includes('p2-while-down')) &&
        text(a1) === text(b),
      15_000,
      're-sync after Redis returns (catch-up from storage)'
    );
    await waitFor(async () => (await readyz(p1)).body.status === 'ok', 10_000, 'ready again');
    expect(await metric(p2, 'collab_redis_errors_total')).toBeGreaterThan(0);
  }, 60_000);

  it('PostgreSQL down: held updates are not broadcast until durable, writers past the bound get 4503, nothing acknowledged is lost', async () => {
    const [p1, p2, p3] = pods as [PodProcess, PodProcess, PodProcess];
    const tok = await mintToken({ org: 'acme', sub: 'carol' });
    const w = client(p1, 'acme/pg-down', tok, { reconnect: true });
    const local = client(p1, 'acme/pg-down', tok);
    const remote = client(p2, 'acme/pg-down', tok);
    await Promise.all([w.synced, local.synced, remote.synced]);
    w.doc.getText('t').insert(0, 'ok ');
    await waitFor(() => text(local) === 'ok ' && text(remote) === 'ok ', 10_000, 'baseline');

    await postgres.kill();
    try {
      await pgOutage(w, local, remote);
    } finally {
      if (!postgres.running) await postgres.start();
    }
    const want = text(w);
    await waitFor(
      () => text(local) === want && text(remote) === want,
      20_000,
      'held and re-sent updates durable and everywhere after PostgreSQL returns'
    );
    // A fresh client on a third pod loads it all from storage.
    const fresh = client(p3, 'acme/pg-down', tok);
    await fresh.synced;
    await waitFor(() => text(fresh) === want, 10_000, 'fresh client sees everything');
    expect(want).toContain('held');
    expect(want).toContain(`x${MAX_PENDING_OPS + 9}`);
    expect(await metric(p1, 'collab_pg_errors_total')).toBeGreaterThan(0);
  }, 60_000);

  async function pgOutage(w: StockClient, local: StockClient, remote: StockClient): Promise<void> {
    w.doc.getText('t').insert(w.doc.getText('t').length, 'held ');
    await sleep(700);
    // Not durable → not acknowledged: neither the other local client nor the other pod saw it.
    expect(text(local)).toBe('ok ');
    expect(text(remote)).toBe('ok ');

    // Past the bound (COLLAB_PG_MAX_PENDING_OPS) the writer is refused with 4503.
    for (let i = 0; i < MAX_PENDING_OPS + 10; i++)
      w.doc.getText('t').insert(w.doc.getText('t').length, `x${i} `);
    await waitFor(
      () => w.closes.some((c) => c.code === CloseCode.STORAGE_UNAVAILABLE),
      10_000,
      'STORAGE_UNAVAILABLE close'
    );
    expect(text(local)).toBe('ok ');
    expect(text(remote)).toBe('ok ');
  }

  it('SIGKILL of a pod: every acknowledged update is on the other pods, and its clients carry on there', async () => {
    const [p1, p2, p3] = pods as [PodProcess, PodProcess, PodProcess];
    const tok = await mintToken({ org: 'acme', sub: 'dave' });
    const writer = client(p1, 'acme/kill', tok);
    const observer = client(p1, 'acme/kill', tok);
    await Promise.all([writer.synced, observer.synced]);

    // A stream of edits (small chunks, well under the pending bound); kill the pod mid-stream.
    let stopWriting = false;
    const writing = (async () => {
      for (let i = 0; i < 300 && !stopWriting; i += 5) {
        for (let j = i; j < i + 5; j++) writer.doc.getArray<number>('log').push([j]);
        await sleep(40);
      }
    })();
    await waitFor(() => observer.doc.getArray('log').length >= 30, 20_000, 'some edits acknowledged');
    expect(writer.closes).toEqual([]);
    p1.kill();
    // What the observer had been sent was acknowledged (durable before broadcast).
    const acknowledged = observer.doc.getArray<number>('log').toArray();
    await p1.exited;
    stopWriting = true;
    await writing;
    const written = writer.doc.getArray('log').length;
    expect(acknowledged.length).toBeGreaterThanOrEqual(30);

    const fresh = client(p2, 'acme/kill', tok);
    await fresh.synced;
    await waitFor(
      () => fresh.doc.getArray('log').length >= acknowledged.length,
      10_000,
      'acknowledged updates on another pod'
    );
    const onP2 = fresh.doc.getArray<number>('log').toArray();
    for (const v of acknowledged) expect(onP2).toContain(v);

    // The writer's client reconnects to another pod (a load balancer would do this) and
    // its unacknowledged edits sync from its own state: every edit ends up everywhere.
    const moved = client(p3, 'acme/kill', tok, { doc: writer.doc });
    writer.provider.destroy();
    await moved.synced;
    await waitFor(() => fresh.doc.getArray('log').length === written, 20_000, 'all edits after reconnect');
    // And they are durable: a new pod process (the killed one's replacement) loads them from storage.
    const p1b = await startPod({ env: podEnv, startTimeoutMs: 60_000 }); // a fresh pod process, same storage
    pods.push(p1b);
    const late = client(p1b, 'acme/kill', tok);
    await late.synced;
    await waitFor(() => late.doc.getArray('log').length === written, 10_000, 'durable after reconnect');
    const check = new Y.Doc();
    Y.applyUpdate(check, Y.encodeStateAsUpdate(late.doc));
    expect(check.getArray('log').length).toBe(written);
  }, 60_000);
});
