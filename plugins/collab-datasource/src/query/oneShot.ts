/**
 * One-shot queries (rooms, history, historyTree): ask every pod, wait at most
 * `timeoutMs` overall, answer once with LoadingState.Done (or Error when no
 * pod answered). Pods that failed or timed out are named in the errors.
 */
import { Observable } from 'rxjs';
import { type DataFrame, type DataQueryResponse, LoadingState } from '@grafana/data';
import {
  FRAME_LIMITS,
  INSPECT_LIMITS,
  type HistoryMessage,
  type InspectServerMessage,
  type RoomInfo,
} from '@collabblocks/protocol';

import { type Notice, truncatedNotice, warningNotice } from '../data/common';
import { buildUpdatesFrame, updateMatches, updateRow, type UpdateRow } from '../data/logs';
import { buildRoomsFrame } from '../data/rooms';
import type { PodConnection } from '../stream/podConnection';
import type { StreamEvent } from '../stream/types';
import { describeError, podMatches, response, type RunContext } from './context';
import { scanNewest } from './historyScan';

/**
 * A point in time a query must be answered by, with the budget it was set from: timers use `at`, error texts name
 * `ms` (the configured budget, not the time left when a step started — that varies with load).
 */
export interface Deadline {
  at: number;
  ms: number;
}

export function deadlineIn(ms: number): Deadline {
  return { at: Date.now() + ms, ms };
}

/** A deadline passed; `detail` (when set) replaces the default "no answer within … ms". */
export class TimeoutError extends Error {
  constructor(readonly detail?: string) {
    super(detail ?? 'timeout');
  }
}

/**
 * Subscribes `source` and resolves with the messages up to and including the
 * one `isLast` accepts. Rejects on a fatal error event, on abort and at the deadline.
 * `firstBy`: the first accepted message must arrive by then (a long `deadline` for a big answer
 * must not make a silent pod take that long to fail).
 */
export function collect(
  source: Observable<StreamEvent>,
  isLast: (msg: InspectServerMessage) => boolean,
  accept: (msg: InspectServerMessage) => boolean,
  deadline: Deadline,
  signal: AbortSignal,
  opts: { firstBy?: Deadline } = {}
): Promise<{ pod: string; msgs: InspectServerMessage[] }> {
  return new Promise((resolve, reject) => {
    const msgs: InspectServerMessage[] = [];
    let pod = '';
    let settled = false;
    const started = Date.now();
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (firstTimer) clearTimeout(firstTimer);
      signal.removeEventListener('abort', onAbort);
      // Unsubscribe after the current emission has been handled.
      queueMicrotask(() => sub.unsubscribe());
      fn();
    };
    const onAbort = (): void => finish(() => reject(new Error('aborted')));
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new TimeoutError(
              msgs.length > 0
                ? `answer incomplete after ${deadline.ms} ms (${msgs.length} messages received)`
                : undefined
            )
          )
        ),
      Math.max(0, deadline.at - started)
    );
    const firstBy = opts.firstBy;
    const firstTimer =
      firstBy !== undefined && firstBy.at < deadline.at
        ? setTimeout(
            () => {
              if (msgs.length === 0)
                finish(() => reject(new TimeoutError(`no answer within ${firstBy.ms} ms`)));
            },
            Math.max(0, firstBy.at - started)
          )
        : undefined;
    signal.addEventListener('abort', onAbort);
    const sub = source.subscribe((ev) => {
      pod = ev.pod;
      if (ev.type === 'error') {
        finish(() => reject(new Error(describeError(ev))));
        return;
      }
      if (ev.type !== 'message' || !accept(ev.msg)) return;
      msgs.push(ev.msg);
      if (isLast(ev.msg)) finish(() => resolve({ pod, msgs }));
    });
    if (settled) sub.unsubscribe();
  });
}

function timeoutText(conn: PodConnection, err: unknown, timeoutMs: number): string {
  if (err instanceof TimeoutError)
    return `${conn.podName}: ${err.detail ?? `no answer within ${timeoutMs} ms`}`;
  return (err as Error)?.message ?? String(err);
}

/** Runs `work` per pod in parallel under one deadline (`ctx.timeoutMs`); one response at the end. */
export function oneShot<T extends { pod: string }>(
  ctx: RunContext,
  work: (conn: PodConnection, deadline: Deadline, signal: AbortSignal) => Promise<T>,
  build: (results: Array<{ conn: PodConnection; value: T }>) => { frames: DataFrame[]; notices: Notice[] }
): Observable<DataQueryResponse> {
  return new Observable<DataQueryResponse>((subscriber) => {
    const ac = new AbortController();
    const conns = ctx.conns.filter((c) => podMatches(ctx, c));
    const targets = conns.length > 0 || !ctx.pod ? conns : ctx.conns;
    if (targets.length === 0) {
      subscriber.next(response(ctx, LoadingState.Error, [], ['no pod URL configured for this datasource']));
      subscriber.complete();
      return undefined;
    }
    subscriber.next(response(ctx, LoadingState.Loading, []));
    const deadline = deadlineIn(ctx.timeoutMs);
    void Promise.allSettled(targets.map((c) => work(c, deadline, ac.signal))).then((settled) => {
      if (ac.signal.aborted) return;
      const ok: Array<{ conn: PodConnection; value: T }> = [];
      const errors: string[] = [];
      settled.forEach((s, i) => {
        const conn = targets[i] as PodConnection;
        if (s.status === 'fulfilled') {
          // A pod filter by name can only be applied once the pod has said its name.
          if (!ctx.pod || conn.url === ctx.pod || s.value.pod === ctx.pod) ok.push({ conn, value: s.value });
        } else if (!ctx.pod || conns.includes(conn)) {
          errors.push(timeoutText(conn, s.reason, ctx.timeoutMs));
        }
      });
      let built: { frames: DataFrame[]; notices: Notice[] };
      try {
        built = build(ok);
      } catch (err) {
        subscriber.next(response(ctx, LoadingState.Error, [], [(err as Error).message]));
        subscriber.complete();
        return;
      }
      if (ok.length === 0 && errors.length === 0) errors.push(`no pod named "${ctx.pod}" answered`);
      const state = ok.length === 0 ? LoadingState.Error : LoadingState.Done;
      subscriber.next(response(ctx, state, built.frames, errors, built.notices));
      subscriber.complete();
    });
    return () => ac.abort();
  });
}

/** Rooms of every pod: the first `rooms` message of a rooms subscription. */
export function fetchRooms(
  conn: PodConnection,
  deadline: Deadline,
  signal: AbortSignal
): Promise<{ pod: string; rooms: RoomInfo[] }> {
  return collect(
    conn.stream({ stream: 'rooms' }),
    (m) => m.type === 'rooms',
    (m) => m.type === 'rooms',
    deadline,
    signal
  ).then(({ pod, msgs }) => {
    const m = msgs[msgs.length - 1];
    return { pod, rooms: m?.type === 'rooms' ? m.rooms : [] };
  });
}

export function roomsQuery(ctx: RunContext): Observable<DataQueryResponse> {
  return oneShot(ctx, fetchRooms, (results) => {
    const filter = ctx.room ? ctx.room.toLowerCase() : '';
    const pods = results.map(({ value }) => ({
      pod: value.pod,
      rooms: filter ? value.rooms.filter((r) => r.room.toLowerCase().includes(filter)) : value.rooms,
    }));
    const { frame, truncated } = buildRoomsFrame(pods, ctx.refId);
    const total = pods.reduce((n, p) => n + p.rooms.length, 0);
    return {
      frames: [frame],
      notices: truncated > 0 ? [truncatedNotice('rooms', total, FRAME_LIMITS.maxRows)] : [],
    };
  });
}

/** History: most page requests per pod per query (the pod runs one history request per session at a time). */
export const HISTORY_MAX_REQUESTS = 16;

export function historyQuery(ctx: RunContext): Observable<DataQueryResponse> {
  let toTs = Math.floor(ctx.toMs);
  let fromTs = Math.floor(ctx.fromMs);
  const notices: Notice[] = [];
  if (toTs - fromTs > INSPECT_LIMITS.maxHistorySpanMs) {
    fromTs = toTs - INSPECT_LIMITS.maxHistorySpanMs;
    notices.push(
      warningNotice('history: the time range is wider than 24 h; only the last 24 h of it are shown')
    );
  }
  if (fromTs < 0) fromTs = 0;
  if (toTs < fromTs) toTs = fromTs;
  const cap = FRAME_LIMITS.maxRows;
  const filter = ctx.filter;
  // Leave time to build the answer: no new page request this close to the deadline.
  const reserveMs = Math.min(1000, ctx.timeoutMs / 4);
  return oneShot(
    ctx,
    async (conn, deadline, signal) => {
      let pod = conn.podName;
      const scan = await scanNewest(
        async (lo, hi, afterSeq) => {
          const res = await collect(
            conn.request({
              type: 'history',
              room: ctx.room,
              fromTs: lo,
              toTs: hi,
              limit: INSPECT_LIMITS.maxHistoryEntries,
              ...(afterSeq !== undefined ? { afterSeq } : {}),
            }),
            (m) => m.type === 'history',
            (m) => m.type === 'history',
            deadline,
            signal
          );
          pod = res.pod;
          const page = res.msgs[0] as HistoryMessage;
          return { entries: page.entries, nextAfterSeq: page.nextAfterSeq };
        },
        {
          fromTs,
          toTs,
          cap,
          pageSize: INSPECT_LIMITS.maxHistoryEntries,
          maxRequests: HISTORY_MAX_REQUESTS,
          accept: (e) => updateMatches(filter, e),
          outOfTime: () => Date.now() > deadline.at - reserveMs,
        }
      );
      return { pod, scan };
    },
    (results) => {
      const scope = ctx.scope();
      const seen = new Set<string>();
      const rows: UpdateRow[] = [];
      let more = false;
      // The latest instant before which some pod did not search (0 = every pod searched the whole range).
      let unsearchedBefore = 0;
      let scanned = 0;
      for (const { value } of results) {
        const { scan } = value;
        more ||= scan.more;
        scanned = Math.max(scanned, scan.scanned);
        if (!scan.complete && !scan.more && !scan.stoppedBy)
          unsearchedBefore = Math.max(unsearchedBefore, scan.searchedFrom);
        if (scan.stoppedBy) {
          notices.push(
            warningNotice(
              `history: ${value.pod} stopped answering (${scan.stoppedBy}); updates before ${iso(scan.searchedFrom)} were not searched there`
            )
          );
        }
        for (const e of scan.entries) {
          // Pods sharing one storage return the same log: keep each seq once.
          const k = e.seq !== undefined ? `seq:${e.seq}` : `${value.pod}:${e.ts}:${e.clientId}:${e.bytes}`;
          if (seen.has(k)) continue;
          seen.add(k);
          rows.push(updateRow(value.pod, ctx.room, e, scope));
        }
      }
      rows.sort(
        (a, b) =>
          (a.timestamp as number) - (b.timestamp as number) ||
          ((a.seq as number | null) ?? 0) - ((b.seq as number | null) ?? 0)
      );
      // Keep the NEWEST rows: a dashboard looks at the end of its range.
      const kept = rows.length > cap ? rows.slice(rows.length - cap) : rows;
      more ||= rows.length > cap;
      const what = filter ? `updates match "${filter.slice(0, 40)}"` : 'updates are in the range';
      if (more) {
        notices.push(
          warningNotice(
            `history: more than ${cap} ${what}; the newest ${cap} are shown (from ${iso(kept[0]?.timestamp as number)}) — ` +
              `narrow the time range${filter ? ' or the filter' : ' or add a filter'} to see earlier ones`
          )
        );
      } else if (unsearchedBefore > 0) {
        notices.push(
          warningNotice(
            `history: only updates from ${iso(unsearchedBefore)} on were searched (${scanned} read, the per-query bound); ` +
              `earlier ones in the range may be missing — narrow the time range${filter ? ' or the filter' : ''} to see them`
          )
        );
      }
      return {
        frames: [
          buildUpdatesFrame(kept, {
            refId: ctx.refId,
            kind: 'history',
            room: ctx.room,
            extra: { fromTs, toTs },
          }),
        ],
        notices,
      };
    }
  );
}

function iso(ms: number | undefined): string {
  return ms !== undefined && Number.isFinite(ms) ? new Date(ms).toISOString() : 'the start';
}
