/**
 * History from storage: pages of the timestamped update log, and the document
 * as it was at an instant T, rebuilt on a scratch doc from the newest snapshot
 * at or before T plus the log entries up to T. The live document is never
 * touched (no gc toggling, no retyping).
 */
import * as Y from 'yjs';
import { INSPECT_LIMITS, type TreeNode, type UpdateSummary } from '@collabblocks/protocol';
import type { Storage, StoredUpdate } from '../storage/types.js';
import { walkDoc, type WalkContext } from './treeWalk.js';
import { summarizeUpdate } from './updateSummary.js';

export class HistoryError extends Error {
  constructor(
    readonly code: 'range_invalid' | 'range_too_large' | 'storage_error',
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
  storage: Storage,
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

/** Current state of a room from storage (for rooms not loaded on this pod). */
export async function loadStoredDoc(storage: Storage, room: string): Promise<Y.Doc> {
  const loaded = await guard(storage.load(room));
  const doc = new Y.Doc();
  if (loaded.snapshot) Y.applyUpdate(doc, loaded.snapshot.state);
  for (const u of loaded.updates) Y.applyUpdate(doc, u.update);
  return doc;
}

/** Update summaries of log entries, paths resolved against `doc` (a doc containing them). */
export function summarizeStored(entries: StoredUpdate[], doc: Y.Doc, withPreview: boolean): UpdateSummary[] {
  return entries.map((e) => {
    const d = summarizeUpdate(e.update, doc, withPreview);
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
    if (withPreview) s.preview = d.preview;
    return s;
  });
}

export interface DocAtResult {
  doc: Y.Doc;
  /** Last seq applied (0 when none). */
  seq: number;
  seqTs: number;
  clientTimes: Map<number, number>;
}

/** Rebuilds the document as it was at `at` on a scratch doc. */
export async function rebuildDocAt(storage: Storage, room: string, at: number): Promise<DocAtResult> {
  const doc = new Y.Doc();
  const clientTimes = new Map<number, number>();
  const snap = await guard(storage.snapshotAtOrBefore(room, at));
  let seq = 0;
  let seqTs = 0;
  if (snap) {
    Y.applyUpdate(doc, snap.state);
    seq = snap.seq;
    seqTs = snap.ts;
  }
  let replayed = 0;
  for (;;) {
    const page = await guard(storage.readAfter(room, seq, REPLAY_PAGE));
    let done = page.length < REPLAY_PAGE;
    for (const u of page) {
      if (u.ts > at) {
        done = true;
        break;
      }
      Y.applyUpdate(doc, u.update);
      seq = u.seq;
      seqTs = u.ts;
      if (u.clientId) clientTimes.set(u.clientId, u.ts);
      replayed++;
    }
    if (done) break;
    if (replayed >= MAX_REPLAY_ENTRIES) {
      doc.destroy();
      throw new HistoryError(
        'range_too_large',
        `more than ${MAX_REPLAY_ENTRIES} updates between the nearest snapshot and the requested instant`
      );
    }
  }
  return { doc, seq, seqTs, clientTimes };
}

/** The tree of a rebuilt doc (pre-order). */
export function treeOf(doc: Y.Doc, clientTimes: Map<number, number>): TreeNode[] {
  const ctx: WalkContext = { clientTime: (c) => clientTimes.get(c), lastChange: new WeakMap() };
  const out: TreeNode[] = [];
  for (const w of walkDoc(doc, ctx)) out.push(w.node);
  return out;
}
