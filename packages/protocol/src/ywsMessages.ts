/**
 * y-websocket message types (first varuint of every binary frame).
 * 0 and 1 are the standard ones (y-protocols sync and awareness); 2/3 are used
 * by some servers for auth/query-awareness. Our extension uses a high number
 * that stock servers ignore (their message switch has no default branch) and
 * that our pod only ever receives, never sends, so stock clients are unaffected.
 */
export const YMessageType = {
  SYNC: 0,
  AWARENESS: 1,
  AUTH: 2,
  QUERY_AWARENESS: 3,
  /**
   * Trace context (client → pod only): varuint type, then a varstring holding a
   * W3C `traceparent` and a varstring holding `tracestate` (may be empty). The
   * context applies to the next sync/awareness message on that connection.
   */
  TRACE_CONTEXT: 120,
} as const;

/** y-protocols sync sub-types (second varuint of a SYNC frame). */
export const YSyncType = {
  STEP1: 0,
  STEP2: 1,
  UPDATE: 2,
} as const;

export type YMessageTypeValue = (typeof YMessageType)[keyof typeof YMessageType];
