/**
 * A Redis lock with an owner token (`SET key token NX PX ttl`), released only
 * by its owner (compare-and-delete in Lua). Used so that one pod at a time
 * compacts a room.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface HeldLock {
  key: string;
  token: string;
  release(): Promise<boolean>;
}

/** Acquires `key` for `ttlMs`; null when another owner holds it. Rejects when Redis is unreachable. */
export async function acquireLock(redis: Redis, key: string, ttlMs: number): Promise<HeldLock | null> {
  const token = randomBytes(12).toString('hex');
  const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
  if (ok !== 'OK') return null;
  return {
    key,
    token,
    async release() {
      const n = await redis.eval(RELEASE, 1, key, token);
      return n === 1;
    },
  };
}
