/**
 * Time travel. The panel receives full tree states: `historyTree` frames (the
 * document at their `ts`, rebuilt by the pod from snapshot + update log) and
 * every live `tree` emission. It keeps historyTree states as keyframes and the
 * live stream as one base state plus the patch between consecutive emissions
 * (bounded: the oldest patches fold into the base). The document at instant t
 * is the newest known state at or before t: the nearest keyframe or the live
 * base with the patches up to t applied forward.
 */
import { applyPatch, computePatch, isEmptyPatch, type TreePatch } from './patch';
import { cloneModel, type TreeModel } from './model';

export interface StateAt {
  model: TreeModel;
  /** Instant of the state shown (≤ the requested instant unless `before` is true). */
  ts: number;
  source: 'keyframe' | 'live';
  /** True when nothing was known at or before the instant and the earliest state is shown instead. */
  before: boolean;
}

export class TreeHistory {
  private keyframes: Array<{ ts: number; model: TreeModel }> = [];
  private base: TreeModel | null = null;
  private steps: TreePatch[] = [];
  private last: TreeModel | null = null;

  constructor(
    private readonly maxSteps = 2_000,
    private readonly maxKeyframes = 20
  ) {}

  /** A historyTree state (replaces one at the same instant). */
  addKeyframe(model: TreeModel): void {
    const ts = model.meta.ts;
    this.keyframes = this.keyframes.filter((k) => k.ts !== ts);
    this.keyframes.push({ ts, model });
    this.keyframes.sort((a, b) => a.ts - b.ts);
    if (this.keyframes.length > this.maxKeyframes) this.keyframes.shift();
  }

  /**
   * A live state: a patch against the previous live state is recorded. The previous live state may be
   * the caller's own model (mutated in place by a refresh: call `beforeMutate` first, then
   * `pushKnownPatch`). Returns the patch (null for the first state or no change).
   */
  pushLive(model: TreeModel): TreePatch | null {
    if (!this.base || !this.last || model.meta.ts < this.last.meta.ts) {
      // First state, or time went backwards (another pod's clock, a reload): (re)start the live chain.
      // The model is kept by reference until someone mutates it (see beforeMutate): no copy on first render.
      this.base = model;
      this.last = model;
      this.steps = [];
      return null;
    }
    if (this.last === model) return null;
    const patch = computePatch(this.last, model);
    if (isEmptyPatch(patch)) return null;
    if (this.base === this.last) this.base = cloneModel(this.base);
    this.steps.push(patch);
    applyPatch(this.last, patch);
    this.last.meta = { ...model.meta };
    while (this.steps.length > this.maxSteps) {
      applyPatch(this.base, this.steps.shift() as TreePatch);
    }
    return patch;
  }

  /** Call before mutating in place a model given to pushLive, so the recorded base stays as it was. */
  beforeMutate(model: TreeModel): void {
    if (this.base === model) this.base = cloneModel(model);
  }

  /**
   * A live state whose patch from the previous live state is already known (a snapshot refreshed in
   * place: only values changed) — skips the O(nodes) comparison of `pushLive`.
   */
  pushKnownPatch(model: TreeModel, patch: TreePatch): TreePatch | null {
    if (!this.base || !this.last || model.meta.ts < this.last.meta.ts) return this.pushLive(model);
    if (isEmptyPatch(patch)) return null;
    if (this.base === this.last) this.base = cloneModel(this.base);
    this.steps.push(patch);
    applyPatch(this.last, patch);
    this.last.meta = { ...model.meta };
    while (this.steps.length > this.maxSteps) {
      applyPatch(this.base, this.steps.shift() as TreePatch);
    }
    return patch;
  }

  clear(): void {
    this.keyframes = [];
    this.base = null;
    this.last = null;
    this.steps = [];
  }

  /** Instants of every known state (sorted, unique). */
  instants(): number[] {
    const s = new Set<number>(this.keyframes.map((k) => k.ts));
    if (this.base) s.add(this.base.meta.ts);
    for (const p of this.steps) s.add(p.ts);
    return [...s].sort((a, b) => a - b);
  }

  get liveSteps(): number {
    return this.steps.length;
  }

  stateAt(t: number): StateAt | null {
    let key: { ts: number; model: TreeModel } | undefined;
    for (const k of this.keyframes) if (k.ts <= t) key = k;
    let liveTs = -Infinity;
    let upto = -1;
    if (this.base && this.base.meta.ts <= t) {
      liveTs = this.base.meta.ts;
      for (let i = 0; i < this.steps.length; i++) {
        const s = this.steps[i] as TreePatch;
        if (s.ts > t) break;
        upto = i;
        liveTs = s.ts;
      }
    }
    if (key && key.ts >= liveTs) return { model: key.model, ts: key.ts, source: 'keyframe', before: false };
    if (this.base && liveTs > -Infinity) {
      const m = cloneModel(this.base);
      for (let i = 0; i <= upto; i++) applyPatch(m, this.steps[i] as TreePatch);
      m.meta.ts = liveTs;
      return { model: m, ts: liveTs, source: 'live', before: false };
    }
    // Nothing at or before t: the earliest state known.
    const first = this.keyframes[0];
    if (first && (!this.base || first.ts <= this.base.meta.ts)) {
      return { model: first.model, ts: first.ts, source: 'keyframe', before: true };
    }
    if (this.base)
      return { model: cloneModel(this.base), ts: this.base.meta.ts, source: 'live', before: true };
    return null;
  }
}
