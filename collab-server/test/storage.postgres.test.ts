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
import type { NewUpdate } from '../src/storage/types.js';
import { storageContract } from './storage/contract.js';
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
      expect(migs.rows.map((r) => r.version)).toEqual([1]);
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

  it('refuses a non-postgres URL with a clear error', () => {
    expect(() => new PostgresStorage({ url: 'mysql://x' })).toThrow(/postgres:\/\//);
  });
});
