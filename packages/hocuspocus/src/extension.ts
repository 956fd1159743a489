/**
 * `CollabMonitor`: the Hocuspocus extension that lets the CollabBlocks Grafana suite watch a Hocuspocus
 * server. Add it to `Server.configure({ extensions: [new CollabMonitor({...})] })`; it serves the
 * collab metrics taxonomy on `/metrics` (`metrics/hostMetrics.ts` says which hook feeds what) and, given
 * a `secret`, the `/inspect` bridge and its token routes over a Hocuspocus monitor host
 * (`inspect/host.ts`), so the datasource and both panels work on Hocuspocus as on the pod.
 *
 * Every hook here is O(1), never throws into Hocuspocus and never delays a message: metric and inspect
 * work is synchronous bookkeeping, and the only awaited work is answering our own HTTP routes.
 */
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import * as Y from 'yjs';
import type {
  afterLoadDocumentPayload,
  afterStoreDocumentPayload,
  afterUnloadDocumentPayload,
  beforeHandleMessagePayload,
  Connection,
  connectedPayload,
  Extension,
  Hocuspocus,
  onAwarenessUpdatePayload,
  onChangePayload,
  onConfigurePayload,
  onLoadDocumentPayload,
  onRequestPayload,
  onStoreDocumentPayload,
  onUpgradePayload,
} from '@hocuspocus/server';
import { ABNORMAL_CLOSURE, errorMessage, INSPECT_WS_PATH } from '@collabblocks/protocol';
import {
  createOrgKeyAuthenticator,
  InspectBridge,
  type ApiKeyConfig,
  type OrgKeyAuth,
  type WarnLogger,
} from '@collabblocks/monitor';
import type { UpdateLog } from './history/memoryLog.js';
import { handleRequest, type TokenRoutes } from './http.js';
import type { UserOf } from './inspect/connections.js';
import { HocuspocusHost } from './inspect/host.js';
import { messageKind } from './messages.js';
import { HostMetrics, type MetricsOptions } from './metrics/hostMetrics.js';
import { RoomResolver, type RoomNameMapper } from './rooms.js';

export interface CollabMonitorOptions {
  /** This server's name: the `pod` label of every series and the inspect `hello` (default: the hostname). */
  instance?: string;
  /** Document name → org and room (default `<org>/<room>`, the collab pod's rule). */
  roomName?: RoomNameMapper;
  /** Path of the metrics endpoint (default `/metrics`). */
  metricsPath?: string;
  metrics?: MetricsOptions;
  /**
   * Turns on `/inspect` and the token routes: signs inspect tokens and keys the pseudonyms (at least
   * 32 bytes; the same on every instance of a deployment). Without it only `/metrics` is served.
   */
  secret?: string | Uint8Array;
  /** Org API keys that may mint inspect tokens (`Authorization: Bearer <key>`), checked in constant time. */
  apiKeys?: readonly ApiKeyConfig[];
  /** Or your own check of a token request (wins over `apiKeys`). */
  authenticateOrgKey?: (req: IncomingMessage) => OrgKeyAuth | null;
  /** Who a connection's user is, from the context your `onAuthenticate` returned (default: anonymous). */
  user?: UserOf;
  /**
   * The timestamped update log that time travel reads (`new MemoryUpdateLog({...})`, or your own
   * durable `UpdateLog`). Without one, history requests answer `history_unavailable`.
   */
  history?: UpdateLog;
  /** Where failing hooks and background tasks are reported, rate-limited (default `console`). */
  logger?: WarnLogger;
}

/**
 * Close codes Hocuspocus itself closes a connection with (`@hocuspocus/common` CloseEvents: message
 * too big, reset, unauthorized, forbidden, timeout). Any other code came from the client's close frame.
 */
const HOCUSPOCUS_CLOSE_CODES: ReadonlySet<number> = new Set([1009, 4205, 4401, 4403, 4408]);

const consoleLogger: WarnLogger = {
  warn: (obj, msg) => console.warn(msg, obj),
};

function secretBytes(secret: string | Uint8Array): Uint8Array {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (bytes.byteLength < 32) throw new Error('CollabMonitor: `secret` must be at least 32 bytes');
  return bytes;
}

export class CollabMonitor implements Extension {
  readonly extensionName = 'CollabMonitor';
  /** Runs before other extensions' hooks: store timing starts before the store itself. */
  readonly priority = 1000;

  private readonly rooms: RoomResolver;
  private readonly metrics: HostMetrics;
  private readonly metricsPath: string;
  private readonly logger: WarnLogger;
  private readonly history: UpdateLog | undefined;
  private readonly host: HocuspocusHost | undefined;
  private readonly bridge: InspectBridge | undefined;
  private readonly tokens: TokenRoutes | undefined;
  private instance: Hocuspocus | undefined;
  /** When each connection's message being handled was received (for the update duration). */
  private readonly receivedAt = new WeakMap<Connection, number>();
  private lastWarn = 0;

  constructor(opts: CollabMonitorOptions = {}) {
    this.rooms = new RoomResolver(opts.roomName);
    this.logger = opts.logger ?? consoleLogger;
    this.metricsPath = opts.metricsPath ?? '/metrics';
    this.history = opts.history;
    const instance = opts.instance ?? hostname();
    this.metrics = new HostMetrics(
      instance,
      () => this.instance?.documents.values() ?? [],
      (name) => this.rooms.of(name),
      this.logger,
      opts.metrics
    );
    if (opts.secret !== undefined) {
      const secret = secretBytes(opts.secret);
      this.host = new HocuspocusHost({
        name: instance,
        secret,
        logger: this.logger,
        document: (name) => this.instance?.documents.get(name),
        ...(opts.history ? { history: opts.history } : {}),
        ...(opts.user ? { userOf: opts.user } : {}),
      });
      this.bridge = new InspectBridge({ host: this.host, registry: this.metrics.metrics.registry });
      const byKey = createOrgKeyAuthenticator([...(opts.apiKeys ?? [])]);
      this.tokens = { secret, authenticateOrgKey: opts.authenticateOrgKey ?? ((req) => byKey(req)) };
    }
  }

  /** Runs `fn`, reporting (rate-limited) instead of throwing into Hocuspocus. */
  private guard(hook: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      const t = Date.now();
      if (t - this.lastWarn > 60_000) {
        this.lastWarn = t;
        this.logger.warn({ hook, err: errorMessage(err) }, 'collab monitor hook failed');
      }
    }
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance;
    this.metrics.start();
  }

  async onDestroy(): Promise<void> {
    this.metrics.stop();
    await this.bridge?.close();
  }

  async onLoadDocument({ documentName }: onLoadDocumentPayload): Promise<void> {
    this.guard('onLoadDocument', () => this.metrics.loadStarted(documentName));
  }

  async afterLoadDocument({ documentName, document }: afterLoadDocumentPayload): Promise<void> {
    this.guard('afterLoadDocument', () => {
      const durationMs = this.metrics.loaded(documentName);
      const ref = this.rooms.of(documentName);
      if (!ref.mapped || (!this.history && !this.host)) return;
      const state = Y.encodeStateAsUpdate(document);
      this.history?.begin(ref.id, ref.org, state);
      this.host?.roomLoaded(ref, documentName, durationMs, state.byteLength);
    });
  }

  async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload): Promise<void> {
    this.guard('afterUnloadDocument', () => {
      this.metrics.unloaded(documentName);
      const ref = this.rooms.of(documentName);
      if (ref.mapped) this.host?.roomUnloaded(ref);
      this.rooms.forget(documentName);
    });
  }

  async connected({ documentName, connection, context }: connectedPayload): Promise<void> {
    this.guard('connected', () => {
      this.metrics.joined(documentName);
      const ref = this.rooms.of(documentName);
      if (ref.mapped) this.host?.connected(ref, connection, context);
      connection.onClose((_doc, event) => {
        this.guard('onClose', () => {
          this.host?.closed(connection);
          // No event: Hocuspocus closed it itself without a code (shutdown, failed send): normal.
          const code = event?.code ?? 1000;
          const byClient = code !== ABNORMAL_CLOSURE && !HOCUSPOCUS_CLOSE_CODES.has(code);
          this.metrics.closed(documentName, code, byClient);
        });
      });
    });
  }

  async beforeHandleMessage({ documentName, update, connection }: beforeHandleMessagePayload): Promise<void> {
    this.guard('beforeHandleMessage', () => {
      this.receivedAt.set(connection, performance.now());
      this.metrics.message(documentName, messageKind(update));
      if (this.host) {
        const ref = this.rooms.of(documentName);
        if (ref.mapped) this.host.message(ref, connection, update);
      }
    });
  }

  async onChange({ documentName, connection, update }: onChangePayload): Promise<void> {
    this.guard('onChange', () => {
      const receivedAt = connection ? this.receivedAt.get(connection) : undefined;
      const durationMs = receivedAt === undefined ? NaN : performance.now() - receivedAt;
      this.metrics.changed(documentName, connection !== undefined, durationMs);
      const ref = this.rooms.of(documentName);
      if (!ref.mapped) return;
      const seq = this.history?.append(ref.id, update) ?? 0;
      this.host?.updated(ref, connection, update, seq, durationMs);
    });
  }

  async onAwarenessUpdate({
    documentName,
    connection,
    added,
    updated,
    removed,
  }: onAwarenessUpdatePayload): Promise<void> {
    if (!this.host) return;
    this.guard('onAwarenessUpdate', () => {
      const ref = this.rooms.of(documentName);
      if (ref.mapped) this.host?.awareness(ref, connection, added, updated, removed);
    });
  }

  async onStoreDocument({ documentName }: onStoreDocumentPayload): Promise<void> {
    this.guard('onStoreDocument', () => this.metrics.storeStarted(documentName));
  }

  async afterStoreDocument({ documentName }: afterStoreDocumentPayload): Promise<void> {
    this.guard('afterStoreDocument', () => this.metrics.stored(documentName));
  }

  async onUpgrade({ request, socket, head }: onUpgradePayload): Promise<void> {
    if (!this.bridge) return;
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== INSPECT_WS_PATH) return;
    this.bridge.handleUpgrade(request, socket, head);
    // Hocuspocus's protocol for "taken, stop here": reject without an error (crossws never sees it).
    return Promise.reject();
  }

  async onRequest({ request, response }: onRequestPayload): Promise<void> {
    const handled = await handleRequest(request, response, {
      metricsPath: this.metricsPath,
      renderMetrics: (accept) => this.metrics.render(accept),
      ...(this.tokens ? { tokens: this.tokens } : {}),
    });
    // Hocuspocus's protocol for "answered, stop here": reject without an error (no later hook, no default page).
    if (handled === 'handled') return Promise.reject();
  }
}
