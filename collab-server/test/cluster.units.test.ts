/** Pure parts of the cluster module: seq tracking, message codec, the Redis lock (real redis-server). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { acquireLock } from '../src/cluster/lock.js';
import { decodeMessage, encodeMessage } from '../src/cluster/codec.js';
import { SeqTracker } from '../src/cluster/seqTracker.js';
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
      COLLAB_CLUSTER_SWEEP_MS: '0',
    });
    expect(pg.storage).toMatchObject({ kind: 'postgres', pgMaxPendingOps: 100 });
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
