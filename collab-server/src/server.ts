/**
 * Assembles a collab pod: HTTP routes and WebSocket upgrades on one port,
 * rooms, storage, auth and extension hooks.
 *
 *   const server = createServer(loadConfig(), { extensions, metrics });
 *   server.http.route('POST', '/api/inspect/token', handler);   // extra routes
 *   server.upgrade.register('/inspect', upgradeHandler);       // extra WS paths
 *   const { port } = await server.listen();                    // inits storage, binds
 *   await server.close();                                      // graceful shutdown
 *
 * `createServer` is synchronous; everything asynchronous (storage init, key
 * import) happens in `listen()`. The server owns the storage it is given and
 * closes it in `close()`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloseCode } from '@collabblocks/protocol';
import { createOrgKeyAuthenticator, type OrgKeyAuthenticator } from '@collabblocks/monitor';
import { createTokenVerifier, type TokenVerifier } from './auth/jwt.js';
import type { Config } from './config.js';
import type { CollabExtension, MetricsEndpoint, PodView } from './hooks/index.js';
import { registerCoreRoutes } from './http/coreRoutes.js';
import { Readiness, type ReadinessCheck } from './http/readiness.js';
import { HttpRouter, type HttpMethod, type RouteHandler } from './http/router.js';
import { SocketGate } from './http/socketGate.js';
import { UpgradeRegistry, type UpgradeHandler } from './http/upgrade.js';
import { createLogger, type Logger } from './observability/logger.js';
import { HookBus } from './hooks/index.js';
import { RoomManager } from './rooms/manager.js';
import { SqliteStorage } from './storage/sqlite.js';
import type { Storage } from './storage/types.js';
import { RoomTransport } from './transport/roomTransport.js';

export interface ServerDeps {
  /** Storage to use; default SQLite in `config.storage.dataDir`. */
  storage?: Storage;
  extensions?: CollabExtension[];
  metrics?: MetricsEndpoint;
  logger?: Logger;
}

export interface CollabServer {
  readonly config: Config;
  readonly logger: Logger;
  readonly rooms: RoomManager;
  readonly storage: Storage;
  readonly podView: PodView;
  /** Extra HTTP routes and readiness checks. */
  readonly http: {
    route(method: HttpMethod, path: string, handler: RouteHandler): void;
    addReadinessCheck(name: string, check: ReadinessCheck): void;
  };
  /** Extra WebSocket upgrade paths (e.g. `/inspect`); everything else is a room path. */
  readonly upgrade: { register(pathPrefix: string, handler: UpgradeHandler): void };
  /** `Authorization: Bearer <org API key>` → `{ org, scope }` or null (constant-time compare). */
  readonly authenticateOrgKey: OrgKeyAuthenticator;
  addExtension(ext: CollabExtension): void;
  /** Sets / replaces the `/metrics` renderer. */
  setMetrics(metrics: MetricsEndpoint): void;
  /** Counters for tests and diagnostics. */
  counters(): { connections: number; unknownMessages: number; rooms: number };
  /** Binds `config.host:config.port` (port 0 = ephemeral). */
  listen(): Promise<{ port: number; host: string }>;
  /**
   * Graceful shutdown: stop accepting, wait for pending writes (group commit),
   * final compaction of loaded rooms, close sockets with 1001, close storage.
   */
  close(): Promise<void>;
}

export function createServer(config: Config, deps: ServerDeps = {}): CollabServer {
  const logger = deps.logger ?? createLogger({ level: config.logLevel, pod: config.podName });
  let storage: Storage;
  if (deps.storage) {
    storage = deps.storage;
  } else if (config.storage.kind === 'sqlite') {
    storage = new SqliteStorage({ dataDir: config.storage.dataDir, sync: config.storage.sqliteSync });
  } else {
    throw new Error('createServer: pass deps.storage for COLLAB_STORAGE=postgres (see storage/index.ts)');
  }
  const hooks = new HookBus(logger);
  for (const ext of deps.extensions ?? []) hooks.add(ext);
  let metrics = deps.metrics;

  const rooms = new RoomManager({
    storage,
    hooks,
    logger,
    options: {
      compactIntervalMs: config.compactIntervalMs,
      compactOps: config.compactOps,
      idleMs: config.roomIdleMs,
      maxRooms: config.maxRooms,
      shadowValidation: config.shadowValidation,
      awarenessMaxClients: config.awarenessMaxClients,
      awarenessMaxStateBytes: config.awarenessMaxStateBytes,
      podName: config.podName,
      presenceReserveMs: config.presenceReserveMs,
      ...(config.limits.enabled ? { maxNewClientIds: config.limits.maxNewClientIds } : {}),
      maxPendingDeleteRanges: config.maxPendingDeleteRanges,
    },
  });
  const podView: PodView = {
    pod: config.podName,
    rooms: () => rooms.stats(),
    queuedBytes: () => transport.outbound.bytes,
  };
  const authenticateOrgKey = createOrgKeyAuthenticator(config.apiKeys);
  const readiness = new Readiness();
  readiness.add('storage', async () => {
    await storage.readAfter('__readyz__/probe', 0, 1);
    return { status: 'ok' };
  });
  const router = new HttpRouter(logger);
  registerCoreRoutes(router, {
    podName: config.podName,
    readiness,
    storage,
    authenticateOrgKey,
    loadedRooms: () => rooms.stats(),
    clusterConnections: () => podView.clusterConnections?.() ?? Promise.resolve(null),
    metrics: () => metrics,
  });

  // The token verifier is created in listen() (PEM import is async); the transport
  // is created with a forwarding verifier so upgrades before listen() cannot happen anyway.
  let verifier: TokenVerifier | null = null;
  const transport = new RoomTransport({
    rooms,
    hooks,
    logger,
    verifier: {
      get mode() {
        return config.jwt.mode;
      },
      verify: (token, org) => {
        if (!verifier) throw new Error('server not listening');
        return verifier.verify(token, org);
      },
    },
    options: {
      maxFrameBytes: config.maxFrameBytes,
      maxBufferedBytes: config.maxBufferedBytes,
      maxConnPerIp: config.maxConnPerIp,
      maxConnPerOrg: config.maxConnPerOrg,
      maxConnections: config.maxConnections,
      scheduler: {
        enabled: config.limits.enabled,
        turnSliceMs: config.limits.turnSliceMs,
        connCpuMsPerSec: config.limits.connCpuMsPerSec,
        connCpuBurstMs: config.limits.connCpuBurstMs,
        connThrottleCloseMs: config.limits.connThrottleCloseMs,
        roomCpuMsPerSec: config.limits.roomCpuMsPerSec,
        roomCpuBurstMs: config.limits.roomCpuBurstMs,
      },
      maxQueuedBytes: config.limits.maxQueuedBytes,
      pingIntervalMs: config.pingIntervalMs,
      pseudonymSecret: config.pseudonymSecret,
      knownOrgs: config.apiKeys.map((k) => k.org),
    },
  });
  const upgrades = new UpgradeRegistry((req, socket, head) => transport.handleUpgrade(req, socket, head));

  // Sockets that have not sent a complete request yet: counted per address, short deadline.
  const gate = new SocketGate({
    maxPerIp: config.maxPendingSocketsPerIp,
    timeoutMs: config.pendingSocketTimeoutMs,
    onRefused: (reason) =>
      hooks.emit('onLimit', { limit: 'pending-sockets', action: reason === 'per-ip' ? 'refused' : 'closed' }),
  });
  const httpServer = http.createServer((req, res) => {
    gate.release(req.socket);
    void router.handle(req, res);
  });
  httpServer.on('connection', gate.admit);
  httpServer.on('upgrade', (req, socket, head) => {
    gate.release(req.socket);
    upgrades.dispatch(req, socket, head);
  });
  httpServer.on('clientError', (_err, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  let pruneTimer: NodeJS.Timeout | null = null;
  let closing: Promise<void> | null = null;

  const prune = async (): Promise<void> => {
    try {
      const removed = await storage.prune(Date.now() - config.retentionMs, {
        snapshotIntervalMs: config.retentionSnapshotIntervalMs,
      });
      if (removed > 0) logger.info({ removed }, 'retention prune');
    } catch (err) {
      logger.warn({ err: (err as Error)?.message ?? String(err) }, 'retention prune failed');
    }
  };

  const server: CollabServer = {
    config,
    logger,
    rooms,
    storage,
    podView,
    authenticateOrgKey,
    http: {
      route: (method, path, handler) => router.route(method, path, handler),
      addReadinessCheck: (name, check) => readiness.add(name, check),
    },
    upgrade: { register: (prefix, handler) => upgrades.register(prefix, handler) },
    addExtension: (ext) => hooks.add(ext),
    setMetrics: (m) => {
      metrics = m;
    },
    counters: () => ({
      connections: transport.connectionCount,
      unknownMessages: transport.unknownMessages,
      rooms: rooms.size,
    }),

    async listen() {
      await storage.init();
      verifier = await createTokenVerifier(config);
      if (config.jwt.mode === 'disabled') {
        logger.warn(
          'COLLAB_AUTH_DISABLED=true: client tokens are NOT verified; org comes from the room path. ' +
            'Development only — never run this in production.'
        );
      }
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      pruneTimer = setInterval(() => void prune(), config.pruneIntervalMs);
      pruneTimer.unref();
      const addr = httpServer.address() as AddressInfo;
      logger.info(
        { host: addr.address, port: addr.port, storage: storage.kind, auth: config.jwt.mode },
        'collab pod listening'
      );
      return { port: addr.port, host: addr.address };
    },

    close() {
      if (closing) return closing;
      closing = (async () => {
        const t0 = Date.now();
        readiness.shuttingDown = true;
        if (pruneTimer) clearInterval(pruneTimer);
        // 1. Stop accepting connections and stop reading frames from open ones.
        httpServer.close();
        transport.stopAccepting();
        // 2. Everything received is persisted (pending group commit) and applied.
        await rooms.drainAll();
        // 3. Final compaction and unload of every room.
        await rooms.closeAll();
        // 4. Tell clients to reconnect elsewhere.
        await transport.closeAll(CloseCode.GOING_AWAY, 'pod shutting down');
        httpServer.closeAllConnections();
        await storage.close();
        logger.info({ durationMs: Date.now() - t0 }, 'collab pod stopped');
      })();
      return closing;
    },
  };
  return server;
}
