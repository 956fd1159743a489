/**
 * Time travel over chains. A chain is a base state plus ordered patches (bounded):
 *
 * - a keyframe chain: a `historyTree` state (the document at its `ts`, rebuilt by the pod from snapshot +
 *   update log), optionally with the replay of every logged update after it (`treeSteps`): then the chain
 *   gives the exact document at every update of the replayed range;
 * - the live chain: the first live `tree` state plus the patch between consecutive emissions (the oldest
 *   patches fold into the base).
 *
 * The document at instant t: a replay chain covering t is exact and wins; otherwise the newest state at or
 * before t among all chains (a chain's state at t = its base with its patches up to t applied). Before any
 * known state the earliest one is shown (`before`).
 *
 * Materialising a state starts from the nearest state at or before it — the chain's cursor (the last state
 * the timeline showed, moved in place) or a checkpoint (a copy every few hundred steps, taken as the
 * timeline moves, bounded by a node budget) — so a slider over 5,000 steps of a 100k-node document never
 * re-applies the whole chain. Stepping forward applies only the patches in between; stepping back undoes
 * them on the cursor (each applied patch records what it overwrote, bounded). A stable result is a copy
 * nobody mutates (the same instant returns the same object); a `view` result is the cursor itself.
 *
 * Memory is bounded by nodes, not only by counts: the states held (keyframe bases, the live base, every
 * patch's nodes, replayed steps) share one budget (`maxNodes`); over it the oldest history goes first — the
 * oldest keyframe chain (never the one added last) or the live chain's oldest patch (folded into its base),
 * whichever is older. Checkpoint copies have their own budget (`maxCheckpointNodes`, least recently used
 * evicted).
 */
import { INSPECT_LIMITS } from '@collabblocks/protocol';

import {
  applyPatch,
  applyPatchUndoable,
  computePatch,
  isEmptyPatch,
  undoPatch,
  type PatchUndo,
  type TreePatch,
} from './patch';
import { cloneModel, type TreeModel } from './model';

export interface StateAt {
  model: TreeModel;
  /** Instant of the state shown (≤ the requested instant unless `before` is true). */
  ts: number;
  source: 'keyframe' | 'live';
  /** True when nothing was known at or before the instant and the earliest state is shown instead. */
  before: boolean;
  /** True when a pod replay covers the instant: this is the document exactly as it was then. */
  exact: boolean;
}

export interface ReplayInfo {
  /** The last instant the pod replayed through. */
  to: number;
  /** More updates existed in the range than were replayed: exact only up to the last step. */
  truncated: boolean;
}

export interface HistoryLimits {
  /** Patches kept by the live chain (older ones fold into its base). */
  maxLiveSteps: number;
  maxKeyframes: number;
  /**
   * Nodes held by states across all chains: keyframe bases, the live base, and every patch's added,
   * changed and removed entries (a patch counts at least 1). Over it the oldest history goes first (see the
   * file comment); the live base and the keyframe added last are always kept.
   */
  maxNodes: number;
  /** Steps kept by a keyframe's replay (more are cut and the replay marked truncated). */
  maxReplaySteps: number;
  /** Checkpoint copies kept across all chains, in nodes (a 100k-node copy is about 9 MB). */
  maxCheckpointNodes: number;
  /**
   * A checkpoint every this many steps at least (a replay spreads ≤ 8 over its steps, fewer when the budget
   * holds fewer copies of its document).
   */
  checkpointEvery: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = {
  maxLiveSteps: 2_000,
  maxKeyframes: 20,
  // About six states of a 100k-node document (≈ 390 bytes a node in a keyframe: ≈ 230 MB at most).
  maxNodes: 600_000,
  maxReplaySteps: INSPECT_LIMITS.maxHistorySteps,
  // Eight checkpoints of a 100k-node document: a full 5,000-step replay (≈ 70 MB at most).
  maxCheckpointNodes: 800_000,
  checkpointEvery: 256,
};

interface Snapshot {
  /** Absolute step index the state is after (offset - 1 = the base). */
  at: number;
  model: TreeModel;
}

/** The timeline's state, moved in place, with what the last patches overwrote (to step back cheaply). */
interface Cursor extends Snapshot {
  /** Undo records of the steps up to `at` (the newest last), bounded. */
  undo: PatchUndo[];
  undoSize: number;
}

/** Undo records kept by a cursor, in recorded nodes + lists. */
const MAX_UNDO_SIZE = 200_000;

interface Checkpoint extends Snapshot {
  used: number;
}

interface Chain {
  kind: 'keyframe' | 'live';
  base: TreeModel;
  steps: TreePatch[];
  /** Nodes held by the steps (see patchNodes). */
  stepNodes: number;
  /** Running maximum of step instants (log order may repeat or, across clocks, go back). */
  tsMax: number[];
  /** Steps folded into the base so far (absolute index of steps[0]). */
  offset: number;
  replay: ReplayInfo | null;
  every: number;
  cursor: Cursor | null;
  out: Snapshot | null;
  checkpoints: Checkpoint[];
}

/** Counters for tests and the benchmark. */
export interface HistoryStats {
  patchesApplied: number;
  /** Steps taken back by undoing them on the timeline's cursor. */
  patchesUndone: number;
  copies: number;
}

function newChain(kind: Chain['kind'], base: TreeModel, every: number): Chain {
  return {
    kind,
    base,
    steps: [],
    stepNodes: 0,
    tsMax: [],
    offset: 0,
    replay: null,
    every,
    cursor: null,
    out: null,
    checkpoints: [],
  };
}

interface Candidate {
  chain: Chain;
  /** Last step at or before the instant (-1 = the base). */
  j: number;
  /** Instant of that state. */
  ts: number;
  /** A replay covering the instant. */
  exact: boolean;
  /** On equal instants: replay 2 > keyframe 1 > live 0. */
  rank: number;
}

/** A replay covering the instant (exact) first, then the newest state, then the more authoritative chain. */
function outranks(a: Candidate, b: Candidate): boolean {
  if (a.exact !== b.exact) return a.exact;
  if (a.ts !== b.ts) return a.ts > b.ts;
  return a.rank > b.rank;
}

/** Nodes a patch holds for the budget (its entries; at least 1). */
function patchNodes(p: TreePatch): number {
  return 1 + p.added.length + p.changed.length + p.removed.length;
}

const chainNodes = (c: Chain): number => c.base.nodes.size + c.stepNodes;

/** Number of entries ≤ t in an ascending array. */
function countAtOrBefore(sorted: number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class TreeHistory {
  private keyframes: Chain[] = [];
  /** The keyframe chain added last (kept whatever the budget). */
  private newestKeyframe: Chain | null = null;
  private live: Chain | null = null;
  private last: TreeModel | null = null;
  private useClock = 0;
  private readonly limits: HistoryLimits;
  /** Bumped on every change (memo key for the panel). */
  revision = 0;
  readonly stats: HistoryStats = { patchesApplied: 0, patchesUndone: 0, copies: 0 };

  constructor(limits: Partial<HistoryLimits> = {}) {
    this.limits = { ...DEFAULT_HISTORY_LIMITS, ...limits };
  }

  /**
   * A historyTree state, optionally with the replay of the updates after it (replaces a keyframe at the
   * same instant).
   */
  addKeyframe(model: TreeModel, steps?: TreePatch[], replay?: ReplayInfo): void {
    const ts = model.meta.ts;
    this.keyframes = this.keyframes.filter((k) => k.base.meta.ts !== ts);
    const chain = newChain('keyframe', model, this.limits.checkpointEvery);
    this.keyframes.push(chain);
    this.newestKeyframe = chain;
    this.keyframes.sort((a, b) => a.base.meta.ts - b.base.meta.ts);
    if (this.keyframes.length > this.limits.maxKeyframes) {
      const i = this.keyframes[0] === chain ? 1 : 0;
      this.keyframes.splice(i, 1);
    }
    if (steps && replay) this.setReplay(chain, steps, replay);
    this.enforceBudget();
    this.revision++;
  }

  /**
   * Attaches a replay to the keyframe at instant `from` (of `room` when both are known). False when there is
   * no such keyframe.
   */
  attachReplay(from: number, room: string, steps: TreePatch[], replay: ReplayInfo): boolean {
    const chain = this.keyframes.find(
      (k) => k.base.meta.ts === from && (room === '' || k.base.meta.room === '' || k.base.meta.room === room)
    );
    if (!chain) return false;
    this.setReplay(chain, steps, replay);
    this.enforceBudget();
    this.revision++;
    return true;
  }

  private setReplay(chain: Chain, steps: TreePatch[], replay: ReplayInfo): void {
    const max = this.limits.maxReplaySteps;
    const kept = steps.length > max ? steps.slice(0, max) : steps.slice();
    chain.steps = kept;
    chain.stepNodes = 0;
    for (const p of kept) chain.stepNodes += patchNodes(p);
    chain.tsMax = [];
    let m = -Infinity;
    for (const s of kept) {
      m = Math.max(m, s.ts);
      chain.tsMax.push(m);
    }
    const cut = steps.length > max;
    chain.replay = {
      to: cut ? m : replay.to,
      truncated: replay.truncated || cut,
    };
    // As many checkpoints as the budget holds for this document (with room to grow), at most 8.
    const fit = Math.floor(this.limits.maxCheckpointNodes / Math.max(1, chain.base.nodes.size * 1.1));
    chain.every = Math.max(
      this.limits.checkpointEvery,
      Math.ceil(kept.length / Math.max(1, Math.min(8, fit)))
    );
    chain.cursor = null;
    chain.out = null;
    chain.checkpoints = [];
  }

  /**
   * A live state: a patch against the previous live state is recorded. The previous live state may be
   * the caller's own model (mutated in place by a refresh: call `beforeMutate` first, then
   * `pushKnownPatch`). Returns the patch (null for the first state or no change).
   */
  pushLive(model: TreeModel): TreePatch | null {
    if (!this.live || !this.last || model.meta.ts < this.last.meta.ts) {
      // First state, or time went backwards (another pod's clock, a reload): (re)start the live chain.
      // The model is kept by reference until someone mutates it (see beforeMutate): no copy on first render.
      this.live = newChain('live', model, this.limits.checkpointEvery);
      this.last = model;
      this.revision++;
      return null;
    }
    if (this.last === model) return null;
    const patch = computePatch(this.last, model);
    return this.record(this.live, this.last, model, patch);
  }

  /** Call before mutating in place a model given to pushLive, so the recorded base stays as it was. */
  beforeMutate(model: TreeModel): void {
    if (this.live && this.live.base === model) this.live.base = cloneModel(model);
  }

  /**
   * A live state whose patch from the previous live state is already known (a snapshot refreshed in
   * place: only values changed) — skips the O(nodes) comparison of `pushLive`.
   */
  pushKnownPatch(model: TreeModel, patch: TreePatch): TreePatch | null {
    if (!this.live || !this.last || model.meta.ts < this.last.meta.ts) return this.pushLive(model);
    return this.record(this.live, this.last, model, patch);
  }

  private record(chain: Chain, last: TreeModel, model: TreeModel, patch: TreePatch): TreePatch | null {
    if (isEmptyPatch(patch)) return null;
    if (chain.base === last) chain.base = cloneModel(chain.base);
    chain.steps.push(patch);
    chain.stepNodes += patchNodes(patch);
    chain.tsMax.push(Math.max(patch.ts, chain.tsMax.at(-1) ?? -Infinity));
    applyPatch(last, patch);
    last.meta = { ...model.meta };
    while (chain.steps.length > this.limits.maxLiveSteps) this.foldOldest(chain);
    this.enforceBudget();
    this.revision++;
    return patch;
  }

  /** Folds the live chain's oldest patch into its base (its base is then a copy of its own). */
  private foldOldest(chain: Chain): void {
    const p = chain.steps.shift() as TreePatch;
    applyPatch(chain.base, p);
    chain.stepNodes -= patchNodes(p);
    chain.tsMax.shift();
    chain.offset++;
    // Snapshots before the new base can no longer be reached.
    chain.checkpoints = chain.checkpoints.filter((c) => c.at >= chain.offset - 1);
    if (chain.cursor && chain.cursor.at < chain.offset - 1) chain.cursor = null;
    if (chain.out && chain.out.at < chain.offset - 1) chain.out = null;
  }

  /**
   * Keeps the states within `maxNodes`: drops the oldest keyframe chain (not the one added last) or folds
   * the live chain's oldest patch, whichever is older, until it fits (or only what is always kept is left).
   */
  private enforceBudget(): void {
    let used = this.retainedNodes;
    while (used > this.limits.maxNodes) {
      const kf = this.keyframes.find((k) => k !== this.newestKeyframe);
      const live = this.live && this.live.steps.length > 0 ? this.live : null;
      if (!kf && !live) return;
      if (kf && (!live || kf.base.meta.ts <= (live.steps[0] as TreePatch).ts)) {
        this.keyframes = this.keyframes.filter((k) => k !== kf);
        used -= chainNodes(kf);
      } else if (live) {
        used -= chainNodes(live);
        this.foldOldest(live);
        used += chainNodes(live);
      }
    }
  }

  /** Nodes held by the states of every chain (keyframe and live bases, patches, replayed steps). */
  get retainedNodes(): number {
    let n = 0;
    for (const c of this.chains()) n += chainNodes(c);
    return n;
  }

  /** Nodes held by checkpoint copies (of every chain; they share `maxCheckpointNodes`). */
  private get checkpointNodes(): number {
    let n = 0;
    for (const c of this.chains()) for (const k of c.checkpoints) n += k.model.nodes.size;
    return n;
  }

  get keyframeCount(): number {
    return this.keyframes.length;
  }

  clear(): void {
    this.keyframes = [];
    this.newestKeyframe = null;
    this.live = null;
    this.last = null;
    this.revision++;
  }

  private chains(): Chain[] {
    return this.live ? [...this.keyframes, this.live] : this.keyframes;
  }

  /** Instants of every known state and step (sorted, unique). */
  instants(): number[] {
    const s = new Set<number>();
    for (const c of this.chains()) {
      s.add(c.base.meta.ts);
      for (const p of c.steps) s.add(p.ts);
    }
    return [...s].sort((a, b) => a - b);
  }

  get liveSteps(): number {
    return this.live?.steps.length ?? 0;
  }

  /** Steps held by keyframe replays. */
  get replaySteps(): number {
    let n = 0;
    for (const k of this.keyframes) n += k.steps.length;
    return n;
  }

  /** Instants of the replayed steps (sorted, unique). */
  replayInstants(): number[] {
    const s = new Set<number>();
    for (const k of this.keyframes) for (const p of k.steps) s.add(p.ts);
    return [...s].sort((a, b) => a - b);
  }

  /** [from, to] ranges where a replay gives the exact document. */
  exactRanges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const k of this.keyframes) if (k.replay) out.push([k.base.meta.ts, this.coveredTo(k)]);
    return out;
  }

  private coveredTo(c: Chain): number {
    if (!c.replay) return -Infinity;
    const last = c.tsMax.at(-1) ?? c.base.meta.ts;
    return c.replay.truncated ? last : Math.max(c.replay.to, last);
  }

  /**
   * The document at instant t. By default the model is never mutated afterwards (keep it as long as you
   * like). With `view`, it may be the history's own cursor, valid until the next `view` call (stable calls
   * leave it alone): stepping forward then costs only the patches in between, no copy (the panel's timeline
   * uses it).
   */
  stateAt(t: number, opts: { view?: boolean } = {}): StateAt | null {
    const view = opts.view === true;
    let best: Candidate | null = null;
    for (const chain of this.chains()) {
      if (chain.base.meta.ts > t) continue;
      const j = countAtOrBefore(chain.tsMax, t) - 1;
      const c: Candidate = {
        chain,
        j,
        ts: j >= 0 ? (chain.tsMax[j] as number) : chain.base.meta.ts,
        exact: chain.replay !== null && t <= this.coveredTo(chain),
        rank: chain.replay ? 2 : chain.kind === 'keyframe' ? 1 : 0,
      };
      if (!best || outranks(c, best)) best = c;
    }
    if (best) {
      return {
        model: this.materialise(best.chain, best.j, best.ts, view),
        ts: best.ts,
        source: best.chain.kind,
        before: false,
        exact: best.exact,
      };
    }
    // Nothing at or before t: the earliest state known (a keyframe on a tie).
    let first: Chain | null = null;
    for (const c of this.chains()) {
      if (!first || c.base.meta.ts < first.base.meta.ts) first = c;
    }
    if (!first) return null;
    return {
      model: this.materialise(first, -1, first.base.meta.ts, view),
      ts: first.base.meta.ts,
      source: first.kind,
      before: true,
      exact: false,
    };
  }

  /**
   * The chain's state after its step j (-1 = the base). Stable: a model nobody mutates afterwards. View:
   * the chain's cursor itself, moved in place (no copy when moving forward), valid until the next call.
   */
  private materialise(chain: Chain, j: number, ts: number, view: boolean): TreeModel {
    // A keyframe's base is never mutated: hand it out as is. The live base may be the caller's live model.
    if (j < 0 && chain.kind === 'keyframe') return chain.base;
    const at = chain.offset + j;
    if (!view && chain.out && chain.out.at === at) return chain.out.model;
    if (view && chain.cursor && chain.cursor.at === at) return chain.cursor.model;
    for (const c of this.chains()) {
      if (c === chain) continue;
      // Only the chain in use keeps its snapshots (checkpoints stay, within their budget).
      c.out = null;
      if (view) c.cursor = null;
    }
    const cursor = chain.cursor;
    // A few steps back: undo them on the cursor in place (cheaper than a copy).
    if (
      view &&
      cursor &&
      cursor.at > at &&
      cursor.at - at <= cursor.undo.length &&
      cursor.at - at <= chain.every
    ) {
      while (cursor.at > at) {
        const u = cursor.undo.pop() as PatchUndo;
        undoPatch(cursor.model, u);
        cursor.undoSize -= u.size;
        cursor.at--;
        this.stats.patchesUndone++;
      }
      cursor.model.meta.ts = ts;
      return cursor.model;
    }
    // Start from the nearest state at or before `at`: the cursor, a checkpoint or the base.
    let from: Snapshot = { at: chain.offset - 1, model: chain.base };
    if (cursor && cursor.at <= at) from = cursor;
    let cp: Checkpoint | null = null;
    for (const c of chain.checkpoints) if (c.at <= at && (!cp || c.at > cp.at)) cp = c;
    // A checkpoint well ahead of the cursor saves more patches than a copy costs.
    if (cp && (from !== cursor || cp.at - from.at > chain.every / 2)) {
      cp.used = ++this.useClock;
      from = cp;
    }
    if (view) {
      const c: Cursor =
        cursor && from === cursor
          ? cursor
          : { at: from.at, model: this.copy(from.model), undo: [], undoSize: 0 };
      for (let a = c.at + 1; a <= at; a++) {
        const u = applyPatchUndoable(c.model, chain.steps[a - chain.offset] as TreePatch);
        this.stats.patchesApplied++;
        c.undo.push(u);
        c.undoSize += u.size;
        while (c.undo.length > chain.every || c.undoSize > MAX_UNDO_SIZE) {
          c.undoSize -= (c.undo.shift() as PatchUndo).size;
        }
        // Checkpoints are taken while the timeline moves, not by one-off states (the newest state shown
        // on first render, a diff base): a first render does not pay for copies it may never use.
        if ((a + 1) % chain.every === 0) this.checkpoint(chain, a, c.model);
      }
      c.at = at;
      c.model.meta.ts = ts;
      chain.cursor = c;
      return c.model;
    }
    const snap: Snapshot = { at: from.at, model: this.copy(from.model) };
    for (let a = snap.at + 1; a <= at; a++) {
      applyPatch(snap.model, chain.steps[a - chain.offset] as TreePatch);
      this.stats.patchesApplied++;
    }
    snap.at = at;
    snap.model.meta.ts = ts;
    chain.out = snap;
    return snap.model;
  }

  private copy(model: TreeModel): TreeModel {
    this.stats.copies++;
    return cloneModel(model);
  }

  private checkpoint(chain: Chain, at: number, model: TreeModel): void {
    if (chain.checkpoints.some((c) => c.at === at)) return;
    const budget = this.limits.maxCheckpointNodes;
    if (model.nodes.size > budget) return;
    let used = model.nodes.size + this.checkpointNodes;
    while (used > budget) {
      // Evict the least recently used checkpoint of any chain.
      let victim: { chain: Chain; cp: Checkpoint } | null = null;
      for (const c of this.chains()) {
        for (const k of c.checkpoints) if (!victim || k.used < victim.cp.used) victim = { chain: c, cp: k };
      }
      if (!victim) break;
      victim.chain.checkpoints = victim.chain.checkpoints.filter((k) => k !== victim.cp);
      used -= victim.cp.model.nodes.size;
    }
    chain.checkpoints.push({ at, model: this.copy(model), used: ++this.useClock });
  }
}
