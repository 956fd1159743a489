import type { DataFrame, QueryResultMeta, QueryResultMetaNotice } from '@grafana/data';
import { COLLAB_FRAME_KIND_KEY, FRAME_LIMITS, type CollabFrameKind } from '@collabblocks/protocol';

/** `meta.custom` with the collab frame kind (see @collabblocks/protocol frames.ts) plus extras. */
export function collabMeta(
  kind: CollabFrameKind,
  extra: Record<string, unknown> = {},
  base: Partial<QueryResultMeta> = {}
): QueryResultMeta {
  return { ...base, custom: { [COLLAB_FRAME_KIND_KEY]: kind, ...extra } };
}

/** Rows kept per frame: maxDataPoints when given, never more than FRAME_LIMITS.maxRows. */
export function rowCap(
  maxDataPoints: number | undefined,
  fallback: number = FRAME_LIMITS.defaultStreamRows
): number {
  const want =
    maxDataPoints !== undefined && Number.isFinite(maxDataPoints) && maxDataPoints > 0
      ? maxDataPoints
      : fallback;
  return Math.max(1, Math.min(FRAME_LIMITS.maxRows, Math.floor(want)));
}

/**
 * A non-fatal message about a result (cut at a cap, a clamped range, a path not there yet). It travels
 * as a data-frame `meta.notices` entry, which Grafana shows as an info/warning marker on the panel —
 * never as a query error. Real failures (a pod down, a bad query) stay `errors`.
 */
export interface Notice extends QueryResultMetaNotice {
  severity: 'info' | 'warning';
}

export const warningNotice = (text: string): Notice => ({ severity: 'warning', text });
export const infoNotice = (text: string): Notice => ({ severity: 'info', text });

/** Warning for a frame cut at the row cap. */
export function truncatedNotice(kind: string, total: number, kept: number): Notice {
  return warningNotice(
    `${kind}: ${total} rows, only the first ${kept} are shown (limit ${FRAME_LIMITS.maxRows} rows per frame)`
  );
}

/** A deterministic colour for a pseudonym (used when no colour may be shown). */
export function pseudonymColor(pseudonym: string): string {
  let h = 0;
  for (let i = 0; i < pseudonym.length; i++) h = (h * 31 + pseudonym.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360}, 65%, 55%)`;
}

export function setRefId(frame: DataFrame, refId: string): DataFrame {
  frame.refId = refId;
  return frame;
}
