/**
 * Pod observability: `createObservability(config, podView, logger)` returns
 * the metrics `CollabExtension` the core registers, the `/metrics` endpoint
 * and a `shutdown()` that stops the background samplers.
 *
 * Tracing lives in `./tracing.ts` (imported first by `main.ts`); logs in
 * `./logger.ts`.
 */
import type { CollabExtension, MetricsEndpoint, PodView } from '../hooks/index.js';
import { quotaFor, type ObservabilityConfig } from './config.js';
import type { Logger } from './logger.js';
import {
  bytesByOrg,
  CpuSampler,
  createMetricsExtension,
  every,
  type Ticker,
  PodMetrics,
  PROMETHEUS_CONTENT_TYPE,
  RoomFolder,
} from '@collabblocks/monitor';
import { errorMessage } from '@collabblocks/protocol';

export type { ObservabilityConfig } from './config.js';
export { readObservabilityConfig, parseOrgQuotas } from './config.js';
export {
  PodMetrics,
  wantsOpenMetrics,
  LATENCY_BUCKETS_MS,
  OTHER_ROOM,
  RoomFolder,
} from '@collabblocks/monitor';

export interface Observability {
  extension: CollabExtension;
  metrics: MetricsEndpoint;
  /** Refreshes storage sizes now (also done periodically in the background). */
  refreshStorage(): Promise<void>;
  /** Recomputes the top-N room set now (also done periodically). */
  rotateFolding(): void;
  /** The metrics (undefined when metrics are disabled), for tests and benches. */
  podMetrics?: PodMetrics;
  shutdown(): Promise<void>;
}

export function createObservability(
  config: ObservabilityConfig,
  podView: PodView,
  logger: Logger
): Observability {
  if (!config.enabled) {
    return {
      extension: { name: 'metrics' },
      metrics: { render: () => Promise.resolve({ contentType: PROMETHEUS_CONTENT_TYPE, body: '' }) },
      refreshStorage: () => Promise.resolve(),
      rotateFolding: () => undefined,
      shutdown: () => Promise.resolve(),
    };
  }
  const log = logger.child({ component: 'metrics' });
  const folder = new RoomFolder(
    config.topRooms,
    Math.max(1, Math.round(config.foldWindowMs / config.foldIntervalMs)),
    config.staleSeriesMs
  );
  const metrics = new PodMetrics(podView, folder, {
    defaultMetrics: config.defaultMetrics,
    eventLoopMonitoringPrecision: config.eventLoopMonitoringPrecision,
  });

  const cpu = new CpuSampler();
  const sampleProcess = () => {
    metrics.cpuUsage.set(cpu.sample());
    metrics.memUsage.set(process.memoryUsage.rss());
  };
  metrics.memUsage.set(process.memoryUsage.rss());

  const quotas = (orgs: Iterable<string>): Map<string, number> => {
    const out = new Map<string, number>();
    for (const org of config.orgQuotas.keys()) out.set(org, quotaFor(config, org));
    for (const org of orgs) out.set(org, quotaFor(config, org));
    return out;
  };
  let storageRefresh: Promise<void> | undefined;
  const refreshStorage = (): Promise<void> => {
    if (storageRefresh) return storageRefresh;
    const provider = config.storageStats;
    if (!provider) {
      metrics.setStorageSizes(new Map(), quotas([]));
      return Promise.resolve();
    }
    storageRefresh = provider()
      .then((stats) => {
        const bytes = bytesByOrg(stats);
        metrics.setStorageSizes(bytes, quotas(bytes.keys()));
      })
      .finally(() => {
        storageRefresh = undefined;
      });
    return storageRefresh;
  };

  const tickers: Ticker[] = [
    every(config.processSampleMs, sampleProcess, log, 'process'),
    every(config.foldIntervalMs, () => metrics.rotateFolding(), log, 'folding'),
    every(config.storageRefreshMs, refreshStorage, log, 'storage-stats'),
  ];
  // First storage sizes as soon as possible, without blocking startup.
  refreshStorage().catch((err: unknown) =>
    log.warn({ err: errorMessage(err) }, 'storage stats refresh failed')
  );

  return {
    extension: createMetricsExtension(metrics, log),
    metrics: { render: (accept) => metrics.render(accept) },
    refreshStorage,
    rotateFolding: () => metrics.rotateFolding(),
    podMetrics: metrics,
    shutdown: async () => {
      for (const t of tickers) t.stop();
      await storageRefresh?.catch(() => undefined);
    },
  };
}
