/**
 * Inspect settings from the environment:
 * - `COLLAB_INSPECT_SECRET` (>= 32 bytes): signs inspect tokens. Default:
 *   HMAC(JWT secret, fixed label) with HS256 client auth, else HMAC(pseudonym
 *   secret, label) — both shared by every pod, so a token minted on one pod is
 *   accepted by all.
 * - `COLLAB_INSPECT_MAX_SESSIONS` (default 500): authenticated sessions per pod;
 *   `COLLAB_INSPECT_MAX_SESSIONS_PER_ORG` (default 100) of one org;
 *   `COLLAB_INSPECT_MAX_SESSIONS_PER_KEY` (default 50) whose tokens one org API key minted.
 * - `COLLAB_INSPECT_MAX_UNAUTHENTICATED` (default 64) sockets still authenticating per pod,
 *   `COLLAB_INSPECT_MAX_UNAUTHENTICATED_PER_ADDRESS` (default 8) from one remote address, and
 *   `COLLAB_INSPECT_AUTH_TIMEOUT_MS` (default 2000, 200..10000) to send the first `auth`.
 * - `COLLAB_INSPECT_TREE_GRACE_MS` (default 15000): how long a room's tree cache
 *   outlives its last tree subscriber (0 = dispose at once).
 * - `COLLAB_INSPECT_QUEUE_BYTES` (default 8 MiB) and `COLLAB_INSPECT_QUEUE_MESSAGES`
 *   (default 2000): per-session send queue bound once the socket stops draining;
 *   past it a subscription's data is dropped (counted) and it is resynced.
 * - `COLLAB_PRESENCE_FIELDS` (JSON, optional): where to read positions in awareness states no
 *   built-in editor convention recognises, e.g. `{"head":"sel.head","anchor":"sel.anchor"}` or
 *   `{"x":"pointer.x","y":"pointer.y","space":"scene"}` (protocol `PresenceFieldPaths`).
 */
import { createHmac } from 'node:crypto';
import type { Config } from '../config.js';
import { ConfigError, envInt, envStr, type Env } from '../env.js';
import { INSPECT_LIMITS, PresenceFieldPathsSchema, type PresenceFieldPaths } from '@collabblocks/protocol';
import {
  DEFAULT_ADMISSION,
  DEFAULT_OUTBOX,
  INSPECT_SECRET_LABEL,
  resolveInspectSecret,
} from '@collabblocks/monitor';

export interface InspectConfig {
  secret: Uint8Array;
  maxSessions: number;
  maxSessionsPerOrg: number;
  maxSessionsPerKey: number;
  maxUnauthenticated: number;
  maxUnauthenticatedPerAddress: number;
  authTimeoutMs: number;
  treeGraceMs: number;
  queue: { maxQueuedBytes: number; maxQueuedMessages: number };
  presenceFields?: PresenceFieldPaths;
}

function readPresenceFields(env: Env): PresenceFieldPaths | undefined {
  const raw = envStr(env, 'COLLAB_PRESENCE_FIELDS');
  if (raw === undefined || raw.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError(
      'COLLAB_PRESENCE_FIELDS must be JSON, e.g. {"head":"sel.head","anchor":"sel.anchor"}'
    );
  }
  const parsed = PresenceFieldPathsSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new ConfigError(
      `COLLAB_PRESENCE_FIELDS: ${i ? `${i.path.join('.') || 'value'}: ${i.message}` : 'invalid'}`
    );
  }
  return parsed.data;
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
  const maxSessions = envInt(env, 'COLLAB_INSPECT_MAX_SESSIONS', DEFAULT_ADMISSION.maxSessions, 1);
  const maxSessionsPerOrg = envInt(
    env,
    'COLLAB_INSPECT_MAX_SESSIONS_PER_ORG',
    Math.min(DEFAULT_ADMISSION.maxSessionsPerOrg, maxSessions),
    1
  );
  const maxSessionsPerKey = envInt(
    env,
    'COLLAB_INSPECT_MAX_SESSIONS_PER_KEY',
    Math.min(DEFAULT_ADMISSION.maxSessionsPerKey, maxSessionsPerOrg),
    1
  );
  const maxUnauthenticated = envInt(
    env,
    'COLLAB_INSPECT_MAX_UNAUTHENTICATED',
    DEFAULT_ADMISSION.maxUnauthenticated,
    1
  );
  const maxUnauthenticatedPerAddress = envInt(
    env,
    'COLLAB_INSPECT_MAX_UNAUTHENTICATED_PER_ADDRESS',
    Math.min(DEFAULT_ADMISSION.maxUnauthenticatedPerAddress, maxUnauthenticated),
    1
  );
  const authTimeoutMs = envInt(
    env,
    'COLLAB_INSPECT_AUTH_TIMEOUT_MS',
    INSPECT_LIMITS.authTimeoutMs,
    200,
    10_000
  );
  const treeGraceMs = envInt(env, 'COLLAB_INSPECT_TREE_GRACE_MS', 15_000, 0);
  const queue = {
    maxQueuedBytes: envInt(env, 'COLLAB_INSPECT_QUEUE_BYTES', DEFAULT_OUTBOX.maxQueuedBytes, 4096),
    maxQueuedMessages: envInt(env, 'COLLAB_INSPECT_QUEUE_MESSAGES', DEFAULT_OUTBOX.maxQueuedMessages, 10),
  };
  const presenceFields = readPresenceFields(env);
  return {
    secret,
    maxSessions,
    maxSessionsPerOrg,
    maxSessionsPerKey,
    maxUnauthenticated,
    maxUnauthenticatedPerAddress,
    authTimeoutMs,
    treeGraceMs,
    queue,
    ...(presenceFields ? { presenceFields } : {}),
  };
}
