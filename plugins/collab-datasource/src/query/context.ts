import {
  createDataFrame,
  type DataFrame,
  type DataQueryError,
  type DataQueryResponse,
  LoadingState,
} from '@grafana/data';
import type { InspectScope, PresenceFieldPaths } from '@collabblocks/protocol';

import type { Notice } from '../data/common';
import type { SubtreeSelection } from '../data/tree';

import type { PodConnection } from '../stream/podConnection';
import type { StreamEvent } from '../stream/types';

/** Everything a query runner needs (template variables already replaced). */
export interface RunContext {
  refId: string;
  /** Response key (unique per target of a request). */
  key: string;
  room: string;
  /** Pod filter (name or URL); '' = every pod. */
  pod: string;
  conns: PodConnection[];
  /** Scope the tokens currently grant (content only for Editors/Admins with a content key). */
  scope: () => InspectScope;
  maxDataPoints?: number;
  fromMs: number;
  toMs: number;
  gridSize: number;
  at: string;
  /** historyTree: replay through this instant ('' = no replay). */
  through: string;
  filter: string;
  /** tree / historyTree: the subtree root (validated, '' = the whole document). */
  rootPath: string;
  /** tree / historyTree: levels kept below the subtree root (undefined = all). */
  maxDepth: number | undefined;
  /** One-shot deadline (ms). */
  timeoutMs: number;
  /** Deadline of a historyTree query with a replay (ms); its first message still within `timeoutMs`. */
  replayTimeoutMs: number;
  /** Minimum interval between two emissions of a live query (ms). */
  throttleMs: number;
  /** documentHeatmap: what each cell counts (carets, or edits joined with blocks). */
  heatmapMeasure: 'presence' | 'edits';
  /** documentHeatmap: time bucket width (ms), resolved from the query's `bucketSeconds` and range. */
  heatmapBucketMs: number;
  /** presence kinds: field paths sent on the presence subscription (validated by `prepareRun`). */
  presenceFields?: PresenceFieldPaths;
}

/** The query's subtree selection (tree / historyTree; rootPath already validated). */
export function selectionOf(ctx: Pick<RunContext, 'rootPath' | 'maxDepth'>): SubtreeSelection {
  return { rootPath: ctx.rootPath, ...(ctx.maxDepth !== undefined ? { maxDepth: ctx.maxDepth } : {}) };
}

export function podMatches(ctx: Pick<RunContext, 'pod'>, conn: PodConnection, eventPod?: string): boolean {
  if (!ctx.pod) return true;
  return conn.url === ctx.pod || conn.podName === ctx.pod || eventPod === ctx.pod;
}

/**
 * Puts `notices` into the first frame's `meta.notices` (replacing what an earlier emission left there;
 * duplicates removed); with no frame, an empty frame of the query carries them. Frames are copied
 * shallowly, never mutated (live windows are reused between emissions).
 */
export function withNotices(refId: string, frames: DataFrame[], notices: readonly Notice[]): DataFrame[] {
  const seen = new Set<string>();
  const unique = notices.filter((n) => {
    const k = `${n.severity}\u0000${n.text}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const [first, ...rest] = frames;
  if (!first) {
    return unique.length ? [createDataFrame({ refId, fields: [], meta: { notices: unique } })] : [];
  }
  if (!unique.length && !first.meta?.notices) return frames;
  const meta = { ...first.meta };
  if (unique.length) meta.notices = unique;
  else delete meta.notices;
  return [{ ...first, meta }, ...rest];
}

/**
 * A response of the query: `errors` are failures (shown as the panel's error), `notices` are non-fatal
 * and go into the first frame's `meta.notices` (see withNotices).
 */
export function response(
  ctx: Pick<RunContext, 'key' | 'refId'>,
  state: LoadingState,
  data: DataFrame[],
  errors: string[] = [],
  notices: readonly Notice[] = []
): DataQueryResponse {
  const errs: DataQueryError[] = errors.map((message) => ({ message, refId: ctx.refId }));
  return {
    key: ctx.key,
    state,
    data: withNotices(ctx.refId, data, notices),
    ...(errs.length ? { errors: errs, error: errs[0] } : {}),
  };
}

export function errorResponse(ctx: Pick<RunContext, 'key' | 'refId'>, message: string): DataQueryResponse {
  return response(ctx, LoadingState.Error, [], [message]);
}

/** A readable line for an error event. */
export function describeError(ev: Extract<StreamEvent, { type: 'error' }>): string {
  return `${ev.pod}: ${ev.message}${ev.code && !ev.message.includes(ev.code) ? ` (${ev.code})` : ''}`;
}

export function matchesFilter(filter: string, ...texts: string[]): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return texts.some((t) => t.toLowerCase().includes(f));
}
