/** Pure parts of the cluster module: seq tracking, message codec, the Redis lock (real redis-server). */
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { acquireLock } from '../src/cluster/lock.js';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { channelFor, decodeMessage, encodeMessage } from '../src/cluster/codec.js';
import { RedisCluster as Cluster, type ClusterRoom } from '../src/cluster/redisCluster.js';
import { SeqTracker } from '../src/cluster/seqTracker.js';
import { createLogger as makeLogger } from '../src/observability/logger.js';
import type { Storage } from '../src/storage/types.js';
import { waitFor } from './infra/ports.js';
import { RedisServer } from './infra/redis.js';

describe('SeqTracker', () => {
  it('advances the watermark only over contiguous seqs and reports holes', () => {
    const t = new SeqTracker(3);
    expect(t.has(3)).toBe(true);
    expect(t.add(5)).toBe(true);
    expect(t.watermark).toBe(3);
    expect(t.hasHoles).toBe(true);
    expect(t.highest).toBe(5);
    expect(t.add(5)).toBe(false);
    expect(t.add(4)).toBe(true);
    expect(t.watermark).toBe(5);
    expect(t.hasHoles).toBe(false);
    t.add(9);
    t.advanceTo(8);
    expect(t.watermark).toBe(9);
    expect(t.hasHoles).toBe(false);
  });
});

describe('cluster message codec', () => {
  it('round-trips and rejects garbage without throwing', () => {
    const msg = {
      type: 'update' as const,
      pod: 'pod-a',
      seq: 12345,
      publishedAt: 1.7e12 + 0.25,
      payload: new Uint8Array([1, 2, 3]),
    };
    const back = decodeMessage(encodeMessage(msg));
    expect(back).toEqual(msg);
    expect(decodeMessage(new Uint8Array([]))).toBeNull();
    expect(decodeMessage(new Uint8Array([9, 9, 9]))).toBeNull();
    const truncated = encodeMessage(msg).slice(0, 8);
    expect(decodeMessage(truncated)).toBeNull();
    expect(decodeMessage(new Uint8Array([...encodeMessage(msg), 0]))).toBeNull();
  });
});

describe('compaction lock (real redis-server)', () => {
  let server: RedisServer;
  let a: Redis;
  let b: Redis;
  beforeAll(async () => {
    server = await RedisServer.start();
    a = new Redis(server.url);
    b = new Redis(server.url);
  });
  afterAll(async () => {
    a?.disconnect();
    b?.disconnect();
    await server?.destroy();
  });

  it('has one owner at a time, only the owner releases it, and it expires', async () => {
    const la = await acquireLock(a, 'collab:compact:acme/x', 5000);
    expect(la).not.toBeNull();
    expect(await acquireLock(b, 'collab:compact:acme/x', 5000)).toBeNull();
    expect(await la!.release()).toBe(true);
    // Lease expiry: a holder that outlived its lease cannot release the next owner's lock.
    const short = await acquireLock(a, 'collab:compact:acme/x', 50);
    expect(short).not.toBeNull();
    await new Promise((r) => setTimeout(r, 120));
    const lb = await acquireLock(b, 'collab:compact:acme/x', 5000);
    expect(lb).not.toBeNull();
    expect(await short!.release()).toBe(false);
    expect(await acquireLock(a, 'collab:compact:acme/x', 5000)).toBeNull();
    expect(await lb!.release()).toBe(true);
  });
});

describe('cluster mode configuration', () => {
  const base = { COLLAB_AUTH_DISABLED: 'true', COLLAB_DATA_DIR: '/tmp/collab-unused' };

  it('is off by default and refuses Redis with SQLite (single-pod) unless explicitly allowed', async () => {
    const { loadConfig, ConfigError } = await import('../src/config.js');
    expect(loadConfig(base).redisUrl).toBeUndefined();
    expect(() => loadConfig({ ...base, COLLAB_REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, COLLAB_REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(/postgres/);
    expect(() => loadConfig({ ...base, COLLAB_REDIS_URL: 'http://x' })).toThrow(/redis:\/\//);
    const allowed = loadConfig({
      ...base,
      COLLAB_REDIS_URL: 'redis://127.0.0.1:6379',
      COLLAB_CLUSTER_ALLOW_SQLITE: 'true',
    });
    expect(allowed.redisUrl).toBe('redis://127.0.0.1:6379');
    const pg = loadConfig({
      ...base,
      COLLAB_STORAGE: 'postgres',
      COLLAB_PG_URL: 'postgres://u@127.0.0.1/db',
      COLLAB_REDIS_URL: 'redis://127.0.0.1:6379',
      COLLAB_PG_MAX_PENDING_OPS: '100',
      COLLAB_PG_QUERY_TIMEOUT_MS: '2500',
      COLLAB_CLUSTER_SWEEP_MS: '0',
    });
    expect(pg.storage).toMatchObject({ kind: 'postgres', pgMaxPendingOps: 100, pgQueryTimeoutMs: 2500 });
    expect(() =>
      loadConfig({
        ...base,
        COLLAB_STORAGE: 'postgres',
        COLLAB_PG_URL: 'postgres://u@h/db',
        COLLAB_PG_QUERY_TIMEOUT_MS: '5',
      })
    ).toThrow(/COLLAB_PG_QUERY_TIMEOUT_MS/);
    expect(pg.clusterSweepMs).toBe(0);
  });

  it('the cluster itself refuses SQLite storage unless allowed', async () => {
    const { RedisCluster } = await import('../src/cluster/index.js');
    const { createLogger } = await import('../src/observability/logger.js');
    const storage = { kind: 'sqlite' } as unknown as import('../src/storage/types.js').Storage;
    const logger = createLogger({ level: 'silent' });
    expect(() => new RedisCluster({ redisUrl: 'redis://127.0.0.1:1', pod: 'p', storage, logger })).toThrow(
      /COLLAB_STORAGE=postgres/
    );
    const ok = new RedisCluster({
      redisUrl: 'redis://127.0.0.1:1',
      pod: 'p',
      storage,
      logger,
      allowSqlite: true,
    });
    await ok.stop();
  });
});

describe('start on a Redis link that accepts and never answers (a stalled proxy)', () => {
  it('starts degraded after a bounded wait, saying where it waited, instead of holding the pod start', async () => {
    // ioredis's connectTimeout ends at the TCP connect; here the handshake (CLIENT SETNAME, INFO) never
    // gets an answer. The chaos test saw a restarted pod hang at "connecting to redis" this way.
    const sockets = new Set<net.Socket>();
    const stalled = net.createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
    const port = (stalled.address() as AddressInfo).port;
    const lines: Array<Record<string, unknown>> = [];
    const logger = makeLogger(
      { level: 'warn' },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }
    );
    const storage = { kind: 'sqlite' } as unknown as Storage;
    const cluster = new Cluster({
      redisUrl: `redis://127.0.0.1:${port}`,
      pod: 'p',
      storage,
      logger,
      allowSqlite: true,
      sweepIntervalMs: 0,
    });
    try {
      // Without the bound this never returns (the test's timeout).
      await cluster.start();
      expect(cluster.status()).toMatchObject({ redis: 'down', degraded: true });
      const waited = lines.filter(
        (l) => l.msg === 'redis not ready at start; running degraded while it connects'
      );
      expect(waited.map((l) => `${String(l.conn)}:${String(l.status)}`).sort()).toEqual([
        'pub:connect',
        'sub:connect',
      ]);
    } finally {
      await cluster.stop();
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => stalled.close(() => r()));
    }
  });
});

describe('room unloaded while Redis is down (real redis-server)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('is not subscribed after reconnect (neither re-subscribed nor by a SUBSCRIBE queued in the outage)', async () => {
    const storage = {
      kind: 'sqlite',
      readAfter: () => Promise.resolve([]),
      load: () => Promise.resolve({ snapshot: null, updates: [] }),
    } as unknown as Storage;
    const loaded = new Map<string, ClusterRoom>();
    const cluster = new Cluster({
      redisUrl: server.url,
      pod: 'pod-u',
      storage,
      logger: makeLogger({ level: 'silent' }),
      allowSqlite: true,
      sweepIntervalMs: 0,
      keyPrefix: `unsub-${Date.now()}:`,
    });
    cluster.attach({ get: (id) => loaded.get(id), list: () => [...loaded.values()] });
    const load = (id: string): void => {
      loaded.set(id, {
        id,
        seq: 0,
        awareness: new Awareness(new Y.Doc()),
        connections: { size: 0 },
        applyRemoteUpdate: () => true,
        applyRemoteAwareness: () => undefined,
        presenceClaims: () => [],
        ownsLocally: () => false,
      });
      cluster.onRoomLoaded({ room: id, org: 'acme', seq: 0 });
    };
    const unload = (id: string): void => {
      loaded.delete(id);
      cluster.onRoomUnloaded({ room: id, org: 'acme' });
    };
    const subscribers = async (rooms: string[]): Promise<number[]> => {
      const probe = new Redis(server.url);
      try {
        const res = (await probe.call('PUBSUB', 'NUMSUB', ...rooms.map(channelFor))) as Array<
          string | number
        >;
        return rooms.map((_, i) => Number(res[2 * i + 1]));
      } finally {
        probe.disconnect();
      }
    };
    try {
      await cluster.start();
      load('acme/before');
      await waitFor(async () => (await subscribers(['acme/before']))[0] === 1, 5000, 'subscribed');

      await server.kill();
      await waitFor(() => cluster.status().redis === 'down', 5000, 'redis down seen');
      unload('acme/before'); // subscribed before the outage: re-subscribed on reconnect
      load('acme/during'); // its SUBSCRIBE is queued...
      await new Promise((r) => setImmediate(r));
      unload('acme/during'); // ...and it is gone before Redis is back
      load('acme/stays');

      await server.start();
      await waitFor(() => cluster.status().redis === 'up', 10_000, 'redis back');
      await waitFor(async () => (await subscribers(['acme/stays']))[0] === 1, 5000, 'loaded room subscribed');
      await new Promise((r) => setTimeout(r, 200));
      expect(await subscribers(['acme/before', 'acme/during', 'acme/stays'])).toEqual([0, 0, 1]);
    } finally {
      await cluster.stop();
    }
  }, 30_000);
});
