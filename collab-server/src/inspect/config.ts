/**
 * Inspect settings from the environment:
 * - `COLLAB_INSPECT_SECRET` (>= 32 bytes): signs inspect tokens. Default:
 *   HMAC(JWT secret, fixed label) with HS256 client auth, else HMAC(pseudonym
 *   secret, label) — both shared by every pod, so a token minted on one pod is
 *   accepted by all.
 * - `COLLAB_INSPECT_MAX_SESSIONS` (default 500): authenticated sessions per pod.
 * - `COLLAB_INSPECT_TREE_GRACE_MS` (default 15000): how long a room's tree cache
 *   outlives its last tree subscriber (0 = dispose at once).
 * - `COLLAB_INSPECT_QUEUE_BYTES` (default 8 MiB) and `COLLAB_INSPECT_QUEUE_MESSAGES`
 *   (default 2000): per-session send queue bound once the socket stops draining;
 *   past it a subscription's data is dropped (counted) and it is resynced.
 */
import { createHmac } from 'node:crypto';
import type { Config } from '../config.js';
import { ConfigError, envInt, envStr, type Env } from '../env.js';
import { DEFAULT_OUTBOX, INSPECT_SECRET_LABEL, resolveInspectSecret } from '@collabblocks/monitor';

export interface InspectConfig {
  secret: Uint8Array;
  maxSessions: number;
  treeGraceMs: number;
  queue: { maxQueuedBytes: number; maxQueuedMessages: number };
}

export function readInspectConfig(env: Env, config: Config): InspectConfig {
  let secret: Uint8Array | null;
  try {
    secret = resolveInspectSecret({
      inspectSecret: envStr(env, 'COLLAB_INSPECT_SECRET'),
      jwtSecret: config.jwt.mode === 'hs256' ? config.jwt.secret : undefined,
    });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  secret ??= new Uint8Array(
    createHmac('sha256', config.pseudonymSecret).update(INSPECT_SECRET_LABEL).digest()
  );
  const maxSessions = envInt(env, 'COLLAB_INSPECT_MAX_SESSIONS', 500, 1);
  const treeGraceMs = envInt(env, 'COLLAB_INSPECT_TREE_GRACE_MS', 15_000, 0);
  const queue = {
    maxQueuedBytes: envInt(env, 'COLLAB_INSPECT_QUEUE_BYTES', DEFAULT_OUTBOX.maxQueuedBytes, 4096),
    maxQueuedMessages: envInt(env, 'COLLAB_INSPECT_QUEUE_MESSAGES', DEFAULT_OUTBOX.maxQueuedMessages, 10),
  };
  return { secret, maxSessions, treeGraceMs, queue };
}
