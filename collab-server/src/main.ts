/**
 * Pod entry point: config → storage → server → observability → listen, and a
 * bounded graceful shutdown on SIGTERM / SIGINT (exit 0 when clean).
 */
// Tracing MUST be initialised before anything else creates a tracer.
import './observability/tracing.js';
import { shutdownTracing } from './observability/tracing.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createObservability, readObservabilityConfig } from './observability/index.js';
import { createLogger } from './observability/logger.js';
import { createServer } from './server.js';
import { attachInspect, readInspectConfig } from './inspect/index.js';
import { startCluster } from './cluster/wire.js';
import { createStorage } from './storage/index.js';
import { errorMessage } from '@collabblocks/protocol';

async function main(): Promise<void> {
  let config: Config;
  let obsConfig;
  try {
    config = loadConfig(process.env);
    obsConfig = readObservabilityConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`collab-server: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, pod: config.podName });
  const storage = await createStorage(config, logger);
  // Opened (and migrated) before anything that reads it is created: the observability
  // layer refreshes storage sizes as soon as it exists.
  // Each start step that waits on the network logs when it begins and how long it took, so a start that
  // waits (storage or Redis unreachable, a stalled link) says where in the pod's own log.
  let t0 = Date.now();
  logger.info({ storage: storage.kind }, 'pod starting: opening storage');
  try {
    await storage.init();
    logger.info({ storage: storage.kind, durationMs: Date.now() - t0 }, 'pod starting: storage ready');
  } catch (err) {
    logger.fatal({ err: errorMessage(err) }, 'pod failed to start: storage');
    await storage.close().catch(() => undefined);
    process.exit(1);
  }
  const server = createServer(config, { storage, logger });
  const observability = createObservability(
    { ...obsConfig, storageStats: () => storage.stats() },
    server.podView,
    logger
  );
  server.addExtension(observability.extension);
  server.setMetrics(observability.metrics);
  // Inspect bridge (issue 4): `/inspect` WebSocket + `POST /api/inspect/token[/content|/metadata]`.
  let inspectConfig;
  try {
    inspectConfig = readInspectConfig(process.env, config);
  } catch (err) {
    console.error(`collab-server: configuration error: ${(err as Error).message}`);
    process.exit(2);
  }
  const inspect = attachInspect(server, {
    ...inspectConfig,
    ...(observability.podMetrics ? { registry: observability.podMetrics.registry } : {}),
  });
  // Cross-pod fan-out (issue 3) when COLLAB_REDIS_URL is set; otherwise a single pod.
  const registry = observability.podMetrics?.registry;
  const storageMetrics = storage as { registerMetrics?: (r: NonNullable<typeof registry>) => void };
  if (registry && typeof storageMetrics.registerMetrics === 'function')
    storageMetrics.registerMetrics(registry);
  t0 = Date.now();
  if (config.redisUrl) logger.info('pod starting: connecting to redis');
  const cluster = config.redisUrl
    ? await startCluster(server, {
        redisUrl: config.redisUrl,
        allowSqlite: config.clusterAllowSqlite,
        sweepIntervalMs: config.clusterSweepMs,
        logger,
        ...(registry ? { registry } : {}),
      })
    : null;
  if (cluster) logger.info({ durationMs: Date.now() - t0 }, 'pod starting: cluster started');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    void (async () => {
      try {
        await inspect.close();
        await server.close();
        await cluster?.stop();
        await observability.shutdown();
        await shutdownTracing();
        clearTimeout(timer);
        process.exit(0);
      } catch (err) {
        logger.error({ err: (err as Error)?.message ?? String(err) }, 'shutdown failed');
        process.exit(1);
      }
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: (reason as Error)?.message ?? String(reason) }, 'unhandled promise rejection');
  });

  try {
    await server.listen();
  } catch (err) {
    logger.fatal({ err: (err as Error)?.message ?? String(err) }, 'pod failed to start');
    await storage.close().catch(() => undefined);
    process.exit(1);
  }
}

void main().catch((err: unknown) => {
  console.error('collab-server: fatal:', errorMessage(err));
  process.exit(1);
});
