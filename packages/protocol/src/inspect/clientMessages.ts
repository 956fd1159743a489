/** Messages a client sends to the pod over `/inspect`. */
import { z } from 'zod';
import { PresenceSubscribeOptionsSchema } from './bindings.js';
import { Count, ReqId, RoomId, SubId, Ts, v } from './fields.js';
import { INSPECT_LIMITS, InspectScopeSchema, InspectStreamSchema } from './constants.js';

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
