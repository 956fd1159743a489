/** Inspect protocol constants: version, paths, the pod's limits, scopes, streams and error codes. */
import { z } from 'zod';

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
