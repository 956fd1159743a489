/**
 * Per-room tree cache + patch computation for `tree` subscribers.
 *
 * Exists only while a room has tree subscribers. It listens to the live doc's
 * `afterTransaction` (a listener, never a write) and only records which types
 * changed (O(update)); the patch is computed off the update path, coalesced
 * per event-loop turn, from the changed types only: each changed type is
 * re-summarised; of its direct children only those the change can have
 * touched are re-diffed — for a Map the keys the transactions set or deleted
 * (`keyedMapDiff`), for a list the indices where a different struct now sits
 * (found by one pointer walk comparing struct ids, no summaries) — and a
 * child subtree is walked only when it is new or a different struct now sits
 * at its path. A patch is proportional to the update (plus an O(items) scan
 * of each changed container), not to the document. The whole document is
 * walked once, when the cache is built (in time-sliced chunks).
 */
import * as Y from 'yjs';
import { joinPath, parentPath, type TreeNode } from '@collabblocks/protocol';
import {
  childrenOf,
  hasIndexedChildren,
  hasKeyedChildren,
  listChild,
  locateType,
  mapChild,
  rootNameMap,
  rootsOf,
  summarizeType,
  typeIdent,
  walkFrom,
  type WalkContext,
  type WalkedNode,
} from './treeWalk.js';

interface Entry {
  node: TreeNode;
  ident: string;
  kids: string[];
  /** Struct id behind `ident` (list element id), -1 when none (roots). */
  client: number;
  clock: number;
  /** The Yjs type behind a container node (to restore sibling order). */
  type?: Y.AbstractType<unknown> | undefined;
  /** Keyed children were appended out of the type's key order: re-sorted by `snapshot()`. */
  unordered?: boolean;
}

/** Work done by `flush()` (tests and benchmarks: a patch must not scale with the document). */
export interface TrackerWork {
  flushes: number;
  /** Nodes summarised (changed types, re-diffed children, walked subtrees). */
  summarized: number;
}

export interface TreePatch {
  ts: number;
  added: TreeNode[];
  changed: TreeNode[];
  removed: string[];
  transactions: number;
  /** `performance.now()` when the oldest transaction in this patch was observed (diff-latency histogram). */
  firstTxAt: number;
}

/** Time slice for building the cache before yielding to the event loop. */
const BUILD_SLICE_MS = 8;
/** Minimum spacing of patches per room (coalescing under bursts). */
export const MIN_FLUSH_INTERVAL_MS = 4;

function sameNode(a: TreeNode, b: TreeNode): boolean {
  return (
    a.type === b.type &&
    a.size === b.size &&
    a.itemCount === b.itemCount &&
    a.deleted === b.deleted &&
    a.children === b.children &&
    a.lastClient === b.lastClient &&
    a.lastClock === b.lastClock &&
    a.lastTime === b.lastTime &&
    a.nodeName === b.nodeName &&
    a.index === b.index &&
    (a.value === b.value || JSON.stringify(a.value) === JSON.stringify(b.value)) &&
    a.embeds === b.embeds &&
    JSON.stringify(a.runs) === JSON.stringify(b.runs) &&
    JSON.stringify(a.attrs) === JSON.stringify(b.attrs)
  );
}

export class TreeTracker {
  private readonly cache = new Map<string, Entry>();
  private readonly pending = new Set<Y.AbstractType<unknown>>();
  private pendingTx = 0;
  private firstTxAt = 0;
  private flushScheduled = false;
  private isBuilding = true;
  private closed = false;
  /** Nodes in pre-order as the initial build walks them (null once built). */
  private order: TreeNode[] | null = [];
  /** Pre-order snapshot, reused until the next change. */
  private pre: TreeNode[] | null = null;
  private lastFlushAt = 0;
  private paused = false;
  /** Minimum spacing of patches (the bridge raises it with the number of subscribers). */
  minFlushIntervalMs = MIN_FLUSH_INTERVAL_MS;
  /**
   * When false, transactions do not record `ctx.lastChange`: nodes keep the
   * attribution a fresh walk derives from their items (history replay uses
   * this so a replayed tree equals the tree rebuilt at that instant).
   */
  recordChanges = true;
  /**
   * When true (default), a Map whose transactions only set/deleted known keys
   * is re-diffed at those keys only (not at every child): a patch on a wide
   * map costs O(map items + changed keys). Keys added after the build are
   * re-sorted into the type's key order lazily, by `snapshot()`. False: every
   * child of a changed Map is re-summarised (reference behaviour for tests).
   */
  keyedMapDiff = true;
  /** Counters of the work done by flushes. */
  readonly work: TrackerWork = { flushes: 0, summarized: 0 };
  /** Keyed mode: keys changed per pending type (null = not only keys: diff every child). */
  private readonly pendingKeys = new Map<Y.AbstractType<unknown>, Set<string> | null>();
  private progressWaiters: Array<() => void> = [];
  private readonly listener: (tr: Y.Transaction) => void;
  readonly ready: Promise<void>;

  constructor(
    private readonly doc: Y.Doc,
    private readonly ctx: WalkContext,
    private readonly onPatch: (patch: TreePatch) => void,
    private readonly now: () => number = Date.now
  ) {
    this.cache.set('', { node: rootPlaceholder(), ident: 'doc', kids: [], client: -1, clock: -1 });
    this.listener = (tr) => this.onTransaction(tr);
    doc.on('afterTransaction', this.listener);
    this.ready = this.build();
  }

  /** Number of cached nodes (excluding the document placeholder). */
  get size(): number {
    return this.cache.size - 1;
  }

  /** True while the initial walk is running (time-sliced). */
  get building(): boolean {
    return this.isBuilding;
  }

  /**
   * While building: the array the build appends nodes to, in pre-order, so a
   * subscriber can stream the first chunks before the walk has finished.
   * Nodes changed during the build are corrected by the first patch.
   */
  get buildOrder(): readonly TreeNode[] | null {
    return this.order;
  }

  /**
   * No subscriber for now: keep the cache and only record which types change
   * (O(update)), no patches. `resume()` folds the changes in silently.
   */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (!this.isBuilding && this.pending.size > 0) this.flush(false);
  }

  /** Resolves at the next build slice (or at once when not building). */
  waitProgress(): Promise<void> {
    if (!this.isBuilding) return Promise.resolve();
    return new Promise((r) => this.progressWaiters.push(r));
  }

  private progress(): void {
    for (const w of this.progressWaiters.splice(0)) w();
  }

  close(): void {
    this.closed = true;
    this.isBuilding = false;
    this.order = null;
    this.progress();
    this.doc.off('afterTransaction', this.listener);
    this.pending.clear();
    this.cache.clear();
  }

  /** Pre-order copy of the cached tree (node objects are immutable; O(n) pointer copy). */
  snapshot(): readonly TreeNode[] {
    if (this.pre) return this.pre;
    const out: TreeNode[] = [];
    const stack: string[] = [...(this.cache.get('')?.kids ?? [])].reverse();
    while (stack.length > 0) {
      const path = stack.pop() as string;
      const e = this.cache.get(path);
      if (!e) continue;
      out.push(e.node);
      if (e.unordered) this.reorder(e);
      for (let i = e.kids.length - 1; i >= 0; i--) stack.push(e.kids[i] as string);
    }
    this.pre = out;
    return out;
  }

  /** Puts keyed children back in the type's key order (the order a fresh walk yields). */
  private reorder(e: Entry): void {
    e.unordered = false;
    if (!e.type) return;
    const rest = new Set(e.kids);
    const kids: string[] = [];
    for (const [key, item] of e.type._map) {
      if (item.deleted) continue;
      const path = joinPath(e.node.path, key);
      if (rest.delete(path)) kids.push(path);
    }
    // Cached children the doc no longer has (a change not flushed yet) stay, last.
    for (const path of rest) kids.push(path);
    e.kids = kids;
  }

  private onTransaction(tr: Y.Transaction): void {
    if (this.closed) return;
    // Author of the change: the client whose state advanced (inserts); for a
    // pure delete, keep the previous attribution.
    let client = -1;
    let clock = 0;
    for (const [c, after] of tr.afterState) {
      const before = tr.beforeState.get(c) ?? 0;
      if (after > before) {
        client = c;
        clock = after - 1;
        break;
      }
    }
    const time = this.now();
    for (const [type, subs] of tr.changed) {
      const t = type as Y.AbstractType<unknown>;
      this.pending.add(t);
      if (this.keyedMapDiff) this.noteKeys(t, subs);
      if (!this.recordChanges) continue;
      if (client !== -1) this.ctx.lastChange.set(t, { client, clock, time });
      else {
        const prev = this.ctx.lastChange.get(t);
        if (prev) this.ctx.lastChange.set(t, { ...prev, time });
      }
    }
    if (this.pendingTx === 0) this.firstTxAt = performance.now();
    this.pendingTx++;
    this.schedule();
  }

  private noteKeys(t: Y.AbstractType<unknown>, subs: Set<string | null>): void {
    const known = this.pendingKeys.get(t);
    if (known === null) return;
    if (subs.has(null)) {
      this.pendingKeys.set(t, null);
      return;
    }
    const keys = known ?? new Set<string>();
    for (const k of subs) keys.add(k as string);
    this.pendingKeys.set(t, keys);
  }

  private schedule(): void {
    if (this.flushScheduled || this.isBuilding || this.closed || this.paused) return;
    this.flushScheduled = true;
    const run = (): void => {
      this.flushScheduled = false;
      this.flush();
    };
    // At most one patch per MIN_FLUSH_INTERVAL_MS per room: under a burst,
    // transactions are coalesced into fewer, larger patches.
    const wait = this.minFlushIntervalMs - (performance.now() - this.lastFlushAt);
    if (wait > 0) setTimeout(run, wait);
    else setImmediate(run);
  }

  private async build(): Promise<void> {
    const roots = rootsOf(this.doc, this.ctx);
    let sliceStart = this.now();
    for (const root of roots) {
      const it = walkFrom(root, this.ctx);
      for (const w of it) {
        if (this.closed) return;
        this.put(w);
        this.order?.push(w.node);
        if (this.now() - sliceStart > BUILD_SLICE_MS) {
          this.progress();
          await new Promise<void>((r) => setImmediate(r));
          sliceStart = this.now();
        }
      }
    }
    if (this.closed) return;
    this.isBuilding = false;
    this.order = null;
    // Changes that happened while building are folded in now and emitted: a
    // subscriber that streamed early chunks holds this patch until its last
    // chunk; one that snapshots after `ready` discards it (already included).
    this.flush(true);
    this.progress();
  }

  /** Inserts a walked node into the cache under its parent. */
  private put(w: WalkedNode): void {
    const prev = this.cache.get(w.node.path);
    this.cache.set(w.node.path, {
      node: w.node,
      ident: w.ident,
      kids: prev && prev.ident === w.ident ? prev.kids : [],
      client: w.client ?? -1,
      clock: w.clock ?? -1,
      type: w.type,
      unordered: prev !== undefined && prev.ident === w.ident && prev.unordered === true,
    });
    if (!prev) {
      const parent = this.cache.get(w.node.parent);
      if (!parent) return;
      if (w.node.parent !== '') parent.kids.push(w.node.path);
      else {
        // Roots in name order, as `rootsOf` walks them (a root can appear later).
        const i = parent.kids.findIndex((p) => p > w.node.path);
        if (i < 0) parent.kids.push(w.node.path);
        else parent.kids.splice(i, 0, w.node.path);
      }
    }
  }

  /** Removes a subtree from the cache, collecting removed paths. */
  private purge(path: string, removed: Set<string>): void {
    const e = this.cache.get(path);
    if (!e) return;
    for (const k of e.kids) this.purge(k, removed);
    this.cache.delete(path);
    removed.add(path);
  }

  flush(emit = true): void {
    if (this.closed || this.pending.size === 0) return;
    this.lastFlushAt = performance.now();
    this.pre = null;
    this.work.flushes++;
    const types = [...this.pending];
    this.pending.clear();
    const keysOf = this.pendingKeys.size > 0 ? new Map(this.pendingKeys) : null;
    this.pendingKeys.clear();
    const transactions = this.pendingTx;
    const firstTxAt = this.firstTxAt;
    this.pendingTx = 0;
    const rootNames = rootNameMap(this.doc);
    const added = new Map<string, TreeNode>();
    const changed = new Map<string, TreeNode>();
    const removed = new Set<string>();

    const record = (node: TreeNode, isNew: boolean): void => {
      if (isNew) {
        if (removed.delete(node.path)) changed.set(node.path, node);
        else added.set(node.path, node);
      } else if (!added.has(node.path)) changed.set(node.path, node);
    };

    /** Diffs one (summarised) direct child against the cache (`pushKid`: list it under `prev`). */
    const diffKid = (prev: Entry, k: WalkedNode, pushKid: boolean): void => {
      this.work.summarized++;
      const old = this.cache.get(k.node.path);
      if (pushKid) prev.kids.push(k.node.path);
      if (old && old.ident === k.ident) {
        if (!sameNode(old.node, k.node)) {
          old.node = k.node;
          record(k.node, false);
        }
        return;
      }
      if (old) for (const gk of old.kids) this.purge(gk, removed);
      if (old) this.cache.delete(k.node.path);
      let first = true;
      for (const w of walkFrom(k, this.ctx)) {
        const isKid = first;
        first = false;
        if (!isKid) this.work.summarized++;
        const existed = isKid && old !== undefined;
        this.cache.set(w.node.path, {
          node: w.node,
          ident: w.ident,
          kids: [],
          client: w.client ?? -1,
          clock: w.clock ?? -1,
          type: w.type,
        });
        if (!isKid) this.cache.get(w.node.parent)?.kids.push(w.node.path);
        record(w.node, !existed);
      }
    };

    for (const type of types) {
      const at = locateType(type, rootNames);
      if (at === null) continue; // deleted: its parent's change removes it
      const prev = this.cache.get(at.path);
      const ident = typeIdent(type, at.key);
      if (!prev) {
        // New root (or a path we never saw): walk it entirely.
        const parent = this.cache.get(at.parent);
        if (!parent) continue; // its parent is new too and will be walked
        const node = summarizeType(type, at, this.ctx);
        for (const w of walkFrom({ node, ident, type }, this.ctx)) {
          this.work.summarized++;
          this.put(w);
          record(w.node, true);
        }
        continue;
      }
      // Another struct sits at this path now (the type moved, or was replaced):
      // its parent changed too and re-diffs that child.
      if (prev.ident !== ident) continue;
      const node = summarizeType(type, at, this.ctx);
      this.work.summarized++;
      const prevKind = prev.node.type;
      prev.type = type;
      if (!sameNode(prev.node, node)) {
        prev.node = node;
        record(node, false);
      }
      const keys = keysOf?.get(type);
      if (keys && hasKeyedChildren(node.type) && hasKeyedChildren(prevKind)) {
        // Keyed: only the keys the transactions set or deleted.
        const kids: WalkedNode[] = [];
        let gone: Set<string> | null = null;
        for (const key of keys) {
          const item = type._map.get(key);
          if (item && !item.deleted) {
            kids.push(mapChild(node, key, item, this.ctx));
            continue;
          }
          const path = joinPath(node.path, key);
          if (!this.cache.has(path)) continue;
          this.purge(path, removed);
          (gone ??= new Set()).add(path);
        }
        if (gone) {
          const g = gone;
          prev.kids = prev.kids.filter((p) => !g.has(p));
        }
        for (const k of kids) {
          const isNew = !this.cache.has(k.node.path);
          if (isNew) prev.unordered = true;
          diffKid(prev, k, isNew);
        }
        continue;
      }
      if (hasIndexedChildren(node.type) && hasIndexedChildren(prevKind)) {
        this.diffList(type, node, prev, diffKid, removed);
        continue;
      }
      // Any other change of kind: diff every direct child.
      const kids = childrenOf(type, node, this.ctx);
      const newKidPaths = new Set(kids.map((k) => k.node.path));
      for (const old of prev.kids) if (!newKidPaths.has(old)) this.purge(old, removed);
      prev.kids = [];
      prev.unordered = false;
      for (const k of kids) diffKid(prev, k, true);
    }
    if (!emit || (added.size === 0 && changed.size === 0 && removed.size === 0)) return;
    this.onPatch({
      ts: this.now(),
      added: [...added.values()],
      changed: [...changed.values()],
      // Top-most paths only: removing a path removes its subtree.
      removed: [...removed].filter((p) => !this.cache.has(p) && !removed.has(parentPath(p) as string)),
      transactions,
      firstTxAt,
    });
  }

  /**
   * Re-diffs the children of a list-like type where they can have changed: one
   * pointer walk over its items compares the struct id at each index with the
   * cached child at that index; equal → the same element at the same path,
   * kept without summarising (its own changes come through its own type).
   * Only indices holding another struct (inserted, shifted) are summarised.
   */
  private diffList(
    type: Y.AbstractType<unknown>,
    node: TreeNode,
    prev: Entry,
    diffKid: (prev: Entry, k: WalkedNode, pushKid: boolean) => void,
    removed: Set<string>
  ): void {
    const oldKids = prev.kids;
    prev.kids = [];
    let index = 0;
    for (let item = type._start; item !== null; item = item.right) {
      if (item.deleted || !item.countable) continue;
      const isType = item.content instanceof Y.ContentType;
      const n = isType ? 1 : item.length;
      const { client, clock } = item.id;
      let content: unknown[] | null = null;
      for (let off = 0; off < n; off++, index++) {
        const oldPath = oldKids[index];
        const old = oldPath !== undefined ? this.cache.get(oldPath) : undefined;
        if (old !== undefined && old.client === client && old.clock === clock + off) {
          prev.kids.push(oldPath as string);
          continue;
        }
        content ??= isType ? [] : item.content.getContent();
        diffKid(prev, listChild(node, index, item, off, this.ctx, content), true);
      }
    }
    for (let i = index; i < oldKids.length; i++) this.purge(oldKids[i] as string, removed);
  }
}

function rootPlaceholder(): TreeNode {
  return {
    path: '',
    parent: '',
    depth: 1,
    key: '',
    type: 'Doc',
    size: 0,
    itemCount: 0,
    deleted: 0,
    children: 0,
  };
}
