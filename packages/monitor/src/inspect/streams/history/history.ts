/**
 * The history requests (`history`, `historyTree`): pages of the room's stored update log as
 * update summaries, and the tree as it was at an instant plus its steps up to a later one. Read
 * from the host's `HistoryStore` (`history_unavailable` without one). Rebuilding a document from
 * storage is synchronous work: at most `maxConcurrentRebuilds` at once per host (`WorkGate`), a
 * few more wait, the rest are refused (`rate_limited`). Replies wait for room in the session's
 * send queue like snapshot chunks; a page is at most `replyBytes` of JSON (the rest: next page).
 */
import { INSPECT_LIMITS, type InspectClientMessage, type UpdateSummary } from '@collabblocks/protocol';
import type { HistoryStore, MonitorHost, MonitorLogger } from '../../../host.js';
import { GateFullError, type WorkGate } from '../../session/gate.js';
import type { InspectSession } from '../../session/session.js';
import { stripValue } from '../tree/treeWalk.js';
import { HistoryError, readHistoryPage, summarizeStored, TreeReplay, validateReplayRange } from './replay.js';
import type { StoredDocs } from './storedDocs.js';

type HistoryRequest = Extract<InspectClientMessage, { type: 'history' }>;
type HistoryTreeRequest = Extract<InspectClientMessage, { type: 'historyTree' }>;

/** The longest prefix of `entries` whose JSON fits in `bytes` (at least one entry). */
function fitEntries(entries: UpdateSummary[], bytes: number): UpdateSummary[] {
  let size = 0;
  for (let i = 0; i < entries.length; i++) {
    size += JSON.stringify(entries[i]).length + 1;
    if (size > bytes && i > 0) return entries.slice(0, i);
  }
  return entries;
}

export interface HistoryRequestsOptions {
  host: MonitorHost;
  logger: MonitorLogger;
  /** Host-wide cap on documents rebuilt from storage. */
  rebuilds: WorkGate;
  /** Stored state of rooms not loaded here (shared with the tree stream); null without a store. */
  stored: StoredDocs | null;
  /** Largest `history` page, bytes of JSON. */
  replyBytes: number;
}

export class HistoryRequests {
  constructor(private readonly opts: HistoryRequestsOptions) {}

  async history(session: InspectSession, msg: HistoryRequest): Promise<void> {
    try {
      const store = this.store();
      const content = session.scope === 'content';
      const page = await readHistoryPage(store, msg);
      const live = this.opts.host.room(msg.room);
      let entries: UpdateSummary[];
      if (live) entries = summarizeStored(page.entries, live.doc, content);
      else {
        // Not loaded here: the stored state (cached briefly, reloaded when older than the page).
        const lease = await (this.opts.stored as StoredDocs).acquire(
          msg.room,
          page.entries[page.entries.length - 1]?.seq ?? 0
        );
        try {
          entries = summarizeStored(page.entries, lease.doc, content);
        } finally {
          lease.release();
        }
      }
      const fit = fitEntries(entries, this.opts.replyBytes);
      if (!(await session.outbox.waitForRoom())) return;
      // Re-authenticated down to metadata meanwhile: the session withdrew this request.
      if (content && session.scope !== 'content') return;
      session.sendControl({
        type: 'history',
        id: msg.id,
        room: msg.room,
        fromTs: msg.fromTs,
        toTs: msg.toTs,
        entries: fit,
        nextAfterSeq: fit.length < entries.length ? (fit[fit.length - 1]?.seq ?? null) : page.nextAfterSeq,
      });
    } catch (err) {
      this.failed(session, msg.id, err);
    }
  }

  async historyTree(session: InspectSession, msg: HistoryTreeRequest): Promise<void> {
    let replay: TreeReplay | null = null;
    const content = session.scope === 'content';
    // Re-authenticated down to metadata meanwhile: the session withdrew this request.
    const withdrawn = (): boolean => content && session.scope !== 'content';
    try {
      const store = this.store();
      if (msg.toTs !== undefined) validateReplayRange(msg.at, msg.toTs);
      // The tree at `at` (same nodes as `treeOf`, but the walk is time-sliced),
      // one rebuild at a time per host (a rebuild is synchronous applyUpdate work).
      replay = await this.opts.rebuilds.run(() =>
        session.isOpen ? TreeReplay.open(store, msg.room, msg.at) : null
      );
      if (!replay) return;
      const nodes = replay.base();
      const { seq, seqTs } = replay;
      const chunkSize = INSPECT_LIMITS.snapshotChunkNodes;
      const chunks = Math.max(1, Math.ceil(nodes.length / chunkSize));
      for (let i = 0; i < chunks; i++) {
        if (!(await session.outbox.waitForRoom()) || withdrawn()) return;
        const slice = nodes.slice(i * chunkSize, (i + 1) * chunkSize);
        session.sendControl({
          type: 'historyTree',
          id: msg.id,
          room: msg.room,
          at: msg.at,
          seq,
          seqTs,
          chunk: i,
          last: i === chunks - 1,
          total: nodes.length,
          nodes: content ? slice : slice.map(stripValue),
        });
      }
      if (msg.toTs === undefined) return;
      const maxSteps = msg.maxSteps ?? INSPECT_LIMITS.maxHistorySteps;
      const pages = replay.pages(store, msg.room, msg.toTs, maxSteps, INSPECT_LIMITS.stepsChunkNodes);
      for await (const page of pages) {
        if (!(await session.outbox.waitForRoom()) || withdrawn()) return;
        session.sendControl({
          type: 'historyTreeSteps',
          id: msg.id,
          room: msg.room,
          at: msg.at,
          toTs: msg.toTs,
          steps: content
            ? page.steps
            : page.steps.map((st) => ({
                ...st,
                added: st.added.map(stripValue),
                changed: st.changed.map(stripValue),
              })),
          last: page.last,
          truncated: page.truncated,
        });
        // Let collaboration traffic through between pages.
        await new Promise<void>((r) => setImmediate(r));
      }
    } catch (err) {
      this.failed(session, msg.id, err);
    } finally {
      replay?.close();
    }
  }

  private store(): HistoryStore {
    const store = this.opts.host.history;
    if (!store) {
      throw new HistoryError(
        'history_unavailable',
        'this server keeps no update log: history and time travel are unavailable'
      );
    }
    return store;
  }

  private failed(session: InspectSession, id: string, err: unknown): void {
    if (err instanceof GateFullError) {
      session.error('rate_limited', err.message, { id });
      return;
    }
    if (err instanceof HistoryError) {
      session.error(err.code, err.message, { id });
      return;
    }
    this.opts.logger.warn({ err: (err as Error)?.message ?? String(err) }, 'inspect history failed');
    session.error('internal', 'history request failed', { id });
  }
}
