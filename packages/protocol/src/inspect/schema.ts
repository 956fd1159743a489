/**
 * The inspect (devtools) stream protocol, version 1: one JSON text frame per
 * message over the pod's `/inspect` WebSocket, every message `{ v: 1, type, ... }`.
 * The pod (collab-server/src/inspect) and the Grafana datasource both import
 * these schemas; nothing else defines the wire format. See
 * collab-server/docs/INSPECT.md for the conversation and the guarantees.
 *
 * Conventions: times are epoch milliseconds; `id` is the client's request id
 * (echoed on the ack / error / response to that request); `sub` is the
 * subscription id the pod assigns in `subscribed`; rooms are `<org>/<room>`.
 */
import { z } from 'zod';
import {
  PresenceBindingFields,
  PresenceSubscribeOptionsSchema,
  TreeNodeBindingFields,
  UpdateBindingFields,
} from './bindings.js';

export const INSPECT_PROTOCOL_VERSION = 1 as const;
/**
 * Schema revision within version 1. Revisions only add optional fields (older clients ignore
 * them, older pods' messages still parse); a pod announces what it sends in `hello.features`.
 * Revision 2: presence `binding`/`location`/`pointer`/`lastActive`/`lastEdit`/`signals`, tree
 * `attrs`/`attrKeys`/`runs`/`embeds`/`binding`/`guid`, update `formatted`/`formats`/`embeds`,
 * subscribe `presence` options (see `bindings.ts`). Revision 3: update `lines`/`linesTruncated`
 * (the Y.Text lines an update touched; feature `updateLines`).
 */
export const INSPECT_SCHEMA_REVISION = 3 as const;
/** WebSocket path of the inspect stream (token in the first frame, never in the URL). */
export const INSPECT_WS_PATH = '/inspect';
/** Token minting: `POST` with `{scope, ttlSeconds?}`, or `POST <path>/content` / `<path>/metadata`. */
export const INSPECT_TOKEN_PATH = '/api/inspect/token';
/** JWT audience of inspect tokens. */
export const INSPECT_AUDIENCE = 'inspect';

/** Bounds the pod enforces (also announced in `hello.limits`). */
export const INSPECT_LIMITS = {
  /** The first `auth` must arrive within this, else close AUTH_TIMEOUT (4405). */
  authTimeoutMs: 2_000,
  defaultTokenTtlSeconds: 300,
  maxTokenTtlSeconds: 3_600,
  minTokenTtlSeconds: 1,
  /** Concurrent subscriptions per session. */
  maxSubscriptions: 32,
  /** Client messages per second per session, auth and ping included (token bucket, burst 2x). */
  requestsPerSecond: 20,
  /** Largest client frame accepted (bytes). */
  maxClientMessageBytes: 65_536,
  /** History: widest `toTs - fromTs` (24 h) and most entries per page. */
  maxHistorySpanMs: 24 * 60 * 60 * 1000,
  maxHistoryEntries: 10_000,
  defaultHistoryEntries: 1_000,
  /** Snapshot trees are sent in chunks of at most this many nodes. */
  snapshotChunkNodes: 2_000,
  /** historyTree replay (`toTs`): most updates replayed as steps (default and ceiling of `maxSteps`). */
  maxHistorySteps: 5_000,
  /** historyTree replay: a `historyTreeSteps` message carries at most this many nodes (added + changed). */
  stepsChunkNodes: 2_000,
} as const;

export const INSPECT_SCOPES = ['metadata', 'content'] as const;
export const InspectScopeSchema = z.enum(INSPECT_SCOPES);
/** `metadata`: structure, counts, pseudonyms; never values or display names. `content`: adds them. */
export type InspectScope = z.infer<typeof InspectScopeSchema>;

/** True when a key/token configured for `have` may do what `need` requires. */
export function scopeAllows(have: InspectScope, need: InspectScope): boolean {
  return have === 'content' || need === 'metadata';
}

export const INSPECT_STREAMS = ['rooms', 'presence', 'tree', 'updates', 'traffic', 'metrics'] as const;
export const InspectStreamSchema = z.enum(INSPECT_STREAMS);
export type InspectStream = z.infer<typeof InspectStreamSchema>;

/** Machine codes carried by `error` messages. */
export const INSPECT_ERROR_CODES = [
  'malformed', // not JSON, or fails the schema
  'unsupported_version', // v !== 1
  'unknown_type',
  'not_authenticated', // a request before the first successful auth
  'auth_invalid',
  'auth_expired',
  'wrong_org', // token org differs from the session org, or a room of another org
  'scope_insufficient',
  'room_invalid', // not <org>/<room>
  'room_not_found', // neither loaded nor stored on this pod
  'rate_limited',
  'too_many_subscriptions',
  'unknown_subscription',
  'duplicate_subscription',
  'range_invalid', // fromTs > toTs, non-finite numbers
  'range_too_large', // span above maxHistorySpanMs or limit above maxHistoryEntries
  'history_pruned', // historyTree instant older than the room's retained history (retention pruned it)
  'history_unavailable', // the host keeps no update log: no history pages, no time travel
  'storage_error',
  'internal',
] as const;
export const InspectErrorCodeSchema = z.enum(INSPECT_ERROR_CODES);
export type InspectErrorCode = z.infer<typeof InspectErrorCodeSchema>;

const v = z.literal(INSPECT_PROTOCOL_VERSION);
const ReqId = z.string().min(1).max(64);
const SubId = z.string().min(1).max(64);
const RoomId = z.string().min(3).max(127);
const Ts = z.number().finite().nonnegative();
const Count = z.number().int().nonnegative();

// ---------------------------------------------------------------------------
// Token endpoint (HTTP JSON)

export const InspectTokenRequestSchema = z.object({
  scope: InspectScopeSchema,
  ttlSeconds: z
    .number()
    .int()
    .min(INSPECT_LIMITS.minTokenTtlSeconds)
    .max(INSPECT_LIMITS.maxTokenTtlSeconds)
    .optional(),
});
export type InspectTokenRequest = z.infer<typeof InspectTokenRequestSchema>;

export const InspectTokenResponseSchema = z.object({
  token: z.string(),
  /** Epoch ms. */
  expiresAt: Ts,
  scope: InspectScopeSchema,
  org: z.string(),
});
export type InspectTokenResponse = z.infer<typeof InspectTokenResponseSchema>;

/** Claims inside an inspect JWT (HS256, `aud: "inspect"`). */
export const InspectTokenClaimsSchema = z.object({
  aud: z.union([z.literal(INSPECT_AUDIENCE), z.array(z.string())]),
  org: z.string(),
  scope: InspectScopeSchema,
  exp: z.number(),
  iat: z.number().optional(),
  jti: z.string().optional(),
});
export type InspectTokenClaims = z.infer<typeof InspectTokenClaimsSchema>;

// ---------------------------------------------------------------------------
// Client → pod

export const AuthMessageSchema = z.object({
  v,
  type: z.literal('auth'),
  id: ReqId.optional(),
  /** Inspect JWT. Sent first, and again before expiry to keep the stream alive (re-auth). */
  token: z.string().min(1).max(8_192),
  /**
   * Scope the client needs. When the token grants less, the socket is closed
   * with SCOPE_INSUFFICIENT (4406). Omitted: whatever the token grants.
   */
  scope: InspectScopeSchema.optional(),
});

export const SubscribeMessageSchema = z
  .object({
    v,
    type: z.literal('subscribe'),
    id: ReqId,
    stream: InspectStreamSchema,
    /** `<org>/<room>`; required for every stream except `rooms`. */
    room: RoomId.optional(),
    /** Scope this subscription needs; a `scope_insufficient` error when the session has less. */
    scope: InspectScopeSchema.optional(),
    /** `presence` stream only (ignored elsewhere): field paths for unrecognised states, location resolution. */
    presence: PresenceSubscribeOptionsSchema.optional(),
  })
  .refine((m) => m.stream === 'rooms' || m.room !== undefined, {
    message: 'room is required for this stream',
    path: ['room'],
  });

export const UnsubscribeMessageSchema = z.object({
  v,
  type: z.literal('unsubscribe'),
  id: ReqId.optional(),
  sub: SubId,
});

/** One page of the update log of a room: entries with fromTs <= ts <= toTs and seq > afterSeq. */
export const HistoryRequestSchema = z.object({
  v,
  type: z.literal('history'),
  id: ReqId,
  room: RoomId,
  fromTs: Ts,
  toTs: Ts,
  /** Paging: pass the previous page's `nextAfterSeq`. */
  afterSeq: Count.optional(),
  limit: z.number().int().positive().optional(),
});

/**
 * The document tree as it was at `at` (epoch ms), rebuilt from snapshot + log on a scratch doc.
 * With `toTs` (>= `at`, span <= maxHistorySpanMs) the pod then replays every logged update with
 * `at < ts <= toTs` on that doc and sends the tree patch of each one (`historyTreeSteps`), so a
 * client can show the exact document at every update of a past range. At most `maxSteps`
 * (default and ceiling `INSPECT_LIMITS.maxHistorySteps`) updates are replayed; `truncated` says more exist.
 */
export const HistoryTreeRequestSchema = z.object({
  v,
  type: z.literal('historyTree'),
  id: ReqId,
  room: RoomId,
  at: Ts,
  toTs: Ts.optional(),
  maxSteps: z.number().int().positive().max(INSPECT_LIMITS.maxHistorySteps).optional(),
});

export const PingMessageSchema = z.object({ v, type: z.literal('ping'), id: ReqId.optional() });

export const InspectClientMessageSchema = z.union([
  AuthMessageSchema,
  SubscribeMessageSchema,
  UnsubscribeMessageSchema,
  HistoryRequestSchema,
  HistoryTreeRequestSchema,
  PingMessageSchema,
]);
export type AuthMessage = z.infer<typeof AuthMessageSchema>;
export type SubscribeMessage = z.infer<typeof SubscribeMessageSchema>;
export type UnsubscribeMessage = z.infer<typeof UnsubscribeMessageSchema>;
export type HistoryRequest = z.infer<typeof HistoryRequestSchema>;
export type HistoryTreeRequest = z.infer<typeof HistoryTreeRequestSchema>;
export type PingMessage = z.infer<typeof PingMessageSchema>;
export type InspectClientMessage = z.infer<typeof InspectClientMessageSchema>;
export type InspectClientMessageType = InspectClientMessage['type'];

// ---------------------------------------------------------------------------
// Payload shapes

export const RoomInfoSchema = z.object({
  room: z.string(),
  org: z.string(),
  /** Loaded in memory on this pod (else only stored). */
  loaded: z.boolean(),
  connections: Count,
  presence: Count,
  docBytes: Count,
  /** Updates applied since load (loaded) or retained log entries (stored). */
  ops: Count,
  lastActivity: Ts,
  storedBytes: Count.optional(),
  lastSeq: Count.optional(),
});
export type RoomInfo = z.infer<typeof RoomInfoSchema>;

/** Presence statuses the pod sends in `metadata` scope. */
export const PRESENCE_STATUSES = ['editing', 'idle', 'away', 'unknown'] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];

export const PresenceUserSchema = z.object({
  /** Awareness client id (random per Yjs doc, not personal). */
  clientId: z.number().int(),
  /**
   * Stable pseudonym: the connection's user pseudonym (`u_…`) on the pod the client is
   * connected to, else (`remote`, or unknown) `a_…`, a keyed hash of org + client id that
   * every pod of a deployment computes alike (the key derives from the shared inspect secret).
   */
  user: z.string(),
  /** Pseudonymous pod connection id, when known. */
  conn: z.string().optional(),
  /**
   * True when the awareness state reached this pod from another pod (cross-pod fan-out): this
   * pod knows no connection for it (no `conn`, `user` is the `a_…` pseudonym). The pod the
   * client is connected to reports the same `clientId` without `remote`, with the user
   * pseudonym: when merging several pods' views by `clientId`, prefer the entry without
   * `remote`. Absent from pods older than this field.
   */
  remote: z.boolean().optional(),
  /** Display name: `content` scope only. */
  name: z.string().optional(),
  /**
   * Colour: `content` scope as published (≤ 32 chars); `metadata` scope only when it is a plain CSS
   * colour (`#rgb`, `#rrggbb[aa]`, `rgb()/rgba()/hsl()/hsla()` of numbers), so users are drawn in the
   * colour their editor draws them in.
   */
  color: z.string().optional(),
  /**
   * A pointer in [0, 1] (the simulator's `cursor: {x, y}`), else null. Page/scene pointers of tldraw and
   * Excalidraw and every other position are in `pointer` / `location` (revision 2).
   */
  cursor: z.object({ x: z.number(), y: z.number() }).nullable(),
  /**
   * The awareness `status`: `metadata` scope only one of `PRESENCE_STATUSES` (other client
   * text becomes `unknown`); `content` scope the client's text (≤ 32 chars).
   */
  status: z.string().optional(),
  /** Last awareness change seen for this client. */
  lastSeen: Ts,
  /** Awareness updates seen from this client since the subscription started. */
  updates: Count,
  ...PresenceBindingFields,
});
export type PresenceUser = z.infer<typeof PresenceUserSchema>;

export const TREE_NODE_TYPES = [
  'Map',
  'Array',
  'Text',
  'XmlFragment',
  'XmlElement',
  'XmlText',
  'XmlHook',
  'Doc',
  'value',
  'unknown',
] as const;
export const TreeNodeTypeSchema = z.enum(TREE_NODE_TYPES);
export type TreeNodeType = z.infer<typeof TreeNodeTypeSchema>;

export const VALUE_TYPES = [
  'string',
  'number',
  'boolean',
  'null',
  'object',
  'array',
  'binary',
  'undefined',
  'embed',
] as const;

export const TreeNodeSchema = z.object({
  /** See `paths.ts`: `/<root>`, `/<root>/<key>`, `/<root>/<index>`… */
  path: z.string(),
  /** Parent path (`''` for root types). */
  parent: z.string(),
  /** 1 for root types. */
  depth: z.number().int().positive(),
  /** Root name, Map key, or child index as a string. */
  key: z.string(),
  /** Child index for Array/Xml children. */
  index: Count.optional(),
  type: TreeNodeTypeSchema,
  /** Map: live keys; Array/Text/Xml: length; value: JSON length of the value in bytes. */
  size: Count,
  /** Struct items held by the type (live + deleted), 1 for a value. */
  itemCount: Count,
  /** Deleted (tombstone) items still held by the type. */
  deleted: Count,
  /** Number of child nodes in the tree (Map keys, Array/Xml children). */
  children: Count,
  lastClient: z.number().int().optional(),
  lastClock: Count.optional(),
  /** Epoch ms of the last change, from the update log (absent when unknown). */
  lastTime: Ts.optional(),
  /** XmlElement tag name. */
  nodeName: z.string().optional(),
  /** value nodes: the JSON type of the value. */
  valueType: z.enum(VALUE_TYPES).optional(),
  /** value nodes (and Text, as a string): `content` scope only, long values truncated. */
  value: z.unknown().optional(),
  ...TreeNodeBindingFields,
});
export type TreeNode = z.infer<typeof TreeNodeSchema>;

export const DeltaPreviewSchema = z.object({
  path: z.string(),
  op: z.enum(['insert', 'delete', 'set']),
  /** Inserted / set value (strings truncated). */
  value: z.unknown().optional(),
  /** Length inserted/deleted. */
  length: Count.optional(),
});
export type DeltaPreview = z.infer<typeof DeltaPreviewSchema>;

export const UpdateSummarySchema = z.object({
  /** Log sequence number (absent for updates not logged on this pod). */
  seq: Count.optional(),
  ts: Ts,
  /** Yjs client id of the author. */
  clientId: z.number().int(),
  /** Pseudonymous pod connection id (absent for remote/storage updates). */
  conn: z.string().optional(),
  /** Author's user pseudonym when known. */
  user: z.string().optional(),
  origin: z.enum(['client', 'remote', 'storage']),
  bytes: Count,
  /** Inserted items (content length: characters, array elements, map sets); format markers are not inserts. */
  inserted: Count,
  /** Deleted length (from the update's delete set). */
  deleted: Count,
  /** Paths touched (bounded, see `pathsTruncated`). */
  paths: z.array(z.string()),
  pathsTruncated: z.boolean().optional(),
  /** `content` scope only (bounded). */
  preview: z.array(DeltaPreviewSchema).optional(),
  ...UpdateBindingFields,
});
export type UpdateSummary = z.infer<typeof UpdateSummarySchema>;

export const TRAFFIC_KINDS = [
  'sync-step1',
  'sync-step2',
  'sync-update',
  'awareness',
  'auth',
  'query-awareness',
  'trace-context',
  'unknown',
] as const;

export const TrafficFrameSchema = z.object({
  ts: Ts,
  direction: z.enum(['in', 'out']),
  conn: z.string(),
  kind: z.enum(TRAFFIC_KINDS),
  bytes: Count,
  /** Short summary, e.g. `update 34 B client 123` — never values or names. */
  summary: z.string(),
  /** When coalesced: how many frames of this conn/direction/kind this row stands for (bytes summed). */
  count: Count.optional(),
});
export type TrafficFrame = z.infer<typeof TrafficFrameSchema>;

// ---------------------------------------------------------------------------
// Pod → client

export const HelloMessageSchema = z.object({
  v,
  type: z.literal('hello'),
  pod: z.string(),
  serverTime: Ts,
  /** Milliseconds left to send `auth`. */
  authTimeoutMs: Count,
  streams: z.array(InspectStreamSchema),
  limits: z.object({
    maxSubscriptions: Count,
    requestsPerSecond: Count,
    maxHistorySpanMs: Count,
    maxHistoryEntries: Count,
    snapshotChunkNodes: Count,
  }),
  /** Capabilities (revision 2+; see `INSPECT_FEATURES`, an open set): absent from older pods. */
  features: z.array(z.string().max(32)).max(32).optional(),
  /** `INSPECT_SCHEMA_REVISION` of the pod (absent: 1). */
  revision: Count.optional(),
});

export const AuthenticatedMessageSchema = z.object({
  v,
  type: z.literal('authenticated'),
  id: ReqId.optional(),
  org: z.string(),
  scope: InspectScopeSchema,
  /** Epoch ms; the stream closes with AUTH_EXPIRED (4407) then, unless re-authenticated. */
  expiresAt: Ts,
  /** True for a successful re-auth on an already authenticated socket. */
  reauth: z.boolean(),
});

export const ErrorMessageSchema = z.object({
  v,
  type: z.literal('error'),
  /** Request id of the failed request, when it had one. */
  id: ReqId.optional(),
  sub: SubId.optional(),
  code: InspectErrorCodeSchema,
  message: z.string(),
  /** True when the pod closes the socket right after (with a 44xx close code). */
  fatal: z.boolean(),
});

export const SubscribedMessageSchema = z.object({
  v,
  type: z.literal('subscribed'),
  id: ReqId,
  sub: SubId,
  stream: InspectStreamSchema,
  room: z.string().optional(),
});

export const UnsubscribedMessageSchema = z.object({
  v,
  type: z.literal('unsubscribed'),
  id: ReqId.optional(),
  sub: SubId,
  /** `client` (asked), `room_unloaded`… */
  reason: z.string(),
});

export const PongMessageSchema = z.object({
  v,
  type: z.literal('pong'),
  id: ReqId.optional(),
  serverTime: Ts,
});

/**
 * The subscriber missed data (its queue overflowed or the socket was slow).
 * For `rooms`/`presence`/`tree`/`metrics` a fresh snapshot follows; for
 * `updates`/`traffic` the stream simply continues (the gap is `dropped` long).
 */
export const ResyncMessageSchema = z.object({
  v,
  type: z.literal('resync'),
  sub: SubId,
  stream: InspectStreamSchema,
  room: z.string().optional(),
  /** Messages dropped for this subscription since the last resync. */
  dropped: Count,
  /** `backpressure`: the subscriber was too slow; `reload`: the room was (re)loaded on this pod. */
  reason: z.enum(['backpressure', 'reload']),
});

export const RoomsMessageSchema = z.object({
  v,
  type: z.literal('rooms'),
  sub: SubId,
  ts: Ts,
  /** The full list (sent at subscribe, on changes, and at least every 5 s). */
  rooms: z.array(RoomInfoSchema),
});

export const PresenceSnapshotMessageSchema = z.object({
  v,
  type: z.literal('presenceSnapshot'),
  sub: SubId,
  room: z.string(),
  ts: Ts,
  users: z.array(PresenceUserSchema),
});

export const PresencePatchMessageSchema = z.object({
  v,
  type: z.literal('presencePatch'),
  sub: SubId,
  room: z.string(),
  ts: Ts,
  joined: z.array(PresenceUserSchema),
  updated: z.array(PresenceUserSchema),
  /** Client ids that left. */
  left: z.array(z.number().int()),
});

export const TreeSnapshotMessageSchema = z.object({
  v,
  type: z.literal('treeSnapshot'),
  sub: SubId,
  room: z.string(),
  ts: Ts,
  /** 0-based chunk index; nodes are in pre-order (a parent before its children). */
  chunk: Count,
  /** True on the final chunk; patches only follow after it. */
  last: z.boolean(),
  /**
   * Nodes in the snapshot: exact on the `last` chunk. While the pod is still
   * building its tree cache (first subscriber of a room) earlier chunks carry
   * the count so far.
   */
  total: Count,
  nodes: z.array(TreeNodeSchema),
});

export const TreePatchMessageSchema = z.object({
  v,
  type: z.literal('treePatch'),
  sub: SubId,
  room: z.string(),
  ts: Ts,
  /** Highest update seq included, when known. */
  seq: Count.optional(),
  /** Upserts of nodes that did not exist (parents before children). */
  added: z.array(TreeNodeSchema),
  /** Nodes whose summary changed. */
  changed: z.array(TreeNodeSchema),
  /** Paths removed; removing a path removes its whole subtree. */
  removed: z.array(z.string()),
  /** Transactions folded into this patch (>1 when coalesced). */
  transactions: Count,
});

export const UpdatesMessageSchema = z.object({
  v,
  type: z.literal('updates'),
  sub: SubId,
  room: z.string(),
  items: z.array(UpdateSummarySchema),
});

export const TrafficMessageSchema = z.object({
  v,
  type: z.literal('traffic'),
  sub: SubId,
  room: z.string(),
  frames: z.array(TrafficFrameSchema),
  /** Frames seen but not reported individually since the previous message (sampling/coalescing/overflow). */
  dropped: Count,
});

export const MetricsMessageSchema = z.object({
  v,
  type: z.literal('metrics'),
  sub: SubId,
  room: z.string(),
  ts: Ts,
  intervalMs: Count,
  /** Updates applied in the interval, per second. */
  opsPerSec: z.number().nonnegative(),
  connections: Count,
  presence: Count,
  /** WebSocket bytes in / out of the pod for this room during the interval. */
  bytesIn: Count,
  bytesOut: Count,
  framesIn: Count,
  framesOut: Count,
  docBytes: Count,
});

export const HistoryMessageSchema = z.object({
  v,
  type: z.literal('history'),
  id: ReqId,
  room: z.string(),
  fromTs: Ts,
  toTs: Ts,
  entries: z.array(UpdateSummarySchema),
  /** Pass as `afterSeq` for the next page; null when this page is the last. */
  nextAfterSeq: Count.nullable(),
});

export const HistoryTreeMessageSchema = z.object({
  v,
  type: z.literal('historyTree'),
  id: ReqId,
  room: z.string(),
  at: Ts,
  /** Last log seq applied (0 when the document was empty at `at`). */
  seq: Count,
  /** Time of that update (0 when none). */
  seqTs: Ts,
  chunk: Count,
  last: z.boolean(),
  total: Count,
  nodes: z.array(TreeNodeSchema),
});

/** One replayed update of a historyTree request with `toTs`: the tree patch it caused. */
export const HistoryTreeStepSchema = z.object({
  seq: Count,
  /** Time the update was logged (epoch ms). */
  ts: Ts,
  /** Yjs client id of the writer (0 when unknown). */
  clientId: Count,
  /** New nodes (parents before children). */
  added: z.array(TreeNodeSchema),
  /** Nodes whose summary changed. */
  changed: z.array(TreeNodeSchema),
  /** Paths removed; removing a path removes its whole subtree. */
  removed: z.array(z.string()),
});

/**
 * Replay of a historyTree request with `toTs`, after its `historyTree` chunks: steps in log
 * order, paged by node count. Exactly one message has `last: true` (possibly with no steps).
 * Steps are applied in order on top of the tree at `at`; an update that changed nothing
 * visible is still a step (empty lists) so every logged instant can be shown.
 */
export const HistoryTreeStepsMessageSchema = z.object({
  v,
  type: z.literal('historyTreeSteps'),
  id: ReqId,
  room: z.string(),
  at: Ts,
  toTs: Ts,
  steps: z.array(HistoryTreeStepSchema),
  last: z.boolean(),
  /**
   * On the last message: the steps stop before `toTs` — more than `maxSteps` updates fall in the
   * range, or the pod's per-request work bound was reached (at least one step is always sent).
   * Resume with `at` = the last step's `ts`.
   */
  truncated: z.boolean(),
});

export const InspectServerMessageSchema = z.discriminatedUnion('type', [
  HelloMessageSchema,
  AuthenticatedMessageSchema,
  ErrorMessageSchema,
  SubscribedMessageSchema,
  UnsubscribedMessageSchema,
  PongMessageSchema,
  ResyncMessageSchema,
  RoomsMessageSchema,
  PresenceSnapshotMessageSchema,
  PresencePatchMessageSchema,
  TreeSnapshotMessageSchema,
  TreePatchMessageSchema,
  UpdatesMessageSchema,
  TrafficMessageSchema,
  MetricsMessageSchema,
  HistoryMessageSchema,
  HistoryTreeMessageSchema,
  HistoryTreeStepsMessageSchema,
]);

export type HelloMessage = z.infer<typeof HelloMessageSchema>;
export type AuthenticatedMessage = z.infer<typeof AuthenticatedMessageSchema>;
export type ErrorMessage = z.infer<typeof ErrorMessageSchema>;
export type SubscribedMessage = z.infer<typeof SubscribedMessageSchema>;
export type UnsubscribedMessage = z.infer<typeof UnsubscribedMessageSchema>;
export type PongMessage = z.infer<typeof PongMessageSchema>;
export type ResyncMessage = z.infer<typeof ResyncMessageSchema>;
export type RoomsMessage = z.infer<typeof RoomsMessageSchema>;
export type PresenceSnapshotMessage = z.infer<typeof PresenceSnapshotMessageSchema>;
export type PresencePatchMessage = z.infer<typeof PresencePatchMessageSchema>;
export type TreeSnapshotMessage = z.infer<typeof TreeSnapshotMessageSchema>;
export type TreePatchMessage = z.infer<typeof TreePatchMessageSchema>;
export type UpdatesMessage = z.infer<typeof UpdatesMessageSchema>;
export type TrafficMessage = z.infer<typeof TrafficMessageSchema>;
export type MetricsMessage = z.infer<typeof MetricsMessageSchema>;
export type HistoryMessage = z.infer<typeof HistoryMessageSchema>;
export type HistoryTreeMessage = z.infer<typeof HistoryTreeMessageSchema>;
export type HistoryTreeStep = z.infer<typeof HistoryTreeStepSchema>;
export type HistoryTreeStepsMessage = z.infer<typeof HistoryTreeStepsMessageSchema>;
export type InspectServerMessage = z.infer<typeof InspectServerMessageSchema>;
export type InspectServerMessageType = InspectServerMessage['type'];

/** Distributive Omit: a server message without its `v` (the pod adds it when sending). */
export type WithoutVersion<T> = T extends unknown ? Omit<T, 'v'> : never;

export type ParseResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: 'malformed' | 'unsupported_version' | 'unknown_type'; error: string; id?: string };

const CLIENT_SCHEMAS: Record<InspectClientMessageType, z.ZodType<InspectClientMessage>> = {
  auth: AuthMessageSchema,
  subscribe: SubscribeMessageSchema,
  unsubscribe: UnsubscribeMessageSchema,
  history: HistoryRequestSchema,
  historyTree: HistoryTreeRequestSchema,
  ping: PingMessageSchema,
};
const CLIENT_TYPES: ReadonlySet<string> = new Set(Object.keys(CLIENT_SCHEMAS));

function describeZodError(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/**
 * Parses one client frame (text). Never throws: returns a machine code and a
 * human message, plus the request id when one could be read, so the pod can
 * answer with an `error` the client can match.
 */
export function parseInspectClientMessage(raw: string): ParseResult<InspectClientMessage> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'malformed', error: 'message is not valid JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, code: 'malformed', error: 'message must be a JSON object' };
  }
  const obj = data as Record<string, unknown>;
  const id = typeof obj.id === 'string' && obj.id.length > 0 && obj.id.length <= 64 ? obj.id : undefined;
  if (obj.v !== INSPECT_PROTOCOL_VERSION) {
    return {
      ok: false,
      code: 'unsupported_version',
      error: `unsupported protocol version ${JSON.stringify(obj.v)}; this pod speaks v${INSPECT_PROTOCOL_VERSION}`,
      id,
    };
  }
  if (typeof obj.type !== 'string' || !CLIENT_TYPES.has(obj.type)) {
    return {
      ok: false,
      code: 'unknown_type',
      error: `unknown message type ${JSON.stringify(obj.type)}; expected one of ${[...CLIENT_TYPES].join(', ')}`,
      id,
    };
  }
  const parsed = CLIENT_SCHEMAS[obj.type as InspectClientMessageType].safeParse(data);
  if (!parsed.success) {
    return {
      ok: false,
      code: 'malformed',
      error: `invalid ${obj.type} message: ${describeZodError(parsed.error)}`,
      id,
    };
  }
  return { ok: true, value: parsed.data };
}

/** Parses one pod frame (for clients such as the datasource). Never throws. */
export function parseInspectServerMessage(raw: string): ParseResult<InspectServerMessage> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'malformed', error: 'message is not valid JSON' };
  }
  const obj = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  if (obj.v !== INSPECT_PROTOCOL_VERSION) {
    return {
      ok: false,
      code: 'unsupported_version',
      error: `unsupported protocol version ${JSON.stringify(obj.v)}`,
    };
  }
  const parsed = InspectServerMessageSchema.safeParse(data);
  if (!parsed.success) {
    return { ok: false, code: 'malformed', error: describeZodError(parsed.error) };
  }
  return { ok: true, value: parsed.data };
}
