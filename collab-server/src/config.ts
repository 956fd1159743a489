/**
 * Pod configuration: every environment variable the pod reads is parsed and
 * validated here, once, with a clear error naming the variable. Nothing else
 * in the pod reads `process.env` for its own settings.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isSlug } from '@collabblocks/protocol';
import { ConfigError, envBool, envInt, envStr, type Env } from './env.js';
import { DEFAULT_SNAPSHOT_INTERVAL_MS } from './storage/types.js';
import { DEFAULT_MAX_PENDING_DELETE_RANGES } from './rooms/update/validate.js';

import type { ApiKeyConfig, ApiKeyScope } from '@collabblocks/monitor';

/** Org API keys are the monitor's (`@collabblocks/monitor`): every host checks them alike. */
export type { ApiKeyConfig, ApiKeyScope } from '@collabblocks/monitor';

export type JwtConfig =
  | { mode: 'hs256'; secret: string }
  | { mode: 'jwks'; jwksUrl: string }
  | { mode: 'public-key'; publicKeyPem: string }
  | { mode: 'disabled' };

export interface Config {
  /** Bind host (`HOST`, default 0.0.0.0). */
  host: string;
  /** Port (`PORT`, default 1234; 0 = ephemeral). */
  port: number;
  /** `COLLAB_POD_NAME`, default the hostname. */
  podName: string;
  logLevel: string;
  jwt: JwtConfig;
  /** Optional expected `aud` / `iss` (`COLLAB_JWT_AUDIENCE`, `COLLAB_JWT_ISSUER`). */
  jwtAudience?: string;
  jwtIssuer?: string;
  /** Secret keying user pseudonyms (never logged). */
  pseudonymSecret: Buffer;
  apiKeys: ApiKeyConfig[];
  storage: {
    kind: 'sqlite' | 'postgres';
    dataDir: string;
    sqliteSync: 'normal' | 'full';
    postgresUrl?: string;
  };
  roomIdleMs: number;
  maxRooms: number;
  pingIntervalMs: number;
  compactIntervalMs: number;
  compactOps: number;
  retentionMs: number;
  pruneIntervalMs: number;
  /** `COLLAB_RETENTION_SNAPSHOT_INTERVAL_MS`: retained snapshots are thinned to one per interval (0 = keep all). */
  retentionSnapshotIntervalMs: number;
  maxFrameBytes: number;
  maxBufferedBytes: number;
  maxConnPerIp: number;
  /** `COLLAB_MAX_CONN_PER_ORG` (default 10,000): open editing connections of one org on this pod. */
  maxConnPerOrg: number;
  maxConnections: number;
  /** `COLLAB_MAX_PENDING_SOCKETS_PER_IP` (default 128): sockets of one address that have not sent a complete request. */
  maxPendingSocketsPerIp: number;
  /** `COLLAB_PENDING_SOCKET_TIMEOUT_MS` (default 10,000): such a socket is destroyed after this long. */
  pendingSocketTimeoutMs: number;
  /** Budgets that keep one connection or room from stalling or bloating the pod (docs/POD.md "Limits and isolation"). */
  limits: LimitsConfig;
  shutdownTimeoutMs: number;
  /** `COLLAB_SHADOW_VALIDATION` (default true): validate updates on a shadow doc before persisting. */
  shadowValidation: boolean;
  /** `COLLAB_AWARENESS_MAX_CLIENTS` (default 8): distinct awareness client ids per connection. */
  awarenessMaxClients: number;
  /** `COLLAB_AWARENESS_MAX_STATE_BYTES` (default 16 KiB): largest encoded awareness state of one client id. */
  awarenessMaxStateBytes: number;
  /** `COLLAB_PRESENCE_RESERVE_MS` (default 60 s): a released awareness client id stays reserved to its principal. */
  presenceReserveMs: number;
  /**
   * `COLLAB_MAX_PENDING_DELETE_RANGES` (default 10 000): most delete ranges a room may hold for content it
   * does not have (Yjs's pending delete set); a client update that would go beyond is refused with 4416.
   */
  maxPendingDeleteRanges: number;
  /** `COLLAB_REDIS_URL`: cross-pod fan-out through Redis (unset: a single pod, the default). */
  redisUrl?: string;
  /** `COLLAB_CLUSTER_ALLOW_SQLITE`: allow Redis fan-out over SQLite (SQLite is single-pod; tests only). */
  clusterAllowSqlite: boolean;
  /** `COLLAB_CLUSTER_SWEEP_MS`: periodic catch-up of loaded rooms from storage (default 5000, 0 = off). */
  clusterSweepMs: number;
}

export { ConfigError };

/** Per-connection / per-room / pod-wide budgets (docs/POD.md "Limits and isolation"). */
export interface LimitsConfig {
  /** `COLLAB_BUDGETS` (default true): CPU budgets, turn slicing and the new-client-id cap; false turns them off. */
  enabled: boolean;
  /** `COLLAB_TURN_SLICE_MS` (default 2): frame processing per event-loop turn before the rest waits a turn. */
  turnSliceMs: number;
  /** `COLLAB_CONN_CPU_MS_PER_SEC` / `COLLAB_CONN_CPU_BURST_MS` (200 / 1000): one connection's CPU budget. */
  connCpuMsPerSec: number;
  connCpuBurstMs: number;
  /** `COLLAB_CONN_THROTTLE_CLOSE_MS` (default 10,000): a connection throttled this long in total is closed 4429. */
  connThrottleCloseMs: number;
  /** `COLLAB_ROOM_CPU_MS_PER_SEC` / `COLLAB_ROOM_CPU_BURST_MS` (500 / 5000): one room's CPU budget. */
  roomCpuMsPerSec: number;
  roomCpuBurstMs: number;
  /** `COLLAB_MAX_NEW_CLIENT_IDS` (default 256): client ids unknown to the room one connection may introduce. */
  maxNewClientIds: number;
  /** `COLLAB_MAX_QUEUED_BYTES` (default 256 MiB, 0 = no pod-wide bound): bytes queued to clients, pod-wide. */
  maxQueuedBytes: number;
}

export function parseLimits(env: Env): LimitsConfig {
  return {
    enabled: envBool(env, 'COLLAB_BUDGETS', true),
    turnSliceMs: envInt(env, 'COLLAB_TURN_SLICE_MS', 2, 1, 1000),
    connCpuMsPerSec: envInt(env, 'COLLAB_CONN_CPU_MS_PER_SEC', 200, 1, 1000),
    connCpuBurstMs: envInt(env, 'COLLAB_CONN_CPU_BURST_MS', 1000, 1),
    connThrottleCloseMs: envInt(env, 'COLLAB_CONN_THROTTLE_CLOSE_MS', 10_000, 100),
    roomCpuMsPerSec: envInt(env, 'COLLAB_ROOM_CPU_MS_PER_SEC', 500, 1, 1000),
    roomCpuBurstMs: envInt(env, 'COLLAB_ROOM_CPU_BURST_MS', 5000, 1),
    maxNewClientIds: envInt(env, 'COLLAB_MAX_NEW_CLIENT_IDS', 256, 1),
    maxQueuedBytes: envInt(env, 'COLLAB_MAX_QUEUED_BYTES', 256 * 1024 * 1024, 0),
  };
}

function parseScope(raw: string | undefined, where: string): ApiKeyScope {
  if (raw === undefined || raw === '') return 'metadata';
  if (raw === 'metadata' || raw === 'content') return raw;
  throw new ConfigError(`${where}: scope must be "metadata" or "content", got "${raw}"`);
}

function checkKey(org: string, key: string, where: string): void {
  if (!isSlug(org)) throw new ConfigError(`${where}: org "${org}" is not a valid org slug`);
  if (key.length < 16)
    throw new ConfigError(`${where}: API key for org "${org}" is shorter than 16 characters`);
}

/** `org1:key1:content,org2:key2` (scope optional, default metadata). */
export function parseApiKeys(raw: string): ApiKeyConfig[] {
  const out: ApiKeyConfig[] = [];
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .forEach((entry, i) => {
      const parts = entry.split(':');
      const where = `COLLAB_API_KEYS entry ${i + 1}`;
      if (parts.length < 2 || parts.length > 3) {
        throw new ConfigError(`${where}: expected org:key[:scope]`);
      }
      const [org, key, scope] = parts as [string, string, string | undefined];
      checkKey(org, key, where);
      out.push({ org, key, scope: parseScope(scope, where) });
    });
  return out;
}

/** JSON file: `[{ "org": "...", "key": "...", "scope": "metadata" | "content" }]`. */
export function parseApiKeysFile(file: string): ApiKeyConfig[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`COLLAB_API_KEYS_FILE: cannot read JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(data)) throw new ConfigError('COLLAB_API_KEYS_FILE: expected a JSON array');
  return data.map((entry: unknown, i) => {
    const where = `COLLAB_API_KEYS_FILE entry ${i + 1}`;
    if (typeof entry !== 'object' || entry === null) throw new ConfigError(`${where}: expected an object`);
    const e = entry as Record<string, unknown>;
    if (typeof e.org !== 'string' || typeof e.key !== 'string') {
      throw new ConfigError(`${where}: "org" and "key" must be strings`);
    }
    if (e.scope !== undefined && typeof e.scope !== 'string') {
      throw new ConfigError(`${where}: "scope" must be a string`);
    }
    checkKey(e.org, e.key, where);
    return { org: e.org, key: e.key, scope: parseScope(e.scope as string | undefined, where) };
  });
}

/** Fixed label: the default pseudonym secret is HMAC(jwt secret, label), stable across restarts and pods. */
const PSEUDONYM_LABEL = 'collabblocks/pseudonym/v1';

function parseJwt(env: Env): JwtConfig {
  const secret = envStr(env, 'COLLAB_JWT_SECRET');
  const jwksUrl = envStr(env, 'COLLAB_JWKS_URL');
  const pem = envStr(env, 'COLLAB_JWT_PUBLIC_KEY');
  const disabled = envBool(env, 'COLLAB_AUTH_DISABLED');
  const set = [secret, jwksUrl, pem].filter((v) => v !== undefined).length;
  if (disabled) {
    if (set > 0) {
      throw new ConfigError('COLLAB_AUTH_DISABLED=true conflicts with a configured JWT secret / JWKS / key');
    }
    return { mode: 'disabled' };
  }
  if (set === 0) {
    throw new ConfigError(
      'no client authentication configured: set COLLAB_JWT_SECRET (HS256), COLLAB_JWKS_URL or ' +
        'COLLAB_JWT_PUBLIC_KEY, or COLLAB_AUTH_DISABLED=true for local development only'
    );
  }
  if (set > 1) {
    throw new ConfigError('set only one of COLLAB_JWT_SECRET, COLLAB_JWKS_URL, COLLAB_JWT_PUBLIC_KEY');
  }
  if (secret !== undefined) {
    if (Buffer.byteLength(secret) < 32) {
      throw new ConfigError('COLLAB_JWT_SECRET must be at least 32 bytes (HS256 key)');
    }
    return { mode: 'hs256', secret };
  }
  if (jwksUrl !== undefined) {
    let u: URL;
    try {
      u = new URL(jwksUrl);
    } catch {
      throw new ConfigError('COLLAB_JWKS_URL is not a valid URL');
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      throw new ConfigError('COLLAB_JWKS_URL must be http(s)');
    }
    return { mode: 'jwks', jwksUrl };
  }
  const key = (pem as string).replace(/\\n/g, '\n');
  if (!key.includes('-----BEGIN PUBLIC KEY-----')) {
    throw new ConfigError('COLLAB_JWT_PUBLIC_KEY must be a PEM "BEGIN PUBLIC KEY" (SPKI) block');
  }
  return { mode: 'public-key', publicKeyPem: key };
}

function parsePseudonymSecret(env: Env, jwt: JwtConfig): Buffer {
  const explicit = envStr(env, 'COLLAB_PSEUDONYM_SECRET');
  if (explicit !== undefined) {
    if (Buffer.byteLength(explicit) < 16)
      throw new ConfigError('COLLAB_PSEUDONYM_SECRET must be >= 16 bytes');
    return Buffer.from(explicit);
  }
  switch (jwt.mode) {
    case 'hs256':
      return createHmac('sha256', jwt.secret).update(PSEUDONYM_LABEL).digest();
    case 'disabled':
      // Dev mode only: a fixed, public key; pseudonyms are not private in this mode.
      return createHmac('sha256', 'collabblocks-dev-mode').update(PSEUDONYM_LABEL).digest();
    default:
      // A public key is not a secret; deriving from it would make pseudonyms reversible by guessing.
      throw new ConfigError(
        'COLLAB_PSEUDONYM_SECRET is required with COLLAB_JWKS_URL / COLLAB_JWT_PUBLIC_KEY ' +
          '(same value on every pod so pseudonyms are stable)'
      );
  }
}

export function loadConfig(env: Env = process.env): Config {
  const jwt = parseJwt(env);
  const keysRaw = envStr(env, 'COLLAB_API_KEYS');
  const keysFile = envStr(env, 'COLLAB_API_KEYS_FILE');
  const apiKeys = [
    ...(keysRaw !== undefined ? parseApiKeys(keysRaw) : []),
    ...(keysFile !== undefined ? parseApiKeysFile(keysFile) : []),
  ];
  const storageKind = envStr(env, 'COLLAB_STORAGE') ?? 'sqlite';
  if (storageKind !== 'sqlite' && storageKind !== 'postgres') {
    throw new ConfigError(`COLLAB_STORAGE must be "sqlite" or "postgres", got "${storageKind}"`);
  }
  const sync = (envStr(env, 'COLLAB_SQLITE_SYNC') ?? 'normal').toLowerCase();
  if (sync !== 'normal' && sync !== 'full') {
    throw new ConfigError(`COLLAB_SQLITE_SYNC must be "normal" or "full", got "${sync}"`);
  }
  const postgresUrl =
    envStr(env, 'COLLAB_PG_URL') ?? envStr(env, 'COLLAB_POSTGRES_URL') ?? envStr(env, 'DATABASE_URL');
  if (storageKind === 'postgres' && postgresUrl === undefined) {
    throw new ConfigError('COLLAB_STORAGE=postgres requires COLLAB_PG_URL (postgres://…)');
  }
  const explicitPod = envStr(env, 'COLLAB_POD_NAME');
  if (explicitPod !== undefined && !/^[A-Za-z0-9._-]{1,63}$/.test(explicitPod)) {
    throw new ConfigError('COLLAB_POD_NAME must be 1-63 characters of [A-Za-z0-9._-]');
  }
  // The hostname default is sanitised rather than refused (it is not the operator's choice).
  const podName =
    explicitPod ??
    (os
      .hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 63) ||
      'collab-pod');
  const cfg: Config = {
    host: envStr(env, 'HOST') ?? '0.0.0.0',
    port: envInt(env, 'PORT', 1234, 0, 65535),
    podName,
    logLevel: parseLogLevel(envStr(env, 'COLLAB_LOG_LEVEL')),
    jwt,
    pseudonymSecret: parsePseudonymSecret(env, jwt),
    apiKeys,
    storage: {
      kind: storageKind,
      dataDir: path.resolve(envStr(env, 'COLLAB_DATA_DIR') ?? './.data'),
      sqliteSync: sync,
      ...(postgresUrl !== undefined ? { postgresUrl } : {}),
      ...(envStr(env, 'COLLAB_PG_MAX_PENDING_BYTES') !== undefined
        ? { pgMaxPendingBytes: envInt(env, 'COLLAB_PG_MAX_PENDING_BYTES', 0, 1024) }
        : {}),
      ...(envStr(env, 'COLLAB_PG_MAX_PENDING_OPS') !== undefined
        ? { pgMaxPendingOps: envInt(env, 'COLLAB_PG_MAX_PENDING_OPS', 0, 1) }
        : {}),
      ...(envStr(env, 'COLLAB_PG_QUERY_TIMEOUT_MS') !== undefined
        ? { pgQueryTimeoutMs: envInt(env, 'COLLAB_PG_QUERY_TIMEOUT_MS', 15_000, 100) }
        : {}),
    },
    roomIdleMs: envInt(env, 'COLLAB_ROOM_IDLE_MS', 30_000, 0),
    maxRooms: envInt(env, 'COLLAB_MAX_ROOMS', 10_000, 1),
    pingIntervalMs: envInt(env, 'COLLAB_PING_INTERVAL_MS', 5_000, 50),
    compactIntervalMs: envInt(env, 'COLLAB_COMPACT_INTERVAL_MS', 5_000, 10),
    compactOps: envInt(env, 'COLLAB_COMPACT_OPS', 1_000, 1),
    retentionMs: envInt(env, 'COLLAB_RETENTION_MS', 7 * 24 * 3600 * 1000, 0),
    pruneIntervalMs: envInt(env, 'COLLAB_PRUNE_INTERVAL_MS', 10 * 60 * 1000, 100),
    retentionSnapshotIntervalMs: envInt(
      env,
      'COLLAB_RETENTION_SNAPSHOT_INTERVAL_MS',
      DEFAULT_SNAPSHOT_INTERVAL_MS,
      0
    ),
    maxFrameBytes: envInt(env, 'COLLAB_MAX_FRAME_BYTES', 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    maxBufferedBytes: envInt(env, 'COLLAB_MAX_BUFFERED_BYTES', 8 * 1024 * 1024, 1024),
    maxConnPerIp: envInt(env, 'COLLAB_MAX_CONN_PER_IP', 256, 1),
    maxConnPerOrg: envInt(env, 'COLLAB_MAX_CONN_PER_ORG', 10_000, 1),
    maxConnections: envInt(env, 'COLLAB_MAX_CONNECTIONS', 50_000, 1),
    maxPendingSocketsPerIp: envInt(env, 'COLLAB_MAX_PENDING_SOCKETS_PER_IP', 128, 1),
    pendingSocketTimeoutMs: envInt(env, 'COLLAB_PENDING_SOCKET_TIMEOUT_MS', 10_000, 100),
    limits: parseLimits(env),
    shutdownTimeoutMs: envInt(env, 'COLLAB_SHUTDOWN_TIMEOUT_MS', 10_000, 100),
    shadowValidation: envBool(env, 'COLLAB_SHADOW_VALIDATION', true),
    awarenessMaxClients: envInt(env, 'COLLAB_AWARENESS_MAX_CLIENTS', 8, 1, 1000),
    awarenessMaxStateBytes: envInt(env, 'COLLAB_AWARENESS_MAX_STATE_BYTES', 16 * 1024, 64),
    presenceReserveMs: envInt(env, 'COLLAB_PRESENCE_RESERVE_MS', 60_000, 0),
    maxPendingDeleteRanges: envInt(
      env,
      'COLLAB_MAX_PENDING_DELETE_RANGES',
      DEFAULT_MAX_PENDING_DELETE_RANGES,
      0,
      10_000_000
    ),
    clusterAllowSqlite: envBool(env, 'COLLAB_CLUSTER_ALLOW_SQLITE'),
    clusterSweepMs: envInt(env, 'COLLAB_CLUSTER_SWEEP_MS', 5000, 0),
  };
  const redisUrl = envStr(env, 'COLLAB_REDIS_URL');
  if (redisUrl !== undefined) {
    if (!/^rediss?:\/\/[^\s]+$/.test(redisUrl))
      throw new ConfigError('COLLAB_REDIS_URL must be redis://host:port');
    if (storageKind === 'sqlite' && !cfg.clusterAllowSqlite) {
      throw new ConfigError(
        'COLLAB_REDIS_URL (several pods) needs shared storage: set COLLAB_STORAGE=postgres (SQLite is single-pod)'
      );
    }
    cfg.redisUrl = redisUrl;
  }
  const aud = envStr(env, 'COLLAB_JWT_AUDIENCE');
  const iss = envStr(env, 'COLLAB_JWT_ISSUER');
  if (aud !== undefined) cfg.jwtAudience = aud;
  if (iss !== undefined) cfg.jwtIssuer = iss;
  return cfg;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `COLLAB_LOG_LEVEL`: one of pino's levels (default `info`); anything else is a clear config error. */
export function parseLogLevel(raw: string | undefined): string {
  if (raw === undefined) return 'info';
  const level = raw.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(`COLLAB_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  }
  return level;
}
