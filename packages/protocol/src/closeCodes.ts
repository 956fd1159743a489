/**
 * WebSocket close codes used by the collab pod, for editing clients
 * (`/<org>/<room>`) and for inspect streams (`/inspect`). Application codes
 * live in 4000-4999; each failure has its own code so that dashboards and
 * clients can tell them apart (`ws_errors_total{code}`).
 */
export const CloseCode = {
  /** Standard: pod shutting down; clients should reconnect (possibly to another pod). */
  GOING_AWAY: 1001,
  /** Standard: frame larger than the configured limit. */
  MESSAGE_TOO_BIG: 1009,
  /** Frame could not be decoded (truncated, malformed varints, unknown envelope). */
  MALFORMED_MESSAGE: 4400,
  /** No token presented. */
  AUTH_MISSING: 4401,
  /** Token signature, algorithm, audience or claims are invalid. */
  AUTH_INVALID: 4402,
  /** Token org does not match the room (or subscription) org. */
  AUTH_WRONG_ORG: 4403,
  /** Room name is not `<org>/<room>` or tries a path trick. */
  ROOM_INVALID: 4404,
  /** Inspect: no auth message within the deadline (2 s). */
  AUTH_TIMEOUT: 4405,
  /** Inspect: token scope does not allow what was asked. */
  SCOPE_INSUFFICIENT: 4406,
  /**
   * Token expired: at connect, at the token's `exp` during an editing session (get a fresh token and
   * reconnect), or during an inspect stream without re-auth.
   */
  AUTH_EXPIRED: 4407,
  /** Yjs update could not be applied. */
  INVALID_UPDATE: 4411,
  /** Client too slow to read: send buffer above the bound. */
  SLOW_CONSUMER: 4412,
  /** Too many connections or messages (flood protection). */
  RATE_LIMITED: 4413,
  /**
   * The connection's updates cost more than its budget: more pod CPU time than its share for too
   * long (e.g. pathological updates whose conflict resolution is quadratic), or more client ids new
   * to the room than one connection may introduce. Reconnecting and re-sending the same does not help.
   */
  UPDATE_BUDGET_EXCEEDED: 4429,
  /**
   * Yjs update refused for its cost: its delete set would leave the room holding more delete ranges
   * for content it does not have than the pod allows (`COLLAB_MAX_PENDING_DELETE_RANGES`).
   */
  DELETE_SET_TOO_LARGE: 4416,
  /** Storage cannot accept writes (e.g. PostgreSQL down and the in-memory bound reached). */
  STORAGE_UNAVAILABLE: 4503,
  /** Unexpected server failure while handling this connection. */
  INTERNAL_ERROR: 4500,
  /**
   * The pod's memory budget for bytes queued to clients is used up: the expensive work asked for
   * (e.g. the document state for a sync) is refused. Retryable, after a back-off or on another pod.
   */
  POD_OVERLOADED: 4508,
} as const;

/** Close code of a connection that ended without a close frame (dropped, or terminated); never sent on the wire. */
export const ABNORMAL_CLOSURE = 1006;

export type CloseCodeName = keyof typeof CloseCode;
export type CloseCodeValue = (typeof CloseCode)[CloseCodeName];

const byValue = new Map<number, CloseCodeName>(
  (Object.entries(CloseCode) as Array<[CloseCodeName, number]>).map(([k, v]) => [v, k])
);

/** `AUTH_MISSING` for 4401, `undefined` for a code we do not define. */
export function closeCodeName(code: number): CloseCodeName | undefined {
  return byValue.get(code);
}
