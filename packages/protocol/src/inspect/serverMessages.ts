/** Messages the pod sends to a client over `/inspect`. */
import { z } from 'zod';
import { Count, ReqId, SubId, Ts, v } from './fields.js';
import { InspectErrorCodeSchema, InspectScopeSchema, InspectStreamSchema } from './constants.js';
import {
  PresenceUserSchema,
  RoomInfoSchema,
  TrafficFrameSchema,
  TreeNodeSchema,
  UpdateSummarySchema,
} from './payloads.js';

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
