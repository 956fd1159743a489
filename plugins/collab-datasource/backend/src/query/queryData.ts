/**
 * QueryData: every query of the request through the runner table (src/query/runners.ts), the same runners
 * the browser used. One-shot kinds answer with their final frames. Live kinds answer with a snapshot (what
 * the pods sent within a short settle window — enough for alert rules: presence, tree, metrics) and the
 * frame's `meta.channel` = `ds/<uid>/<path>`, which Grafana Live then streams through RunStream.
 * Each query fails on its own (status + error), never the request or the process.
 */
import { type Observable, type Subscription } from 'rxjs';
import { createDataFrame, type DataFrame, type DataQueryResponse } from '@grafana/data';
import { errorMessage, type InspectScope } from '@collabblocks/protocol';

import { docHeatmapBucketMs } from '../../../src/data/docHeatmap';
import { numericView } from '../../../src/data/numeric';
import { annotationsQuery, prepareRun, type QueryKind, runnerOf } from '../../../src/query/runners';
import { ANNOTATIONS_QUERY_TYPE } from '../../../src/types';
import { frameToArrow } from '../frames/arrow';
import { mergeFrames } from '../frames/merge';
import type { DataQuery, DataResponse, QueryDataRequest, QueryDataResponse } from '../grpc/messages';
import { type Instance, type Instances, scopeOfRole } from '../pods/instance';
import { checkRoomOrg, OrgRefused } from '../pods/orgGuard';
import { channelPath, MAX_CHANNEL_PATH } from '../stream/channel';
import { type ContextOptions, runContext } from './context';

export interface QueryDataOptions extends ContextOptions {
  /** Live kinds: answer this long after the first data from the pods (default 150 ms: every pod's snapshot)… */
  settleMs?: number;
  /** …or at this deadline (default 3 s). */
  snapshotTimeoutMs?: number;
  /** One-shot kinds: the whole query's deadline (default 30 s). */
  queryTimeoutMs?: number;
}

export async function queryData(
  req: QueryDataRequest,
  instances: Instances,
  opts: QueryDataOptions = {}
): Promise<QueryDataResponse> {
  const responses: Record<string, DataResponse> = {};
  let instance: Instance;
  try {
    instance = instances.of(req.pluginContext);
  } catch (err) {
    for (const q of req.queries) responses[q.refId] = failure(400, errorMessage(err));
    return { responses };
  }
  const scope = scopeOfRole(req.pluginContext?.user?.role);
  await Promise.all(
    req.queries.map(async (q) => {
      try {
        responses[q.refId] = await runQuery(q, instance, scope, opts);
      } catch (err) {
        responses[q.refId] = failure(500, errorMessage(err));
      }
    })
  );
  return { responses };
}

function failure(status: number, error: string): DataResponse {
  return { frames: [], error, status, errorSource: status < 500 ? 'downstream' : 'plugin' };
}

function readQuery(q: DataQuery): Record<string, unknown> {
  const text = q.json?.length ? q.json.toString('utf8') : '{}';
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new QueryError(`malformed query JSON: ${errorMessage(err).slice(0, 200)}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new QueryError('the query JSON must be an object');
  return raw as Record<string, unknown>;
}

class QueryError extends Error {}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

async function runQuery(
  q: DataQuery,
  instance: Instance,
  scope: InspectScope,
  opts: QueryDataOptions
): Promise<DataResponse> {
  let model: Record<string, unknown>;
  try {
    model = readQuery(q);
  } catch (err) {
    return failure(400, errorMessage(err));
  }
  const kind = str(model.queryType) || q.queryType || 'rooms';
  const runner = runnerOf(kind);
  if (!runner) return failure(400, `unknown query type "${kind.slice(0, 40)}"`);
  const now = Date.now();
  const gridSize = Number(model.gridSize ?? 20);
  const fromMs = q.timeRange?.fromEpochMS || now - 3_600_000;
  const toMs = q.timeRange?.toEpochMS || now;
  const ctx = runContext(
    instance,
    scope,
    {
      refId: q.refId,
      room: str(model.room).trim(),
      pod: str(model.pod).trim(),
      gridSize: Number.isFinite(gridSize) ? gridSize : 20,
      at: str(model.at),
      through: str(model.through),
      filter: str(model.filter),
      fromMs,
      toMs,
      ...(q.maxDataPoints > 0 ? { maxDataPoints: q.maxDataPoints } : {}),
      heatmapMeasure: model.heatmapMeasure === 'edits' ? 'edits' : 'presence',
      heatmapBucketMs: docHeatmapBucketMs(model.bucketSeconds, fromMs, toMs),
    },
    { throttleMs: 50, ...opts }
  );
  const problem = prepareRun(runner, ctx, {
    rootPath: str(model.rootPath),
    maxDepth: model.maxDepth,
    presenceFields: model.presenceFields,
  });
  if (problem) return failure(400, problem);
  if (instance.config.podUrls.length === 0) return failure(400, 'no pod URL configured for this datasource');
  // Tenancy: a room of another org than the key's is refused before any pod is asked (rooms reads no
  // room: its `room` is a name filter, and the pods list only the key's org).
  if (ctx.room && kind !== 'rooms') {
    try {
      await checkRoomOrg(instance, scope, ctx.room);
    } catch (err) {
      if (!(err instanceof OrgRefused)) throw err;
      return failure(err.reason === 'no_token' ? 502 : 403, err.message);
    }
  }

  const measure = str(model.measure).trim();
  if (kind === ANNOTATIONS_QUERY_TYPE) {
    // A live log asked for as a one-shot: answered at once from the instance's recording (started now if none).
    const frame = instance.annotations.frame(
      `${scope}\u0000${ctx.room}`,
      (log) => annotationsQuery(ctx, log),
      q.refId,
      { fromMs, toMs }
    );
    return toDataResponse({ data: [frame] });
  }
  if (!runner.live) {
    const last = await lastOf(runner.run(ctx), opts.queryTimeoutMs ?? 30_000);
    return measure ? numericResponse(last, measure) : toDataResponse(last);
  }
  const snap = await settled(runner.run(ctx), opts.settleMs ?? 150, opts.snapshotTimeoutMs ?? 3000);
  // A numeric view is for alert rules: the snapshot only, no channel.
  if (measure) return numericResponse(snap, measure);
  const uid = instance.config.uid;
  const path = channelPath({
    // The scope the key granted (an Editor's content request falls back to metadata with a metadata-only
    // key): a channel never claims more than its token, and SubscribeStream refuses one that does.
    scope: ctx.scope(),
    kind: kind as QueryKind,
    params: {
      room: ctx.room,
      pod: ctx.pod,
      gridSize: ctx.gridSize,
      filter: ctx.filter,
      rootPath: ctx.rootPath,
      ...(ctx.maxDepth !== undefined ? { maxDepth: ctx.maxDepth } : {}),
      ...(ctx.maxDataPoints !== undefined ? { maxDataPoints: ctx.maxDataPoints } : {}),
      heatmapMeasure: ctx.heatmapMeasure,
      heatmapBucketMs: ctx.heatmapBucketMs,
      ...(ctx.presenceFields ? { presenceFields: ctx.presenceFields } : {}),
    },
  });
  if (path.length > MAX_CHANNEL_PATH) {
    return failure(
      400,
      'the query is too long for a live channel (text filter, subtree path and presence field paths together): shorten them'
    );
  }
  return toDataResponse(snap, { refId: q.refId, channel: `ds/${uid}/${path}` });
}

/** The last response of a runner that completes (one-shot kinds), or an error at the deadline. */
function lastOf(obs: Observable<DataQueryResponse>, timeoutMs: number): Promise<DataQueryResponse | null> {
  return new Promise((resolve) => {
    let last: DataQueryResponse | null = null;
    let sub: Subscription | null = null;
    const timer = setTimeout(() => {
      sub?.unsubscribe();
      resolve(last ?? { data: [], errors: [{ message: `no answer within ${timeoutMs} ms` }] });
    }, timeoutMs);
    sub = obs.subscribe({
      next: (r) => (last = r),
      error: (err: unknown) => {
        clearTimeout(timer);
        resolve({ data: [], errors: [{ message: errorMessage(err) }] });
      },
      complete: () => {
        clearTimeout(timer);
        resolve(last);
      },
    });
  });
}

/**
 * A live runner's state `settleMs` after its first emission with pod data (the other pods' snapshots arrive
 * within that window; a stream that keeps moving does not delay it), or at the deadline; then unsubscribes.
 */
function settled(
  obs: Observable<DataQueryResponse>,
  settleMs: number,
  deadlineMs: number
): Promise<DataQueryResponse | null> {
  return new Promise((resolve) => {
    let last: DataQueryResponse | null = null;
    let quiet: ReturnType<typeof setTimeout> | null = null;
    let done = false;
    let sub: Subscription | null = null;
    const finish = () => {
      if (done) return;
      done = true;
      if (quiet) clearTimeout(quiet);
      clearTimeout(deadline);
      // Unsubscribe after the current emission has returned (subscribe may not have returned yet).
      queueMicrotask(() => sub?.unsubscribe());
      resolve(last);
    };
    const deadline = setTimeout(finish, deadlineMs);
    let emissions = 0;
    sub = obs.subscribe({
      next: (r) => {
        last = r;
        emissions += 1;
        // The first emission is the empty "live" frame: wait for what the pods send.
        if (emissions < 2 || quiet) return;
        quiet = setTimeout(finish, settleMs);
      },
      error: () => finish(),
      complete: () => finish(),
    });
    if (done) sub.unsubscribe();
  });
}

function withChannel(frames: DataFrame[], refId: string, channel: string): DataFrame[] {
  const [first, ...rest] = frames;
  if (!first) return [createDataFrame({ refId, fields: [], meta: { channel } })];
  return [{ ...first, meta: { ...first.meta, channel } }, ...rest];
}

/** The response with each frame in its numeric view (query field `measure`, src/data/numeric.ts). */
function numericResponse(r: DataQueryResponse | null, measure: string): DataResponse {
  if (!r) return toDataResponse(r);
  try {
    return toDataResponse({ ...r, data: (r.data as DataFrame[]).map((f) => numericView(f, measure)) });
  } catch (err) {
    return failure(400, errorMessage(err));
  }
}

/** A runner's response as a DataResponse (frames in Arrow); `live`: set the frame's Grafana Live channel. */
export function toDataResponse(
  r: DataQueryResponse | null,
  live?: { refId: string; channel: string }
): DataResponse {
  if (!r) return failure(504, 'the query produced no answer');
  const errors = (r.errors ?? (r.error ? [r.error] : [])).map((e) => e.message ?? 'error');
  const data = r.data as DataFrame[];
  // A live frame is what the channel's packets then replace: the same merged view (frames/merge.ts).
  const frames = live ? withChannel(mergeFrames(data), live.refId, live.channel) : data;
  return {
    frames: frames.map((f) => Buffer.from(frameToArrow(f))),
    error: errors.join('; '),
    status: errors.length && r.state === 'Error' ? 500 : 200,
    errorSource: errors.length ? 'downstream' : '',
  };
}
