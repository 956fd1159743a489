/**
 * History from storage: pages of the timestamped update log, and the document
 * as it was at an instant T, rebuilt on a scratch doc from the newest snapshot
 * at or before T plus the log entries up to T. The live document is never
 * touched (no gc toggling, no retyping). `TreeReplay` then replays the log
 * after that instant on the same scratch doc, one tree patch per update.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import * as Y from 'yjs';
import {
  INSPECT_LIMITS,
  parentPath,
  type HistoryTreeStep,
  type TreeNode,
  type UpdateSummary,
} from '@collabblocks/protocol';
import type { HistoryStore, StoredUpdate } from '../../../host.js';
import { TreeTracker, type TrackerWork, type TreePatch } from '../tree/treeTracker.js';
import { walkDoc, type WalkContext } from '../tree/treeWalk.js';
import { LineIndex } from '../updates/lineIndex.js';
import { formatFields, lineFields, summarizeUpdate } from '../updates/updateSummary.js';

export class HistoryError extends Error {
  constructor(
    readonly code:
      'range_invalid' | 'range_too_large' | 'history_pruned' | 'history_unavailable' | 'storage_error',
    message: string
  ) {
    super(message);
    this.name = 'HistoryError';
  }
}

/** Most log entries replayed on top of a snapshot to rebuild one instant. */
export const MAX_REPLAY_ENTRIES = 200_000;
const REPLAY_PAGE = 2_000;

export interface HistoryPageRequest {
  room: string;
  fromTs: number;
  toTs: number;
  afterSeq?: number | undefined;
  limit?: number | undefined;
}

export function validateRange(req: HistoryPageRequest): number {
  if (!(req.fromTs <= req.toTs)) throw new HistoryError('range_invalid', 'fromTs must be <= toTs');
  if (req.toTs - req.fromTs > INSPECT_LIMITS.maxHistorySpanMs) {
    throw new HistoryError(
      'range_too_large',
      `history range spans ${req.toTs - req.fromTs} ms; at most ${INSPECT_LIMITS.maxHistorySpanMs} ms (24 h) per request`
    );
  }
  const limit = req.limit ?? INSPECT_LIMITS.defaultHistoryEntries;
  if (limit > INSPECT_LIMITS.maxHistoryEntries) {
    throw new HistoryError(
      'range_too_large',
      `limit ${limit} is above the maximum of ${INSPECT_LIMITS.maxHistoryEntries} entries per page; page with afterSeq`
    );
  }
  return limit;
}

async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw new HistoryError('storage_error', `storage read failed: ${(err as Error)?.message ?? String(err)}`);
  }
}

/** One page of raw log entries and the cursor of the next page. */
export async function readHistoryPage(
  storage: HistoryStore,
  req: HistoryPageRequest
): Promise<{ entries: StoredUpdate[]; nextAfterSeq: number | null }> {
  const limit = validateRange(req);
  let rows: StoredUpdate[];
  if (req.afterSeq === undefined) {
    rows = await guard(
      storage.readRange({ room: req.room, fromTs: req.fromTs, toTs: req.toTs, limit: limit + 1 })
    );
  } else {
    const after = await guard(storage.readAfter(req.room, req.afterSeq, limit + 1));
    rows = [];
    for (const r of after) {
      if (r.ts > req.toTs) break;
      if (r.ts >= req.fromTs) rows.push(r);
    }
  }
  const more = rows.length > limit;
  const entries = more ? rows.slice(0, limit) : rows;
  const last = entries[entries.length - 1];
  return { entries, nextAfterSeq: more && last ? last.seq : null };
}

/**
 * Current state of a room from storage (for rooms not loaded on this pod) and the highest log seq
 * folded into it (0 when the room has none).
 */
export async function loadStoredDoc(
  storage: HistoryStore,
  room: string
): Promise<{ doc: Y.Doc; seq: number }> {
  const loaded = await guard(storage.load(room));
  const doc = new Y.Doc();
  let seq = 0;
  if (loaded.snapshot) {
    Y.applyUpdate(doc, loaded.snapshot.state);
    seq = loaded.snapshot.seq;
  }
  for (const u of loaded.updates) {
    Y.applyUpdate(doc, u.update);
    seq = Math.max(seq, u.seq);
  }
  return { doc, seq };
}

/** Update summaries of log entries, paths (and Y.Text lines) resolved against `doc` (a doc containing them). */
export function summarizeStored(entries: StoredUpdate[], doc: Y.Doc, withPreview: boolean): UpdateSummary[] {
  const lineIndex = new LineIndex();
  return entries.map((e) => {
    const d = summarizeUpdate(e.update, doc, withPreview, lineIndex);
    const s: UpdateSummary = {
      seq: e.seq,
      ts: e.ts,
      clientId: e.clientId || d.clientId,
      origin: 'storage',
      bytes: e.update.byteLength,
      inserted: d.inserted,
      deleted: d.deleted,
      paths: d.paths,
    };
    if (d.pathsTruncated) s.pathsTruncated = true;
    Object.assign(s, lineFields(d));
    if (withPreview) s.preview = d.preview;
    return { ...s, ...formatFields(d, withPreview) };
  });
}

/**
 * Which logged update wrote each clock range of each client, recorded while a
 * rebuild applies the log: the exact write time of every item written after
 * the starting snapshot (items folded into the snapshot have none).
 */
export class ItemTimes {
  private readonly byClient = new Map<number, { starts: number[]; ts: number[] }>();
  /** Time of the update being applied (set before each `Y.applyUpdate`). */
  current = 0;
  private readonly onTx = (tr: Y.Transaction): void => {
    for (const [client, after] of tr.afterState) {
      const before = tr.beforeState.get(client) ?? 0;
      if (after > before) this.record(client, before, this.current);
    }
  };

  constructor(private readonly doc: Y.Doc) {
    doc.on('afterTransaction', this.onTx);
  }

  /** Clocks `from`.. of `client` were written at `ts` (a client's clocks only grow). */
  record(client: number, from: number, ts: number): void {
    let r = this.byClient.get(client);
    if (!r) {
      r = { starts: [], ts: [] };
      this.byClient.set(client, r);
    }
    const lastStart = r.starts[r.starts.length - 1];
    if (lastStart !== undefined && from <= lastStart) return;
    r.starts.push(from);
    r.ts.push(ts);
  }

  /** Write time of `client:clock`, or undefined when it predates the log replayed. */
  get(client: number, clock: number): number | undefined {
    const r = this.byClient.get(client);
    if (!r) return undefined;
    let lo = 0;
    let hi = r.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((r.starts[mid] as number) <= clock) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : r.ts[found];
  }

  close(): void {
    this.doc.off('afterTransaction', this.onTx);
    this.byClient.clear();
  }
}

export interface DocAtResult {
  doc: Y.Doc;
  /** Last seq applied (0 when none). */
  seq: number;
  seqTs: number;
  clientTimes: Map<number, number>;
  /** Write time of the items replayed from the log (keeps recording while the doc changes). */
  itemTimes: ItemTimes;
}

function prunedError(): HistoryError {
  return new HistoryError(
    'history_pruned',
    'the document at this instant is no longer retained: history older than the oldest retained ' +
      'snapshot of the room was pruned (retention, COLLAB_RETENTION_MS); ask for a later instant'
  );
}

/**
 * The log is gap-free per room and retention only removes entries a retained
 * snapshot covers, so the log after the snapshot a rebuild starts from (seq 0:
 * no snapshot, an empty document) continues at `seq + 1`. A gap means that
 * part was pruned — an instant before the oldest retained snapshot, or a prune
 * that moved past the instant during the rebuild: refuse instead of returning
 * a partial document as if it were real.
 */
function checkContiguous(prev: number, u: StoredUpdate): void {
  if (u.seq !== prev + 1) throw prunedError();
}

/** No snapshot at or before the instant and an empty log: pruned unless the room has no snapshot at all. */
async function checkEmptyLog(storage: HistoryStore, room: string): Promise<void> {
  if ((await guard(storage.snapshotAtOrBefore(room, Number.MAX_SAFE_INTEGER))) !== null) throw prunedError();
}

/**
 * Rebuilds the document as it was at `at` on a scratch doc. Throws
 * `HistoryError('history_pruned')` when `at` is before what retention kept.
 */
export async function rebuildDocAt(storage: HistoryStore, room: string, at: number): Promise<DocAtResult> {
  const snap = await guard(storage.snapshotAtOrBefore(room, at));
  let seq = snap?.seq ?? 0;
  let seqTs = snap?.ts ?? 0;
  let page = await guard(storage.readAfter(room, seq, REPLAY_PAGE));
  if (!snap && page.length === 0) await checkEmptyLog(storage, room);
  const doc = new Y.Doc();
  const clientTimes = new Map<number, number>();
  if (snap) Y.applyUpdate(doc, snap.state);
  const itemTimes = new ItemTimes(doc);
  let replayed = 0;
  try {
    for (let first = true; ; first = false) {
      if (!first) page = await guard(storage.readAfter(room, seq, REPLAY_PAGE));
      let done = page.length < REPLAY_PAGE;
      for (const u of page) {
        checkContiguous(seq, u);
        if (u.ts > at) {
          done = true;
          break;
        }
        itemTimes.current = u.ts;
        Y.applyUpdate(doc, u.update);
        seq = u.seq;
        seqTs = u.ts;
        if (u.clientId) clientTimes.set(u.clientId, u.ts);
        replayed++;
      }
      if (done) break;
      if (replayed >= MAX_REPLAY_ENTRIES) {
        throw new HistoryError(
          'range_too_large',
          `more than ${MAX_REPLAY_ENTRIES} updates between the nearest snapshot and the requested instant`
        );
      }
    }
  } catch (err) {
    itemTimes.close();
    doc.destroy();
    throw err;
  }
  return { doc, seq, seqTs, clientTimes, itemTimes };
}

/** Walk context of a rebuilt doc: exact item times when known, else the client's last logged time. */
export function historyContext(clientTimes: Map<number, number>, itemTimes?: ItemTimes): WalkContext {
  const ctx: WalkContext = { clientTime: (c) => clientTimes.get(c), lastChange: new WeakMap() };
  if (itemTimes) ctx.itemTime = (c, clock) => itemTimes.get(c, clock);
  return ctx;
}

/** The tree of a rebuilt doc (pre-order). */
export function treeOf(doc: Y.Doc, clientTimes: Map<number, number>, itemTimes?: ItemTimes): TreeNode[] {
  const ctx = historyContext(clientTimes, itemTimes);
  const out: TreeNode[] = [];
  for (const w of walkDoc(doc, ctx)) out.push(w.node);
  return out;
}

/** Validates the replay range of a historyTree request with `toTs`. */
export function validateReplayRange(at: number, toTs: number): void {
  if (!(at <= toTs)) throw new HistoryError('range_invalid', 'toTs must be >= at');
  if (toTs - at > INSPECT_LIMITS.maxHistorySpanMs) {
    throw new HistoryError(
      'range_too_large',
      `replay range spans ${toTs - at} ms; at most ${INSPECT_LIMITS.maxHistorySpanMs} ms (24 h) per request`
    );
  }
}

/** A page of replay steps (bounded by node count) and whether it is the last one. */
export interface ReplayPage {
  steps: HistoryTreeStep[];
  last: boolean;
  /** On the last page: more updates than `maxSteps` fall in the range. */
  truncated: boolean;
}

/** Synchronous work between two yields to the event loop during a replay. */
const REPLAY_SLICE_MS = 8;

/** Bounds of one replay request besides `maxSteps`. */
export interface ReplayBudget {
  /** Nodes sent in steps (added + changed + removed). */
  nodes: number;
  /** Milliseconds of replay work (event-loop time, not time spent waiting for the socket). */
  ms: number;
}

/** 2× a 100k-node document in patches, and 10 s of one core per request. */
export const REPLAY_BUDGET: ReplayBudget = { nodes: 200_000, ms: 10_000 };

/** Weight of a step for paging: nodes it carries (removed paths count too: they are bytes as well). */
export function stepWeight(s: HistoryTreeStep): number {
  return s.added.length + s.changed.length + s.removed.length;
}

/** Keeps only the top-most removed paths (removing a path removes its subtree). */
function topmost(removed: string[]): string[] {
  if (removed.length < 2) return removed;
  const all = new Set(removed);
  return removed.filter((p) => {
    for (let a = parentPath(p); a !== null && a !== ''; a = parentPath(a)) if (all.has(a)) return false;
    return true;
  });
}

/**
 * The document at `at` on a scratch doc plus a tree tracker on it: `base()` is
 * the tree at `at` (equal to `treeOf` of the rebuilt doc), `pages()` replays
 * the log after it and yields the tree patch of each update. Each update is
 * applied and flushed on its own, so two updates never merge into one step.
 *
 * Node attribution follows `treeOf` (no recorded changes; `lastTime` is the
 * write time of the node's latest item), so a node's summary changes only when
 * an update touches its type: a step is proportional to its update.
 */
export class TreeReplay {
  private patch: TreePatch | null = null;
  private closed = false;

  private constructor(
    private readonly doc: Y.Doc,
    private readonly clientTimes: Map<number, number>,
    private readonly itemTimes: ItemTimes,
    private readonly tracker: TreeTracker,
    /** Last seq folded into the base. */
    readonly seq: number,
    readonly seqTs: number
  ) {}

  /** Rebuilds the doc at `at` and builds the tree cache (time-sliced). */
  static async open(storage: HistoryStore, room: string, at: number): Promise<TreeReplay> {
    const r = await rebuildDocAt(storage, room, at);
    let replay: TreeReplay | null = null;
    const tracker = new TreeTracker(r.doc, historyContext(r.clientTimes, r.itemTimes), (p) => {
      if (replay) replay.patch = p;
    });
    tracker.recordChanges = false;
    tracker.keyedMapDiff = true;
    // Patches are taken by explicit flushes only, one per update.
    tracker.pause();
    replay = new TreeReplay(r.doc, r.clientTimes, r.itemTimes, tracker, r.seq, r.seqTs);
    try {
      await tracker.ready;
    } catch (err) {
      replay.close();
      throw err;
    }
    return replay;
  }

  /** Work counters of the tree cache (nodes summarised, flushes): the replay's cost in counts. */
  get work(): Readonly<TrackerWork> {
    return this.tracker.work;
  }

  /** The tree at `at`, pre-order. */
  base(): readonly TreeNode[] {
    return this.tracker.snapshot();
  }

  /** Applies one logged update and returns its tree patch. */
  private step(u: StoredUpdate): HistoryTreeStep {
    this.itemTimes.current = u.ts;
    Y.applyUpdate(this.doc, u.update);
    if (u.clientId) this.clientTimes.set(u.clientId, u.ts);
    this.patch = null;
    this.tracker.flush();
    const p = this.patch as TreePatch | null;
    this.patch = null;
    return {
      seq: u.seq,
      ts: u.ts,
      clientId: u.clientId,
      added: p ? p.added : [],
      changed: p ? p.changed : [],
      removed: p ? topmost(p.removed) : [],
    };
  }

  /**
   * Replays the log entries after the base, in seq order, up to the first one
   * with `ts > toTs`, at most `maxSteps`; pages hold at most `pageNodes` nodes
   * (a bigger single step goes alone). Exactly one page has `last: true`.
   * Yields the event loop every few ms of work. The work per request is also
   * bounded (`budget`: nodes sent, ms of replay work): past it the steps stop
   * early, `truncated` (the first step always goes, so a client can resume
   * from the last step's `ts`).
   */
  async *pages(
    storage: HistoryStore,
    room: string,
    toTs: number,
    maxSteps: number,
    pageNodes: number,
    budget: ReplayBudget = REPLAY_BUDGET
  ): AsyncGenerator<ReplayPage> {
    let after = this.seq;
    let count = 0;
    let truncated = false;
    let page: HistoryTreeStep[] = [];
    let weight = 0;
    let total = 0;
    let workMs = 0;
    let sliceStart = performance.now();
    read: for (;;) {
      // One row past the bound tells whether the range holds more than maxSteps.
      const want = Math.min(REPLAY_PAGE, maxSteps - count + 1);
      const rows = await guard(storage.readAfter(room, after, want));
      if (this.closed) return;
      for (const u of rows) {
        // A prune that moved past the base during the replay: stop with an error, never skip updates.
        checkContiguous(after, u);
        if (u.ts > toTs) break read;
        if (count >= maxSteps || (count > 0 && workMs + (performance.now() - sliceStart) > budget.ms)) {
          truncated = true;
          break read;
        }
        const s = this.step(u);
        const w = stepWeight(s);
        if (count > 0 && total + w > budget.nodes) {
          // Applied but not sent: a resumed request rebuilds past it anyway.
          truncated = true;
          break read;
        }
        count++;
        total += w;
        after = u.seq;
        if (page.length > 0 && weight + w > pageNodes) {
          workMs += performance.now() - sliceStart;
          yield { steps: page, last: false, truncated: false };
          if (this.closed) return;
          page = [];
          weight = 0;
          sliceStart = performance.now();
        }
        page.push(s);
        weight += w;
        if (performance.now() - sliceStart > REPLAY_SLICE_MS) {
          workMs += performance.now() - sliceStart;
          await yieldTurn();
          if (this.closed) return;
          sliceStart = performance.now();
        }
      }
      if (rows.length < want) break;
    }
    yield { steps: page, last: true, truncated };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tracker.close();
    this.itemTimes.close();
    this.doc.destroy();
  }
}
