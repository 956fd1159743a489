/**
 * Configuration of the observability module, read from the environment here
 * (and only here) with clear errors naming the variable.
 *
 * - `COLLAB_METRICS_ENABLED` (default true): when false `/metrics` renders an
 *   empty exposition and the hooks do nothing.
 * - `COLLAB_METRICS_TOP_ROOMS` (default 50): rooms that keep their own
 *   `room_id` label; the others fold into `room_id="_other"`.
 * - `COLLAB_ORG_QUOTA_BYTES` (default 1 GiB): storage quota of an org.
 * - `COLLAB_ORG_QUOTAS` (`org1:bytes,org2:bytes`): per-org overrides.
 * - `COLLAB_METRICS_STORAGE_REFRESH_MS` (default 15000): how often storage
 *   sizes are refreshed in the background (never at scrape time).
 */
import type { RoomStorageStats } from '../storage/types.js';
import { ConfigError, envBool, envInt, envStr, type Env } from '../env.js';

export const GIB = 1024 * 1024 * 1024;

export interface ObservabilityConfig {
  enabled: boolean;
  /** Rooms that keep their own `room_id` label (the rest fold into `_other`). */
  topRooms: number;
  /** How often the top-N room set is recomputed, ms. */
  foldIntervalMs: number;
  /** Sliding window over which room activity is ranked, ms (a multiple of `foldIntervalMs`). */
  foldWindowMs: number;
  /** A room that left the top set loses its own counter series after this long, ms. */
  staleSeriesMs: number;
  /** Default storage quota of an org, bytes. */
  defaultOrgQuotaBytes: number;
  /** Per-org quota overrides, bytes. */
  orgQuotas: ReadonlyMap<string, number>;
  /** Background refresh period of storage sizes, ms. */
  storageRefreshMs: number;
  /** Sampling period of `cpu_usage` / `mem_usage`, ms. */
  processSampleMs: number;
  /** prom-client default metrics (event-loop lag, GC, heap, …). */
  defaultMetrics: boolean;
  /** Event-loop lag histogram resolution for the default metrics, ms. */
  eventLoopMonitoringPrecision: number;
  /** Where per-room storage sizes come from (usually `storage.stats`); refreshed in the background. */
  storageStats?: () => Promise<RoomStorageStats[]>;
}

const str = envStr;
const int = envInt;
const bool = envBool;

const ORG_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Parses `org1:bytes,org2:bytes` (spaces allowed around items). */
export function parseOrgQuotas(raw: string | undefined, name = 'COLLAB_ORG_QUOTAS'): Map<string, number> {
  const out = new Map<string, number>();
  if (raw === undefined || raw.trim() === '') return out;
  for (const item of raw.split(',')) {
    const t = item.trim();
    if (t === '') continue;
    const colon = t.lastIndexOf(':');
    const org = colon === -1 ? '' : t.slice(0, colon).trim();
    const bytes = colon === -1 ? '' : t.slice(colon + 1).trim();
    if (!ORG_PATTERN.test(org) || !/^\d+$/.test(bytes) || !Number.isSafeInteger(Number(bytes))) {
      throw new ConfigError(`${name}: expected "org:bytes" items, got "${t}"`);
    }
    out.set(org, Number(bytes));
  }
  return out;
}

/** Reads the config from the environment; `overrides` (e.g. the stats provider) win. */
export function readObservabilityConfig(
  env: Env = process.env,
  overrides: Partial<ObservabilityConfig> = {}
): ObservabilityConfig {
  const foldIntervalMs = int(env, 'COLLAB_METRICS_FOLD_INTERVAL_MS', 10_000, 100, 3_600_000);
  const config: ObservabilityConfig = {
    enabled: bool(env, 'COLLAB_METRICS_ENABLED', true),
    topRooms: int(env, 'COLLAB_METRICS_TOP_ROOMS', 50, 0, 10_000),
    foldIntervalMs,
    foldWindowMs: int(env, 'COLLAB_METRICS_FOLD_WINDOW_MS', 60_000, foldIntervalMs, 86_400_000),
    staleSeriesMs: int(env, 'COLLAB_METRICS_STALE_SERIES_MS', 600_000, 0, 86_400_000),
    defaultOrgQuotaBytes: int(env, 'COLLAB_ORG_QUOTA_BYTES', GIB, 0),
    orgQuotas: parseOrgQuotas(str(env, 'COLLAB_ORG_QUOTAS')),
    storageRefreshMs: int(env, 'COLLAB_METRICS_STORAGE_REFRESH_MS', 15_000, 100, 3_600_000),
    processSampleMs: int(env, 'COLLAB_METRICS_PROCESS_SAMPLE_MS', 5_000, 100, 3_600_000),
    defaultMetrics: bool(env, 'COLLAB_METRICS_DEFAULT', true),
    eventLoopMonitoringPrecision: int(env, 'COLLAB_METRICS_EVENT_LOOP_PRECISION_MS', 10, 1, 1000),
  };
  return { ...config, ...overrides };
}

/** Quota of an org, bytes. */
export function quotaFor(
  config: Pick<ObservabilityConfig, 'orgQuotas' | 'defaultOrgQuotaBytes'>,
  org: string
) {
  return config.orgQuotas.get(org) ?? config.defaultOrgQuotaBytes;
}
