/**
 * `CollabMonitor`: the Hocuspocus extension that lets the CollabBlocks Grafana suite watch a Hocuspocus
 * server. Add it to `Server.configure({ extensions: [new CollabMonitor({...})] })`; it serves the
 * collab metrics taxonomy on `/metrics` (see `metrics/hostMetrics.ts` for which hook feeds what).
 *
 * Every hook here is O(1), never throws into Hocuspocus and never delays a message: metric work is
 * synchronous bookkeeping, and the only awaited work is answering our own HTTP routes.
 */
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
  onChangePayload,
  onConfigurePayload,
  onLoadDocumentPayload,
  onRequestPayload,
  onStoreDocumentPayload,
} from '@hocuspocus/server';
import { ABNORMAL_CLOSURE, errorMessage } from '@collabblocks/protocol';
import type { WarnLogger } from '@collabblocks/monitor';
import { handleRequest } from './http.js';
import { messageKind } from './messages.js';
import { HostMetrics, type MetricsOptions } from './metrics/hostMetrics.js';
import { RoomResolver, type RoomNameMapper } from './rooms.js';
import type { UpdateLog } from './history/memoryLog.js';

export interface CollabMonitorOptions {
  /** This server's name: the `pod` label of every series (default: the hostname). */
  instance?: string;
  /** Document name → org and room (default `<org>/<room>`, the collab pod's rule). */
  roomName?: RoomNameMapper;
  /** Path of the metrics endpoint (default `/metrics`). */
  metricsPath?: string;
  metrics?: MetricsOptions;
  /** Where failing hooks and background tasks are reported, rate-limited (default `console`). */
  logger?: WarnLogger;
  /**
   * The timestamped update log that time travel reads (`new MemoryUpdateLog({...})`, or your own
   * durable `UpdateLog`). Without one, history requests answer `history_unavailable`.
   */
  history?: UpdateLog;
}

/**
 * Close codes Hocuspocus itself closes a connection with (`@hocuspocus/common` CloseEvents: message
 * too big, reset, unauthorized, forbidden, timeout). Any other code came from the client's close frame.
 */
const HOCUSPOCUS_CLOSE_CODES: ReadonlySet<number> = new Set([1009, 4205, 4401, 4403, 4408]);

const consoleLogger: WarnLogger = {
  warn: (obj, msg) => console.warn(msg, obj),
};

export class CollabMonitor implements Extension {
  readonly extensionName = 'CollabMonitor';
  /** Runs before other extensions' hooks: store timing starts before the store itself. */
  readonly priority = 1000;

  private readonly rooms: RoomResolver;
  private readonly metrics: HostMetrics;
  private readonly metricsPath: string;
  private readonly logger: WarnLogger;
  private readonly history: UpdateLog | undefined;
  private instance: Hocuspocus | undefined;
  /** When each connection's message being handled was received (for the update duration). */
  private readonly receivedAt = new WeakMap<Connection, number>();
  private lastWarn = 0;

  constructor(opts: CollabMonitorOptions = {}) {
    this.rooms = new RoomResolver(opts.roomName);
    this.logger = opts.logger ?? consoleLogger;
    this.metricsPath = opts.metricsPath ?? '/metrics';
    this.history = opts.history;
    this.metrics = new HostMetrics(
      opts.instance ?? hostname(),
      () => this.instance?.documents.values() ?? [],
      (name) => this.rooms.of(name),
      this.logger,
      opts.metrics
    );
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
  }

  async onLoadDocument({ documentName }: onLoadDocumentPayload): Promise<void> {
    this.guard('onLoadDocument', () => this.metrics.loadStarted(documentName));
  }

  async afterLoadDocument({ documentName, document }: afterLoadDocumentPayload): Promise<void> {
    this.guard('afterLoadDocument', () => {
      this.metrics.loaded(documentName);
      const ref = this.rooms.of(documentName);
      if (this.history && ref.mapped) this.history.begin(ref.id, ref.org, Y.encodeStateAsUpdate(document));
    });
  }

  async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload): Promise<void> {
    this.guard('afterUnloadDocument', () => {
      this.metrics.unloaded(documentName);
      this.rooms.forget(documentName);
    });
  }

  async connected({ documentName, connection }: connectedPayload): Promise<void> {
    this.guard('connected', () => {
      this.metrics.joined(documentName);
      connection.onClose((_doc, event) => {
        this.guard('onClose', () => {
          // No event: Hocuspocus closed it itself without a code (shutdown, failed send): normal.
          const raw = event?.code ?? 1000;
          const byClient = raw !== ABNORMAL_CLOSURE && !HOCUSPOCUS_CLOSE_CODES.has(raw);
          this.metrics.closed(documentName, raw, byClient);
        });
      });
    });
  }

  async beforeHandleMessage({ documentName, update, connection }: beforeHandleMessagePayload): Promise<void> {
    this.guard('beforeHandleMessage', () => {
      this.receivedAt.set(connection, performance.now());
      this.metrics.message(documentName, messageKind(update));
    });
  }

  async onChange({ documentName, connection, update }: onChangePayload): Promise<void> {
    this.guard('onChange', () => {
      const ref = this.rooms.of(documentName);
      if (this.history && ref.mapped) this.history.append(ref.id, update);
      const receivedAt = connection ? this.receivedAt.get(connection) : undefined;
      this.metrics.changed(documentName, connection !== undefined, receivedAt);
    });
  }

  async onStoreDocument({ documentName }: onStoreDocumentPayload): Promise<void> {
    this.guard('onStoreDocument', () => this.metrics.storeStarted(documentName));
  }

  async afterStoreDocument({ documentName }: afterStoreDocumentPayload): Promise<void> {
    this.guard('afterStoreDocument', () => this.metrics.stored(documentName));
  }

  async onRequest({ request, response }: onRequestPayload): Promise<void> {
    const handled = await handleRequest(request, response, {
      metricsPath: this.metricsPath,
      renderMetrics: (accept) => this.metrics.render(accept),
    });
    // Hocuspocus's protocol for "answered, stop here": reject without an error (no later hook, no default page).
    if (handled === 'handled') return Promise.reject();
  }
}
