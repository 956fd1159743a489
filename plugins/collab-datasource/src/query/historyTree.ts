/**
 * historyTree: the document tree at an instant `at` (one-shot), and with `through` also the replay of
 * every logged update after it through that instant (a `treeSteps` frame), so a panel can show the
 * exact document at every update of a past range.
 */
import { Observable } from 'rxjs';
import { type DataFrame, type DataQueryResponse, LoadingState } from '@grafana/data';
import {
  FRAME_LIMITS,
  INSPECT_LIMITS,
  type HistoryTreeStep,
  type InspectServerMessage,
} from '@collabblocks/protocol';

import { infoNotice, type Notice, truncatedNotice, warningNotice } from '../data/common';
import { buildTreeFrame, type SubtreeSelection, TreeState } from '../data/tree';
import { buildTreeStepsFrame, selectSteps, stepRowCount } from '../data/treeSteps';
import type { PodConnection } from '../stream/podConnection';
import { response, type RunContext, selectionOf } from './context';
import { collect, type Deadline, deadlineIn, oneShot } from './oneShot';

/**
 * Deadline of a historyTree query with a replay. The base tree is the same work as a plain historyTree
 * query, so its first chunk must still arrive within the one-shot deadline (5 s): a silent pod fails as
 * fast as before. The replay itself is bounded by the pod (at most INSPECT_LIMITS.maxHistorySteps
 * updates, each applied to a scratch doc and diffed) and by our row cap. Measured: 5,000 updates on a
 * 200-node document take 1.5–2.8 s end to end on a loaded 2-core machine (src/integration/replayBench.test.ts);
 * bigger documents cost more per step, so the whole answer gets 30 s — ample for a 5,000-update replay,
 * short enough that a panel never hangs on a pod that stalls mid-answer.
 */
export const REPLAY_TIMEOUT_MS = 30_000;

/** Parses an instant (`at` / `through`): epoch ms, ISO time, or '' (→ fallback). */
export function parseInstant(text: string, fallback: number, name = 'at'): number {
  const t = text.trim();
  if (t === '') return fallback;
  const parsed = /^\d+(\.\d+)?$/.test(t) ? Math.floor(Number(t)) : Date.parse(t);
  if (!Number.isFinite(parsed))
    throw new Error(`"${name}" must be an ISO time or epoch milliseconds, got "${t.slice(0, 40)}"`);
  return parsed;
}

/** The request window: base instant, replay end (undefined = no replay) and notices about clamping. */
export function replayWindow(ctx: Pick<RunContext, 'at' | 'through' | 'fromMs' | 'toMs'>): {
  at: number;
  toTs: number | undefined;
  notices: Notice[];
} {
  const replay = ctx.through.trim() !== '';
  // With a replay, an empty "at" means the start of the dashboard range (replay the whole range);
  // without one, the end (the document as it is at the end of the range).
  const at = Math.max(0, parseInstant(ctx.at, Math.floor(replay ? ctx.fromMs : ctx.toMs)));
  if (!replay) return { at, toTs: undefined, notices: [] };
  let toTs = parseInstant(ctx.through, Math.floor(ctx.toMs), 'through');
  const notices: Notice[] = [];
  if (toTs < at) {
    toTs = at;
    notices.push(warningNotice('history tree: "through" is before "at"; no update is replayed'));
  } else if (toTs - at > INSPECT_LIMITS.maxHistorySpanMs) {
    toTs = at + INSPECT_LIMITS.maxHistorySpanMs;
    notices.push(
      warningNotice(
        'history tree: the replay range is wider than 24 h; only the first 24 h after "at" are replayed'
      )
    );
  }
  return { at, toTs, notices };
}

interface PodAnswer {
  pod: string;
  tree: TreeState;
  /** Last log seq in the base tree. */
  seq: number;
  steps: HistoryTreeStep[];
  /** The pod replayed fewer updates than the range holds. */
  podTruncated: boolean;
  /** We stopped reading because the steps already exceed the row cap. */
  cut: boolean;
}

async function fetchTree(
  conn: PodConnection,
  room: string,
  at: number,
  toTs: number | undefined,
  deadline: Deadline,
  firstBy: Deadline,
  signal: AbortSignal,
  sel: SubtreeSelection
): Promise<PodAnswer> {
  let rows = 0;
  let cut = false;
  // Without a replay the last base chunk ends the answer; with one, the last steps message does —
  // or the row cap: steps past it would be dropped anyway, so reading stops there (bounded buffer).
  // Rows are counted after the subtree selection (the cap applies to what the frame holds).
  const isLast = (m: InspectServerMessage): boolean => {
    if (toTs === undefined) return m.type === 'historyTree' && m.last;
    if (m.type !== 'historyTreeSteps') return false;
    if (m.last) return true;
    for (const s of selectSteps(m.steps, sel)) rows += stepRowCount(s);
    cut = rows > FRAME_LIMITS.maxRows;
    return cut;
  };
  const res = await collect(
    conn.request({ type: 'historyTree', room, at, ...(toTs !== undefined ? { toTs } : {}) }),
    isLast,
    (m) => m.type === 'historyTree' || (toTs !== undefined && m.type === 'historyTreeSteps'),
    deadline,
    signal,
    { firstBy }
  );
  const tree = new TreeState();
  const steps: HistoryTreeStep[] = [];
  let seq = 0;
  let podTruncated = false;
  let baseComplete = false;
  for (const m of res.msgs) {
    if (m.type === 'historyTree') {
      if (m.chunk === 0) seq = m.seq;
      tree.applySnapshot({ ...m, ts: at });
      baseComplete ||= m.last;
    } else if (m.type === 'historyTreeSteps') {
      steps.push(...selectSteps(m.steps, sel));
      if (m.last) podTruncated = m.truncated;
    }
  }
  if (!baseComplete) throw new Error(`${res.pod}: replay steps arrived before the tree at "at" was complete`);
  return { pod: res.pod, tree, seq, steps, podTruncated, cut };
}

function buildFrames(
  ctx: RunContext,
  at: number,
  toTs: number | undefined,
  results: Array<{ value: PodAnswer }>
): { frames: DataFrame[]; notices: Notice[] } {
  // Pods with their own storage may know more of the log: show the most complete answer. Pods sharing
  // one storage answer identically; then any is fine.
  const best = results
    .map((r) => r.value)
    .sort((a, b) => b.seq - a.seq || b.steps.length - a.steps.length || b.tree.total - a.tree.total)[0];
  if (!best) return { frames: [], notices: [] };
  const scope = ctx.scope();
  const sel = selectionOf(ctx);
  const { nodes, rootFound } = best.tree.select(sel);
  const base = buildTreeFrame(nodes, {
    refId: ctx.refId,
    kind: 'historyTree',
    room: ctx.room,
    pod: best.pod,
    ts: at,
    seq: best.seq,
    complete: true,
    scope,
    subtree: { ...sel, rootFound },
  });
  const notices: Notice[] =
    base.truncated > 0 ? [truncatedNotice('history tree', nodes.length, FRAME_LIMITS.maxRows)] : [];
  if (!rootFound) {
    notices.push(
      infoNotice(
        `history tree: no node at "${sel.rootPath}" at ${new Date(at).toISOString()}` +
          (toTs !== undefined ? ' — the steps show it if it was created later in the range' : '') +
          '; check the root path'
      )
    );
  }
  if (toTs === undefined) return { frames: [base.frame], notices };
  const built = buildTreeStepsFrame(best.steps, {
    refId: ctx.refId,
    room: ctx.room,
    pod: best.pod,
    from: at,
    to: toTs,
    truncated: best.podTruncated,
    scope,
    subtree: sel,
  });
  if (best.podTruncated && !best.cut && built.droppedSteps === 0) {
    notices.push(
      warningNotice(
        `history tree: more updates in the range than the pod replays; only the first ${built.steps} are replayed`
      )
    );
  }
  if (best.cut || built.droppedSteps > 0) {
    notices.push(
      warningNotice(
        `tree steps: ${best.cut ? 'more than ' : ''}${built.totalRows} rows, only the first ${built.steps} updates are shown (limit ${FRAME_LIMITS.maxRows} rows per frame)`
      )
    );
  }
  return { frames: [base.frame, built.frame], notices };
}

export function historyTreeQuery(ctx: RunContext): Observable<DataQueryResponse> {
  let window: ReturnType<typeof replayWindow>;
  try {
    window = replayWindow(ctx);
  } catch (err) {
    return new Observable((s) => {
      s.next(response(ctx, LoadingState.Error, [], [(err as Error).message]));
      s.complete();
    });
  }
  const { at, toTs, notices } = window;
  const replay = toTs !== undefined;
  const firstAnswerMs = ctx.timeoutMs;
  const runCtx = replay ? { ...ctx, timeoutMs: Math.max(ctx.timeoutMs, ctx.replayTimeoutMs) } : ctx;
  return oneShot(
    runCtx,
    (conn, deadline, signal) =>
      fetchTree(conn, ctx.room, at, toTs, deadline, deadlineIn(firstAnswerMs), signal, selectionOf(ctx)),
    (results) => {
      const built = buildFrames(ctx, at, toTs, results);
      return { frames: built.frames, notices: [...notices, ...built.notices] };
    }
  );
}
