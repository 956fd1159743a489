/**
 * What a host reports to the metrics layer: the subset of each hook event that `extension.ts` maps onto
 * metrics, and the view of loaded rooms read at scrape time. The collab pod's hook events (`CollabExtension`
 * in collab-server) carry more and satisfy these shapes as they are; the Hocuspocus extension builds them
 * from Hocuspocus's hooks. Hosts pass only values from fixed sets where a field becomes a label.
 */
import type { FrameKind } from '../events.js';

/** A connection that joined a room. */
export interface ConnectionMetricsEvent {
  /** `<org>/<room>`. */
  room: string;
  org: string;
}

/** A connection the host refused before it joined (bad token, bad room name, caps, …). */
export interface RejectMetricsEvent {
  org?: string;
  code: number;
  /** Set when the token could not be checked because the key set (JWKS) could not be fetched. */
  keySetFailure?: 'timeout' | 'unreachable' | 'bad-response';
}

/** A joined connection that closed; `byClient` when the client chose the code (see `classifyClose`). */
export interface CloseMetricsEvent {
  conn: { org: string };
  code: number;
  byClient?: boolean;
}

/** One received message. */
export interface MessageMetricsEvent {
  org: string;
  room: string;
  kind: FrameKind;
}

/** A document update applied: from a client connection, or from elsewhere (another pod / instance). */
export interface UpdateMetricsEvent {
  room: string;
  org: string;
  origin: 'client' | 'remote';
  /** Receive → durable → applied → broadcast, milliseconds. */
  durationMs: number;
}

/** A storage write (one group commit may hold several orgs' updates). */
export interface PersistMetricsEvent {
  orgs: readonly string[];
  /** Storage backend name (a fixed set per host). */
  backend: string;
  count: number;
  durationMs: number;
  traceId?: string;
}

export interface CompactionMetricsEvent {
  org: string;
  durationMs: number;
}

export interface RoomMetricsEvent {
  org: string;
  durationMs?: number;
}

export interface RttMetricsEvent {
  org: string;
  rttMs: number;
}

/** Awareness entries dropped because another connection owns the client id (presence integrity). */
export interface PresenceRefusedMetricsEvent {
  org: string;
  kind: 'set' | 'remove';
}

/**
 * A limit acted (the pod's isolation budgets and caps; see collab-server docs/POD.md "Limits and
 * isolation"): `limit` and `action` come from fixed sets and become labels.
 */
export interface LimitMetricsEvent {
  /** Only for authenticated connections. */
  org?: string;
  limit: string;
  action: 'throttled' | 'refused' | 'closed';
}

export interface ErrorMetricsEvent {
  org?: string;
  code: number;
}

/** The hooks the metrics layer implements (each optional in a host's own extension type). */
export interface MetricsHooks {
  readonly name: 'metrics';
  onConnect(conn: ConnectionMetricsEvent): void;
  onReject(ev: RejectMetricsEvent): void;
  onDisconnect(ev: CloseMetricsEvent): void;
  onMessage(ev: MessageMetricsEvent): void;
  onUpdate(ev: UpdateMetricsEvent): void;
  onPersist(ev: PersistMetricsEvent): void;
  onCompaction(ev: CompactionMetricsEvent): void;
  onRoomLoaded(ev: RoomMetricsEvent): void;
  onRoomUnloaded(ev: RoomMetricsEvent): void;
  onRtt(ev: RttMetricsEvent): void;
  onLimit(ev: LimitMetricsEvent): void;
  onPresenceRefused(ev: PresenceRefusedMetricsEvent): void;
  onError(ev: ErrorMetricsEvent): void;
}

/** A loaded room's numbers, read at scrape time (cheap, no encoding). */
export interface RoomGaugeStats {
  room: string;
  org: string;
  connections: number;
  /** Updates received but not yet durable. */
  pendingDurable: number;
  /** Durable updates not yet folded into a snapshot. */
  pendingCompaction: number;
}

/** The host as the scrape sees it: its name (the `pod` label of every series) and its loaded rooms. */
export interface MetricsHostView {
  readonly pod: string;
  rooms(): readonly RoomGaugeStats[];
  /** Bytes queued to clients and not yet written, host-wide (a shared buffer counted once), when known. */
  queuedBytes?(): number;
}

/** Where the metrics layer logs a failing hook (a pino logger fits). */
export interface WarnLogger {
  warn(obj: object, msg: string): void;
}
