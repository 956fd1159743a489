/**
 * The tree stream: the document as a tree of nodes (path, type, size, last change, value in
 * content scope), as a chunked snapshot on subscribe and patches as it changes.
 *
 * One `TreeTracker` per watched room walks the live document once (time-sliced; the first
 * subscribers get chunks as the walk produces them) and then turns transactions into patches.
 * When the last subscriber leaves, the tracker is paused and kept `graceMs` (dashboard refreshes
 * skip the walk). A room not loaded here is walked from its stored state (shared, briefly cached
 * `StoredDocs`), without live patches until it loads; then subscribers get `resync {reload}` and a
 * live snapshot. Per loaded room, whether watched or not, the last update time of each Yjs client
 * is kept (O(1) per update, at most 2,000 clients) for the nodes' `lastTime`.
 */
import { INSPECT_LIMITS, type TreeNode } from '@collabblocks/protocol';
import type * as Y from 'yjs';
import type { RoomEvent, UpdateEvent } from '../../../events.js';
import type { HostRoom } from '../../../host.js';
import { PerScope, subFrame } from '../../frame.js';
import { GateFullError } from '../../session/gate.js';
import type { Subscription } from '../../session/session.js';
import { flushSpacingMs, RoomSubscribers, type StreamContext, type StreamModule } from '../stream.js';
import { TreeTracker, type TreePatch } from './treeTracker.js';
import { stripValue, type LastChange, type WalkContext } from './treeWalk.js';

/** First snapshot chunk is small so the first nodes arrive fast. */
const FIRST_CHUNK_NODES = 500;
const MAX_CLIENT_TIMES = 2_000;

interface RoomTree {
  tracker: TreeTracker | null;
  trackerDoc: Y.Doc | null;
  /** Disposes a paused tracker after the grace period. */
  idle: NodeJS.Timeout | null;
  readonly lastChange: WeakMap<Y.AbstractType<unknown>, LastChange>;
}

/**
 * The stored state of rooms not loaded here, shared with the history requests (`StoredDocs`
 * satisfies it): a lease on a briefly cached document and its tree tracker.
 */
export interface StoredTrees {
  acquire(room: string): Promise<{ tracker(): TreeTracker; release(): void }>;
}

export interface TreeStreamOptions {
  /** How long a room's tracker outlives its last subscriber (0 = dispose at once). */
  graceMs: number;
  /** Stored state of rooms not loaded here; null when the host keeps no history. */
  stored: StoredTrees | null;
}

export class TreeStream implements StreamModule {
  readonly stream = 'tree';
  private readonly subs = new RoomSubscribers();
  private readonly rooms = new Map<string, RoomTree>();
  /** Yjs client → last update time, per loaded room (always on, O(1) per update). */
  private readonly clientTimes = new Map<string, Map<number, number>>();

  constructor(
    private readonly ctx: StreamContext,
    private readonly opts: TreeStreamOptions
  ) {}

  subscribe(sub: Subscription): void {
    const name = sub.room as string;
    const n = this.subs.add(name, sub);
    let t = this.rooms.get(name);
    if (!t) {
      t = { tracker: null, trackerDoc: null, idle: null, lastChange: new WeakMap() };
      this.rooms.set(name, t);
    }
    if (t.tracker) t.tracker.minFlushIntervalMs = flushSpacingMs(n);
    this.startSnapshot(name, t, sub);
  }

  unsubscribe(sub: Subscription): void {
    const name = sub.room as string;
    const n = this.subs.delete(name, sub);
    const t = this.rooms.get(name);
    if (!t) return;
    if (t.tracker) t.tracker.minFlushIntervalMs = flushSpacingMs(n);
    if (n > 0) return;
    if (t.tracker && !t.idle && this.opts.graceMs > 0 && !this.ctx.isClosing()) {
      t.tracker.pause();
      t.idle = setTimeout(() => {
        t.idle = null;
        if (this.subs.count(name) > 0) return;
        this.dispose(name, t);
      }, this.opts.graceMs);
      t.idle.unref();
      return;
    }
    if (!t.idle) this.dispose(name, t);
  }

  resnapshot(sub: Subscription): void {
    const t = this.rooms.get(sub.room as string);
    if (t) this.startSnapshot(sub.room as string, t, sub);
  }

  onUpdate(ev: UpdateEvent): void {
    let times = this.clientTimes.get(ev.room);
    if (!times) {
      times = new Map();
      this.clientTimes.set(ev.room, times);
    }
    times.delete(ev.clientId);
    times.set(ev.clientId, ev.ts);
    if (times.size > MAX_CLIENT_TIMES) times.delete(times.keys().next().value as number);
    // Subscribers of a room that was not loaded when they subscribed.
    const t = this.rooms.get(ev.room);
    if (t && !t.tracker && this.subs.count(ev.room) > 0) this.reload(ev.room);
  }

  onRoomLoaded(ev: RoomEvent): void {
    if (!this.rooms.has(ev.room)) return;
    // Hosts may report the load just before the room is visible: look it up on the next turn.
    setImmediate(() => {
      const t = this.rooms.get(ev.room);
      if (t && !t.tracker) this.reload(ev.room);
    });
  }

  onRoomUnloaded(ev: RoomEvent): void {
    this.clientTimes.delete(ev.room);
    const t = this.rooms.get(ev.room);
    if (!t) return;
    t.tracker?.close();
    t.tracker = null;
    t.trackerDoc = null;
    if (t.idle) {
      clearTimeout(t.idle);
      t.idle = null;
      if (this.subs.count(ev.room) === 0) this.rooms.delete(ev.room);
    }
  }

  close(): void {
    for (const t of this.rooms.values()) {
      t.tracker?.close();
      if (t.idle) clearTimeout(t.idle);
    }
    this.rooms.clear();
  }

  /** The room (re)appeared here: `resync {reload}` and a live snapshot for every subscriber. */
  private reload(name: string): void {
    if (!this.ctx.host.room(name)) return;
    for (const sub of [...this.subs.of(name)]) this.ctx.resync(sub, 0, 'reload');
  }

  private dispose(name: string, t: RoomTree): void {
    t.tracker?.close();
    t.tracker = null;
    t.trackerDoc = null;
    if (this.rooms.get(name) === t) this.rooms.delete(name);
  }

  private walkContext(name: string, t: RoomTree): WalkContext {
    const times = (): Map<number, number> | undefined => this.clientTimes.get(name);
    return { clientTime: (c) => times()?.get(c), lastChange: t.lastChange };
  }

  private ensureTracker(name: string, t: RoomTree, room: HostRoom): TreeTracker {
    if (t.idle) {
      clearTimeout(t.idle);
      t.idle = null;
    }
    if (t.tracker && t.trackerDoc === room.doc) {
      t.tracker.resume();
      return t.tracker;
    }
    t.tracker?.close();
    t.trackerDoc = room.doc;
    t.tracker = new TreeTracker(room.doc, this.walkContext(name, t), (patch) => this.onPatch(name, patch));
    t.tracker.minFlushIntervalMs = flushSpacingMs(this.subs.count(name));
    return t.tracker;
  }

  private onPatch(name: string, patch: TreePatch): void {
    const body = new PerScope('treePatch', (scope) => ({
      room: name,
      ts: patch.ts,
      added: scope === 'content' ? patch.added : patch.added.map(stripValue),
      changed: scope === 'content' ? patch.changed : patch.changed.map(stripValue),
      removed: patch.removed,
      transactions: patch.transactions,
    }));
    for (const sub of this.subs.of(name)) sub.session.sendSub(sub, body.frame(sub));
    this.ctx.metrics.diffLatency.observe(performance.now() - patch.firstTxAt);
  }

  private startSnapshot(name: string, t: RoomTree, sub: Subscription): void {
    const gen = ++sub.generation;
    sub.holding = [];
    const session = sub.session;
    let lease: { release(): void } | null = null;
    const stale = (): boolean => sub.closed || gen !== sub.generation;
    const run = async (): Promise<void> => {
      let tracker: TreeTracker;
      const room = this.ctx.host.room(name);
      if (room) tracker = this.ensureTracker(name, t, room);
      else if (this.opts.stored) {
        // Not loaded here: the stored state (no live patches until it loads), loaded once for a
        // burst of subscribers and walked in time slices like a live doc.
        const acquired = await this.opts.stored.acquire(name);
        lease = acquired;
        if (stale()) return;
        tracker = acquired.tracker();
      } else {
        // Not loaded and no stored history: an empty tree until the room loads (then `reload`).
        await this.sendChunks(name, sub, gen, [], () => true);
        return;
      }
      const order = tracker.buildOrder;
      if (order !== null) {
        // First subscriber(s): chunks are sent as the initial walk produces them.
        await this.sendChunks(
          name,
          sub,
          gen,
          order,
          () => !tracker.building,
          () => tracker.waitProgress()
        );
        return;
      }
      await tracker.ready;
      if (stale()) return;
      const nodes = tracker.snapshot();
      if (room) sub.holding = [];
      await this.sendChunks(name, sub, gen, nodes, () => true);
    };
    run()
      .finally(() => lease?.release())
      .catch((err: unknown) => {
        if (sub.closed) return;
        sub.holding = null;
        if (err instanceof GateFullError) {
          session.error('rate_limited', `tree snapshot refused: ${err.message}`, { sub: sub.id });
          return;
        }
        session.error('storage_error', `tree snapshot failed: ${(err as Error)?.message ?? String(err)}`, {
          sub: sub.id,
        });
      });
  }

  /**
   * Sends `nodes` as `treeSnapshot` chunks (a small first one, then full ones), each once the send
   * queue has room. While `done()` is false more nodes may still be appended (a walk in progress):
   * `progress()` waits for them. Then releases the live messages held meanwhile.
   */
  private async sendChunks(
    name: string,
    sub: Subscription,
    gen: number,
    nodes: readonly TreeNode[],
    done: () => boolean,
    progress?: () => Promise<void>
  ): Promise<void> {
    const session = sub.session;
    let sent = 0;
    for (let chunk = 0; ;) {
      if (sub.closed || gen !== sub.generation) return;
      const finished = done();
      const want = chunk === 0 ? FIRST_CHUNK_NODES : INSPECT_LIMITS.snapshotChunkNodes;
      if (nodes.length - sent >= want || finished) {
        if (!(await session.outbox.waitForRoom())) return;
        if (sub.closed || gen !== sub.generation) return;
        const nowDone = done();
        const slice = nodes.slice(sent, sent + want);
        sent += slice.length;
        const last = nowDone && sent >= nodes.length;
        session.outbox.push(
          subFrame('treeSnapshot', sub.id, {
            room: name,
            ts: Date.now(),
            chunk: chunk++,
            last,
            total: nodes.length,
            nodes: session.scope === 'content' ? slice : slice.map(stripValue),
          }),
          sub.id
        );
        if (last) break;
        continue;
      }
      if (!progress) break;
      await progress();
    }
    const held = sub.holding ?? [];
    sub.holding = null;
    for (const d of held) session.outbox.push(d, sub.id);
  }
}
