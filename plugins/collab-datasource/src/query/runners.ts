/**
 * The runner table: every query kind → the runner that answers it, with what the kind needs before it
 * runs (a room, a subtree selection) and, for live kinds, the inspect stream behind it. The datasource's
 * query dispatch and the backend's QueryData both read this one table; a new kind is one entry here.
 */
import type { Observable } from 'rxjs';
import type { DataQueryResponse } from '@grafana/data';
import { errorMessage, type InspectStream, parsePresenceFields, parseRoomName } from '@collabblocks/protocol';

import { parseMaxDepth, parseRootPath } from '../data/tree';
import { ANNOTATIONS_QUERY_TYPE, type CollabQuery } from '../types';
import { AnnotationLog } from './annotations';
import type { RunContext } from './context';
import {
  docHeatmapHandler,
  heatmapHandler,
  metricsHandler,
  presenceHandler,
  trafficHandler,
  treeHandler,
  updatesHandler,
} from './handlers';
import { historyTreeQuery } from './historyTree';
import { type LiveHandler, liveQuery } from './live';
import { historyQuery, roomsQuery } from './oneShot';
import type { StreamRequest } from '../stream/types';

/** Every kind a query can have (the dashboard query types plus annotations). */
export type QueryKind = CollabQuery['queryType'];

export interface QueryRunner {
  /** The query reads one room: `ctx.room` is a valid `<org>/<room>` before `run` is called. */
  readonly needsRoom: boolean;
  /** The query shows a document subtree: `ctx.rootPath` / `ctx.maxDepth` are read and validated first. */
  readonly subtree: boolean;
  /** Live kinds: the inspect stream that feeds them (one-shot kinds have none). */
  readonly live?: InspectStream;
  run(ctx: RunContext): Observable<DataQueryResponse>;
}

function oneShot(run: QueryRunner['run'], needsRoom: boolean, subtree = false): QueryRunner {
  return { needsRoom, subtree, run };
}

/** The presence subscription of a query: its field paths for awareness states no convention recognises. */
function presenceRequest(ctx: RunContext): StreamRequest {
  return {
    stream: 'presence',
    room: ctx.room,
    ...(ctx.presenceFields ? { presence: { fields: ctx.presenceFields } } : {}),
  };
}

function live(
  stream: InspectStream,
  handler: (ctx: RunContext) => LiveHandler,
  subtree = false
): QueryRunner {
  return {
    needsRoom: true,
    subtree,
    live: stream,
    run: (ctx) =>
      liveQuery(ctx, stream === 'presence' ? presenceRequest(ctx) : { stream, room: ctx.room }, handler(ctx)),
  };
}

/** Document heatmap (block × time): presence, plus the updates stream when it counts edits. */
const documentHeatmap: QueryRunner = {
  needsRoom: true,
  subtree: false,
  live: 'presence',
  run: (ctx) =>
    liveQuery(
      ctx,
      [
        presenceRequest(ctx),
        ...(ctx.heatmapMeasure === 'edits' ? [{ stream: 'updates' as const, room: ctx.room }] : []),
      ],
      docHeatmapHandler(ctx, ctx.heatmapMeasure, ctx.heatmapBucketMs)
    ),
};

/**
 * Annotations: joins/leaves of the room (when one is given), room loads/unloads, prunes and errors, folded
 * into `log` (the backend passes a log it keeps: query/annotationRecorder.ts).
 */
export function annotationsQuery(ctx: RunContext, log = new AnnotationLog()): Observable<DataQueryResponse> {
  const reqs = [
    { stream: 'rooms' as const },
    ...(ctx.room ? [{ stream: 'presence' as const, room: ctx.room }] : []),
  ];
  return liveQuery(ctx, reqs, {
    initialEmit: false,
    onAny: (ev) => log.onEvent(ev, ctx.room),
    onEvent: () => false,
    frames: () => [log.frame(ctx.refId)],
  });
}

export const QUERY_RUNNERS: Readonly<Record<QueryKind, QueryRunner>> = {
  rooms: oneShot(roomsQuery, false),
  [ANNOTATIONS_QUERY_TYPE]: oneShot(annotationsQuery, false),
  history: oneShot(historyQuery, true),
  historyTree: oneShot(historyTreeQuery, true, true),
  presence: live('presence', presenceHandler),
  presenceHeatmap: live('presence', heatmapHandler),
  documentHeatmap,
  tree: live('tree', treeHandler, true),
  updates: live('updates', updatesHandler),
  traffic: live('traffic', trafficHandler),
  metrics: live('metrics', metricsHandler),
};

/** The runner of `kind`, or undefined for a kind this datasource does not know (a hand-edited dashboard). */
export function runnerOf(kind: unknown): QueryRunner | undefined {
  return typeof kind === 'string' && Object.hasOwn(QUERY_RUNNERS, kind)
    ? QUERY_RUNNERS[kind as QueryKind]
    : undefined;
}

/**
 * Checks what `runner` needs of the context (a valid room; a valid subtree selection, which it sets on
 * `ctx`) once the query's fields are interpolated. Returns the problem to show, or null when it can run.
 */
export function prepareRun(
  runner: QueryRunner,
  ctx: RunContext,
  fields: { rootPath: string; maxDepth: unknown; presenceFields?: unknown }
): string | null {
  if (runner.needsRoom) {
    const parsed = parseRoomName(ctx.room);
    if (!parsed.ok) return ctx.room ? `room "${ctx.room}": ${parsed.error}` : 'choose a room (<org>/<room>)';
  }
  if (runner.live === 'presence') {
    const pf = parsePresenceFields(fields.presenceFields);
    if (!pf.ok) return pf.error;
    if (pf.value) ctx.presenceFields = pf.value;
  }
  if (runner.subtree) {
    try {
      ctx.rootPath = parseRootPath(fields.rootPath);
      ctx.maxDepth = parseMaxDepth(fields.maxDepth);
    } catch (err) {
      return errorMessage(err);
    }
  }
  return null;
}
