/**
 * PostgreSQL storage: the shared contract suite against a real PostgreSQL
 * (started here, as the `postgres` user, on a free 127.0.0.1 port), plus what
 * only a shared database has: several pods appending to one room, concurrent
 * migrations, and the database going away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import pg from 'pg';
import { PostgresStorage, StorageUnavailableError } from '../src/storage/postgres.js';
import { PostgresConnection } from '../src/storage/postgresConnection.js';
import type { NewUpdate } from '../src/storage/types.js';
import { history, storageContract, textAt } from './storage/contract.js';
import { FaultProxy, seededRandom } from './infra/faultProxy.js';
import { PostgresServer } from './infra/postgres.js';
import { sleep } from './infra/ports.js';

let server: PostgresServer;
let dbCounter = 0;

beforeAll(async () => {
  server = await PostgresServer.start();
}, 60_000);

afterAll(async () => {
  await server?.destroy();
});

async function freshUrl(): Promise<string> {
  dbCounter += 1;
  return server.createDatabase(`contract_${process.pid}_${dbCounter}`);
}

storageContract({
  name: 'postgres',
  async fresh() {
    const url = await freshUrl();
    return {
      async open() {
        const s = new PostgresStorage({ url });
        await s.init();
        return s;
      },
      async dispose() {},
    };
  },
});

function upd(n: number, ts = Date.now()): NewUpdate {
  return { clientId: 1, ts, update: new Uint8Array([n & 255, (n >> 8) & 255]) };
}

describe('PostgreSQL storage specifics', () => {
  it('a connection lost while a client is checked out (between two queries) is counted and logged, not a crash', async () => {
    // The chaos test saw a pod die of "Unhandled 'error' event ... on Client instance": pg-pool drops its
    // idle error listener while a client is checked out (migrations, load, prune). The storage checks its
    // clients out through its connection (`postgresConnection.ts`); the test takes one the way load and
    // prune do and kills its backend between queries.
    const url = await freshUrl();
    const errors: string[] = [];
    const s = new PostgresConnection({
      url,
      poolSize: 8,
      listener: { onError: (op, err) => errors.push(`${op}: ${err.message}`) },
    });
    const held = await s.checkout('load');
    const pid = (await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    for (let i = 0; i < 100 && errors.length === 0; i++) await sleep(50);
    held.release(true);
    expect(errors[0]).toMatch(/^load: .*terminat/);
    // The pool still serves: a fresh client answers.
    expect(await s.ping()).toBe(true);
    await s.end();
  });

  it('creates the hash-partitioned ops table and records the migration once, even with concurrent inits', async () => {
    const url = await freshUrl();
    const pods = [1, 2, 3].map(() => new PostgresStorage({ url, partitions: 16 }));
    await Promise.all(pods.map((p) => p.init()));
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const parts = await c.query(
        `SELECT count(*)::int AS n FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'ops'`
      );
      expect(parts.rows[0].n).toBe(16);
      const strategy = await c.query(
        `SELECT partstrat FROM pg_partitioned_table t JOIN pg_class p ON p.oid = t.partrelid WHERE p.relname = 'ops'`
      );
      expect(strategy.rows[0].partstrat).toBe('h');
      const migs = await c.query('SELECT version FROM collab_migrations');
      expect(migs.rows.map((r) => r.version).sort()).toEqual([1, 2]);
    } finally {
      await c.end();
      await Promise.all(pods.map((p) => p.close()));
    }
  });

  it('assigns globally consistent gap-free seqs when several pods write one room', async () => {
    const url = await freshUrl();
    const pods = [1, 2, 3].map(() => new PostgresStorage({ url }));
    await Promise.all(pods.map((p) => p.init()));
    try {
      const results = await Promise.all(
        pods.flatMap((p, podIdx) =>
          Array.from({ length: 30 }, (_, i) =>
            p.append('acme/shared', [upd(podIdx * 1000 + i), upd(podIdx * 1000 + i)])
          )
        )
      );
      const seqs = results.flat().sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
      const log = await pods[0]!.readAfter('acme/shared', 0, 1000);
      expect(log.map((u) => u.seq)).toEqual(seqs);
    } finally {
      await Promise.all(pods.map((p) => p.close()));
    }
  });

  it('several pods group-committing across many shared rooms: no deadlock, gap-free seqs per room', async () => {
    const url = await freshUrl();
    const errors: string[] = [];
    const pods = [1, 2, 3].map(
      () =>
        new PostgresStorage({ url, listener: { onError: (op, err) => errors.push(`${op}: ${err.message}`) } })
    );
    await Promise.all(pods.map((p) => p.init()));
    try {
      const rooms = Array.from({ length: 12 }, (_, i) => `acme/multi-${i}`);
      const byRoom = new Map<string, number[]>();
      await Promise.all(
        pods.flatMap((p, podIdx) =>
          Array.from({ length: 120 }, (_, i) => {
            // Each pod walks the rooms in a different order.
            const room = rooms[(i * (podIdx + 1) + podIdx * 5) % rooms.length] as string;
            return p.append(room, [upd(i)]).then((seqs) => {
              byRoom.set(room, [...(byRoom.get(room) ?? []), ...seqs]);
            });
          })
        )
      );
      expect(errors).toEqual([]);
      let total = 0;
      for (const [room, seqs] of byRoom) {
        const sorted = [...seqs].sort((a, b) => a - b);
        expect(sorted).toEqual(Array.from({ length: sorted.length }, (_, i) => i + 1));
        const log = await pods[0]!.readAfter(room, 0, 1000);
        expect(log.map((u) => u.seq)).toEqual(sorted);
        total += sorted.length;
      }
      expect(total).toBe(360);
    } finally {
      await Promise.all(pods.map((p) => p.close()));
    }
  });

  it('group-commits: many concurrent appends go out in few transactions', async () => {
    const url = await freshUrl();
    const commits: number[] = [];
    const s = new PostgresStorage({ url, listener: { onPersist: (ev) => commits.push(ev.count) } });
    await s.init();
    try {
      await Promise.all(Array.from({ length: 200 }, (_, i) => s.append(`acme/r${i % 5}`, [upd(i)])));
      expect(commits.reduce((a, b) => a + b, 0)).toBe(200);
      expect(commits.length).toBeLessThan(20);
    } finally {
      await s.close();
    }
  });

  it('a load blocked in the database is cancelled at the statement bound, and the next load works', async () => {
    // A room load is shared by every client of the room on the pod: one that never ends holds them all.
    const url = await freshUrl();
    const s = new PostgresStorage({ url, queryTimeoutMs: 400 });
    await s.init();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      expect(await s.append('acme/blocked', [upd(1)])).toEqual([1]);
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE snapshots IN ACCESS EXCLUSIVE MODE');
      const t0 = performance.now();
      await expect(s.load('acme/blocked')).rejects.toThrow(/statement timeout/);
      const ms = performance.now() - t0;
      expect(ms).toBeGreaterThanOrEqual(350);
      expect(ms).toBeLessThan(5000);
      await admin.query('ROLLBACK');
      expect((await s.load('acme/blocked')).updates.map((u) => u.seq)).toEqual([1]);
    } finally {
      await admin.end();
      await s.close();
    }
  });

  it('a call whose reply never comes (a silent network) fails at the bound, and the pool then serves', async () => {
    const url = await freshUrl();
    const proxy = await FaultProxy.start(Number(new URL(url).port), { name: 'pg', random: seededRandom(1) });
    const viaProxy = new URL(url);
    viaProxy.port = String(proxy.port);
    const errors: string[] = [];
    const s = new PostgresStorage({
      url: viaProxy.toString(),
      queryTimeoutMs: 300,
      listener: { onError: (op, err) => errors.push(`${op}: ${err.message}`) },
    });
    try {
      await s.init();
      expect(await s.append('acme/silent', [upd(1)])).toEqual([1]);
      proxy.stall(60_000); // nothing flows either way: PostgreSQL cannot even be told to cancel
      const t0 = performance.now();
      await expect(s.load('acme/silent')).rejects.toThrow(/timeout/i);
      const ms = performance.now() - t0;
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(5000);
      expect(errors.some((e) => e.startsWith('load: '))).toBe(true);
      proxy.heal();
      proxy.reset(); // the connection that timed out is not reused; drop what is left of it
      expect((await s.load('acme/silent')).updates.map((u) => u.seq)).toEqual([1]);
    } finally {
      proxy.heal();
      await s.close();
      await proxy.close();
    }
  });

  it('holds updates while PostgreSQL is down (unacknowledged), refuses past the bound, and commits them when it returns', async () => {
    const url = await freshUrl();
    const registry = new Registry();
    const s = new PostgresStorage({
      url,
      maxPendingOps: 5,
      maxPendingBytes: 1 << 20,
      retryMinMs: 20,
      retryMaxMs: 200,
      registry,
    });
    await s.init();
    try {
      expect(await s.append('acme/down', [upd(1)])).toEqual([1]);
      await server.kill();
      let settled = 0;
      const held = [2, 3, 4].map((n) =>
        s.append('acme/down', [upd(n)]).then((seqs) => {
          settled += 1;
          return seqs;
        })
      );
      await sleep(400);
      expect(settled).toBe(0); // never acknowledged while not durable
      expect(s.writable).toBe(false);
      expect(s.pending().ops).toBe(3);
      // Fill up to the bound (5 held), then the next writer is refused at once.
      const more = s.append('acme/down', [upd(5), upd(6)]);
      await expect(s.append('acme/down', [upd(7)])).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(s.append('acme/down', [upd(7)])).rejects.toMatchObject({ code: 4503 });
      const metrics = await registry.getSingleMetricAsString('collab_pg_errors_total');
      expect(metrics).toMatch(/collab_pg_errors_total\{op="append"\} [1-9]/);

      await server.start();
      const seqs = await Promise.all([...held, more]);
      expect(seqs.flat().sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6]);
      expect(s.writable).toBe(true);
      expect(s.pending()).toEqual({ bytes: 0, ops: 0 });
      const log = await s.readAfter('acme/down', 0, 100);
      expect(log.map((u) => u.update[0])).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      if (!server.running) await server.start();
      await s.close();
    }
  }, 30_000);

  it('close() rejects updates that never became durable instead of dropping them silently', async () => {
    const url = await freshUrl();
    const s = new PostgresStorage({ url, closeTimeoutMs: 300, retryMinMs: 20 });
    await s.init();
    await server.kill();
    try {
      const p = s.append('acme/closing', [upd(1)]);
      await sleep(50);
      await s.close();
      await expect(p).rejects.toBeInstanceOf(StorageUnavailableError);
    } finally {
      await server.start();
    }
  }, 30_000);

  it('reads before init() fail with a clear error and do not count as database errors', async () => {
    const registry = new Registry();
    const s = new PostgresStorage({ url: await freshUrl(), registry });
    await expect(s.stats()).rejects.toThrow(/not initialised/);
    await expect(s.load('acme/x')).rejects.toThrow(/not initialised/);
    expect(await registry.getSingleMetricAsString('collab_pg_errors_total')).not.toMatch(/\} [1-9]/);
    await s.init();
    expect(await s.stats()).toEqual([]);
    await s.close();
  });

  it('heads() returns the highest seq of each written room in one call', async () => {
    const s = new PostgresStorage({ url: await freshUrl() });
    await s.init();
    try {
      await s.append('acme/h1', [upd(1), upd(2), upd(3)]);
      await s.append('acme/h2', [upd(1)]);
      const heads = await s.heads(['acme/h1', 'acme/h2', 'acme/never']);
      expect([...heads.entries()].sort()).toEqual([
        ['acme/h1', 3],
        ['acme/h2', 1],
      ]);
      expect((await s.heads([])).size).toBe(0);
    } finally {
      await s.close();
    }
  });

  /** Per-room ops / bytes recounted from the tables (what stats() used to scan). */
  async function recount(
    url: string
  ): Promise<Array<{ room: string; ops: number; bytes: number; lastSeq: number }>> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const r = await c.query(
        `SELECT h.room_id AS room, COALESCE(o.n, 0)::int AS ops,
                (COALESCE(o.b, 0) + COALESCE(s.b, 0))::int AS bytes, h.last_seq::int AS "lastSeq"
         FROM room_heads h
         LEFT JOIN (SELECT room_id, count(*) AS n, sum(octet_length(op_bin)) AS b FROM ops GROUP BY room_id) o
           ON o.room_id = h.room_id
         LEFT JOIN (SELECT room_id, sum(octet_length(state)) AS b FROM snapshots GROUP BY room_id) s
           ON s.room_id = h.room_id
         ORDER BY h.room_id`
      );
      return r.rows;
    } finally {
      await c.end();
    }
  }
  const mine = async (s: PostgresStorage) =>
    (await s.stats()).map((x) => ({ room: x.room, ops: x.ops, bytes: x.bytes, lastSeq: x.lastSeq }));

  it('stats stay equal to a full recount through appends from several pods, snapshots, prunes and a restart', async () => {
    const url = await freshUrl();
    const pods = [1, 2].map(() => new PostgresStorage({ url }));
    await Promise.all(pods.map((p) => p.init()));
    const t0 = 1_000_000;
    const big = (n: number, ts: number): NewUpdate => ({ clientId: 1, ts, update: new Uint8Array(10 + n) });
    await Promise.all(
      pods.flatMap((p, podIdx) =>
        Array.from({ length: 40 }, (_, i) => p.append(`acme/st${i % 4}`, [big(i + podIdx, t0)]))
      )
    );
    expect(await mine(pods[0]!)).toEqual(await recount(url));
    // Snapshots, the same seq saved by both pods at once (counted once).
    for (const room of ['acme/st0', 'acme/st1']) {
      await Promise.all(
        pods.map((p, i) => p.saveSnapshot(room, { seq: 5, ts: t0 + 10, state: new Uint8Array(100 + i) }))
      );
      await pods[0]!.saveSnapshot(room, { seq: 15, ts: t0 + 30, state: new Uint8Array(50) });
      await pods[1]!.saveSnapshot(room, { seq: 18, ts: t0 + 36, state: new Uint8Array(70) });
    }
    // A room that only has a snapshot.
    await pods[1]!.saveSnapshot('acme/snaponly', { seq: 3, ts: t0, state: new Uint8Array(33) });
    expect(await mine(pods[1]!)).toEqual(await recount(url));
    // Two pods pruning at once: everything removed once, counted once.
    const removed = await Promise.all(pods.map((p) => p.prune(t0 + 31, { snapshotIntervalMs: 0 })));
    expect(removed[0]! + removed[1]!).toBe(2 * 15);
    expect(await mine(pods[0]!)).toEqual(await recount(url));
    await pods[0]!.append('acme/st0', [big(7, t0 + 100)]);
    await Promise.all(pods.map((p) => p.close()));
    const again = new PostgresStorage({ url });
    await again.init();
    try {
      const after = await mine(again);
      expect(after).toEqual(await recount(url));
      expect(after.find((x) => x.room === 'acme/st0')).toMatchObject({ ops: 6, lastSeq: 21 });
      expect(after.find((x) => x.room === 'acme/snaponly')).toMatchObject({ ops: 0, bytes: 33, lastSeq: 3 });
      // The snapshot-only room's counter continues after its snapshot.
      expect(await again.append('acme/snaponly', [upd(1)])).toEqual([4]);
    } finally {
      await again.close();
    }
  });

  it('migration 2 backfills the per-room aggregates of a database written with schema 1', async () => {
    const url = await freshUrl();
    const s = new PostgresStorage({ url });
    await s.init();
    await s.append('acme/m1', [upd(1, 10), upd(2, 20), upd(3, 30)]);
    await s.saveSnapshot('acme/m1', { seq: 1, ts: 10, state: new Uint8Array(40) });
    await s.saveSnapshot('acme/m1', { seq: 2, ts: 20, state: new Uint8Array(60) });
    await s.append('acme/m2', [upd(4, 10)]);
    await s.close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      // Back to schema 1: no aggregate columns, and a room with a snapshot but no head row.
      await c.query(`ALTER TABLE room_heads DROP COLUMN ops, DROP COLUMN log_bytes,
                     DROP COLUMN snap_count, DROP COLUMN snap_bytes`);
      await c.query(`DELETE FROM collab_migrations WHERE version = 2`);
      await c.query(
        `INSERT INTO snapshots (room_id, seq, ts, state) VALUES ('acme/m3', 4, 40, '\\x0102'::bytea)`
      );
    } finally {
      await c.end();
    }
    const again = new PostgresStorage({ url });
    await again.init();
    try {
      expect(await mine(again)).toEqual([
        { room: 'acme/m1', ops: 3, bytes: 6 + 40 + 60, lastSeq: 3 },
        { room: 'acme/m2', ops: 1, bytes: 2, lastSeq: 1 },
        { room: 'acme/m3', ops: 0, bytes: 2, lastSeq: 4 },
      ]);
      expect(await mine(again)).toEqual(await recount(url));
      expect(await again.append('acme/m3', [upd(5)])).toEqual([5]);
    } finally {
      await again.close();
    }
  });

  it('stats() reads only the per-room aggregates, never the log or the snapshots', async () => {
    const url = await freshUrl();
    const s = new PostgresStorage({ url });
    await s.init();
    await s.append('acme/ro', [upd(1), upd(2)]);
    await s.saveSnapshot('acme/ro', { seq: 2, ts: Date.now(), state: new Uint8Array(5) });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      // Nobody can read ops or snapshots while this transaction holds them.
      await c.query('BEGIN');
      await c.query('LOCK TABLE ops, snapshots IN ACCESS EXCLUSIVE MODE');
      const stats = await Promise.race([s.stats(), sleep(3000).then(() => 'blocked' as const)]);
      expect(stats).toEqual([
        { room: 'acme/ro', org: 'acme', ops: 2, bytes: 4 + 5, lastSeq: 2, lastTs: expect.any(Number) },
      ]);
    } finally {
      await c.query('ROLLBACK');
      await c.end();
      await s.close();
    }
  });

  it('two pods pruning one room at once with different cut-offs keep every instant of the later window', async () => {
    const url = await freshUrl();
    const [a, b] = [1, 2].map(() => new PostgresStorage({ url }));
    await Promise.all([a!.init(), b!.init()]);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const MIN = 60_000;
      const t0 = 1_700_000_000_000;
      const times = Array.from({ length: 30 }, (_, i) => t0 + i * 10 * MIN);
      const h = history(times);
      for (let k = 1; k <= times.length; k++) {
        await a!.append('acme/race', [h.updates[k - 1] as NewUpdate]);
        await a!.saveSnapshot('acme/race', h.snapshot(k));
      }
      const cutA = t0 + 65 * MIN;
      const cutB = t0 + 135 * MIN; // B's base (ts t0 + 130 min) is a snapshot A's thinning drops
      // Hold A's statement after its deletes (at the room_heads update) while B starts on the old view.
      await c.query('BEGIN');
      await c.query(`SELECT 1 FROM room_heads WHERE room_id = 'acme/race' FOR UPDATE`);
      const pa = a!.prune(cutA, { snapshotIntervalMs: 3_600_000 });
      await sleep(300);
      const pb = b!.prune(cutB, { snapshotIntervalMs: 3_600_000 });
      await sleep(300);
      await c.query('ROLLBACK');
      await Promise.all([pa, pb]);
      // Whatever ran, the window of the later cut-off is intact.
      for (const at of [cutB, ...times.filter((t) => t >= cutB)]) {
        expect(await textAt(a!, 'acme/race', at), `instant +${(at - t0) / MIN} min`).toBe(h.textAt(at));
      }
      // And a later prune with B's cut-off still keeps it.
      await b!.prune(cutB, { snapshotIntervalMs: 3_600_000 });
      expect(await textAt(a!, 'acme/race', cutB)).toBe(h.textAt(cutB));
      expect(await mine(a!)).toEqual(await recount(url));
    } finally {
      await c.end();
      await Promise.all([a!.close(), b!.close()]);
    }
  });

  it('the prepared group-commit statement keeps working across DDL on its tables and a new connection', async () => {
    const url = await freshUrl();
    const s = new PostgresStorage({ url, poolSize: 1 });
    await s.init();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      expect(await s.append('acme/prep', [upd(1)])).toEqual([1]);
      await c.query('ALTER TABLE room_heads ADD COLUMN extra_note TEXT');
      await c.query('CREATE INDEX ops_ts_only ON ops (ts)');
      expect(await s.append('acme/prep', [upd(2), upd(3)])).toEqual([2, 3]);
      // The pooled connection goes away: the next commit prepares again on a new one.
      await c.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'collab-server'`
      );
      await sleep(100);
      expect(await s.append('acme/prep', [upd(4)])).toEqual([4]);
      expect((await s.readAfter('acme/prep', 0, 10)).map((u) => u.seq)).toEqual([1, 2, 3, 4]);
      expect((await s.stats())[0]).toMatchObject({ ops: 4, bytes: 8 });
    } finally {
      await c.end();
      await s.close();
    }
  });

  it('refuses a non-postgres URL with a clear error', () => {
    expect(() => new PostgresStorage({ url: 'mysql://x' })).toThrow(/postgres:\/\//);
  });
});
