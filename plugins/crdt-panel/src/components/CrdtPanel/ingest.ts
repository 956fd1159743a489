/**
 * Frame ingestion for the panel (kept out of React): the live tree (folded in place), historyTree
 * keyframes with their replayed steps (treeSteps), update summaries, and what changed with the latest
 * emission (for the flash).
 */
import type { DataFrame } from '@grafana/data';

import { custom, frameKind, refreshFromFrame, str, treeFromFrame } from '../../data/frame';
import { TreeHistory } from '../../data/history';
import type { TreeModel } from '../../data/model';
import { patchPaths } from '../../data/patch';
import { stepsFromFrame, updatesFromSteps, type TreeSteps } from '../../data/steps';
import { mergeUpdates, updatesFromFrame, type UpdateEntry } from '../../data/updates';
import { UserColors } from '../../data/userColors';

const MAX_PENDING_STEPS = 8;

/** Which frame kinds name the document shown, most authoritative first. */
const ROOM_PRIORITY = ['tree', 'historyTree', 'treeSteps', 'updates', 'history'] as const;

/**
 * The room a response is about: the room of its live tree, else of its historyTree, treeSteps, updates or
 * history frames ('' when no frame names one).
 */
export function responseRoom(series: DataFrame[]): string {
  let best = '';
  let rank: number = ROOM_PRIORITY.length;
  for (const frame of series) {
    const kind = frameKind(frame);
    const r = kind === undefined ? -1 : (ROOM_PRIORITY as readonly string[]).indexOf(kind);
    if (r < 0 || r >= rank) continue;
    const room = str(custom(frame).room);
    if (room === '') continue;
    best = room;
    rank = r;
  }
  return best;
}

export class PanelStore {
  live: TreeModel | null = null;
  readonly history = new TreeHistory();
  updates: UpdateEntry[] = [];
  /** The colour each client publishes (from presence frames of the room, when the panel has a presence query). */
  readonly colors = new UserColors();
  /** Latest historyTree state. */
  latestKeyframe: TreeModel | null = null;
  private newest: { revision: number; model: TreeModel | null } | null = null;
  private keyframeFrames = new WeakMap<DataFrame, TreeModel | null>();
  private stepsFrames = new WeakMap<DataFrame, TreeSteps | null>();
  /** Replays whose historyTree state has not arrived yet (bounded). */
  private pendingSteps: TreeSteps[] = [];
  private lastSeries: DataFrame[] | null = null;
  private lastUpdateId: string | null = null;

  /** The room shown ('' until a frame names one). */
  room = '';
  /**
   * Bumped when the room changes: everything known about the previous room (live history, keyframes,
   * replays, updates) is dropped, and the panel resets its instant, diff base and selection.
   */
  epoch = 0;

  /** Duration of the last ingest that did work (ms; exposed for the benchmark). */
  lastIngestMs = 0;

  /** Folds a new `data.series`; returns the paths changed by it (for the flash). */
  ingest(series: DataFrame[]): string[] {
    if (series === this.lastSeries) return [];
    const t0 = performance.now();
    const changed = this.ingestSeries(series);
    this.lastIngestMs = performance.now() - t0;
    return changed;
  }

  /** Forgets everything about the room shown (another room is coming). */
  private reset(): void {
    this.live = null;
    this.history.clear();
    this.updates = [];
    this.latestKeyframe = null;
    this.newest = null;
    this.pendingSteps = [];
    this.lastUpdateId = null;
    this.keyframeFrames = new WeakMap();
    this.stepsFrames = new WeakMap();
    this.colors.clear();
    this.epoch++;
  }

  private ingestSeries(series: DataFrame[]): string[] {
    this.lastSeries = series;
    // A new room (e.g. the dashboard's room variable changed): start over, so the new document is not
    // recorded as a patch of the old one and the update list does not mix rooms.
    const room = responseRoom(series);
    if (room !== '') {
      if (this.room !== '' && room !== this.room) this.reset();
      this.room = room;
    }
    this.colors.ingest(series, this.room);
    const changed: string[] = [];
    const updateLists: UpdateEntry[][] = [];
    let sawUpdates = false;
    let newKeyframe = false;
    const stepFrames: DataFrame[] = [];
    for (const frame of series) {
      const kind = frameKind(frame);
      // Frames of another room (a query still streaming the previous room) are left out.
      if (kind !== undefined && this.room !== '') {
        const r = str(custom(frame).room);
        if (r !== '' && r !== this.room) continue;
      }
      if (kind === 'tree') {
        let refreshed: string[] | null = null;
        if (this.live) {
          this.history.beforeMutate(this.live);
          refreshed = refreshFromFrame(this.live, frame);
          if (refreshed === null) {
            const next = treeFromFrame(frame);
            if (next) this.live = next;
          }
        } else {
          this.live = treeFromFrame(frame);
        }
        const live = this.live;
        if (live) {
          if (live.meta.ts === 0) live.meta.ts = Date.now();
          const patch =
            refreshed === null
              ? this.history.pushLive(live)
              : this.history.pushKnownPatch(live, {
                  ts: live.meta.ts,
                  ...(live.meta.seq !== undefined ? { seq: live.meta.seq } : {}),
                  added: [],
                  removed: [],
                  changed: refreshed.map((p) => live.nodes.get(p)).filter((n) => n !== undefined),
                });
          if (patch) changed.push(...patchPaths(patch));
        }
      } else if (kind === 'historyTree') {
        if (this.keyframeFrames.has(frame)) continue;
        const m = treeFromFrame(frame);
        this.keyframeFrames.set(frame, m);
        if (m) {
          this.history.addKeyframe(m);
          newKeyframe = true;
          if (!this.latestKeyframe || m.meta.ts >= this.latestKeyframe.meta.ts) this.latestKeyframe = m;
        }
      } else if (kind === 'treeSteps') {
        stepFrames.push(frame);
      } else if (kind === 'updates' || kind === 'history') {
        sawUpdates = true;
        updateLists.push(updatesFromFrame(frame));
      }
    }
    if (stepFrames.length > 0) this.ingestSteps(series, stepFrames, newKeyframe);
    else if (newKeyframe) this.attachPending();
    if (sawUpdates) {
      this.updates = mergeUpdates([this.updates, ...updateLists]);
      // Paths of updates that arrived since the last emission flash too.
      const idx = this.lastUpdateId === null ? -1 : this.updates.findIndex((u) => u.id === this.lastUpdateId);
      const fresh = this.lastUpdateId === null ? [] : this.updates.slice(idx + 1);
      for (const u of fresh.slice(-50)) changed.push(...u.paths);
      this.lastUpdateId = this.updates.at(-1)?.id ?? this.lastUpdateId;
    }
    return changed;
  }

  /**
   * Replays (after the historyTree frames of the response, which they build on). A new keyframe drops the
   * replay of the one it replaces, so the response's steps are attached again then.
   */
  private ingestSteps(series: DataFrame[], frames: DataFrame[], newKeyframe: boolean): void {
    for (const frame of frames) {
      const seen = this.stepsFrames.has(frame);
      if (seen && !newKeyframe) continue;
      let steps = this.stepsFrames.get(frame);
      if (!seen) {
        steps = stepsFromFrame(frame);
        this.stepsFrames.set(frame, steps);
        // The replayed updates join the update list (a history frame's entry for the same update wins).
        if (steps) this.updates = mergeUpdates([updatesFromSteps(steps), this.updates]);
      }
      if (!steps) continue;
      if (steps.meta.from === null) {
        // No `from`: the historyTree frame of the same query in this response is the base.
        const base = series.find((f) => f.refId === frame.refId && frameKind(f) === 'historyTree');
        const m = base ? this.keyframeFrames.get(base) : undefined;
        if (!m) continue;
        steps.meta.from = m.meta.ts;
      }
      if (!this.pendingSteps.includes(steps)) this.pendingSteps.push(steps);
      if (this.pendingSteps.length > MAX_PENDING_STEPS) this.pendingSteps.shift();
    }
    this.attachPending();
  }

  /** Pairs waiting replays with their keyframe (historyTree `ts` = the replay's `from`). */
  private attachPending(): void {
    this.pendingSteps = this.pendingSteps.filter(
      (p) =>
        p.meta.from === null ||
        !this.history.attachReplay(p.meta.from, p.meta.room, p.steps, {
          to: p.meta.to,
          truncated: p.meta.truncated,
        })
    );
  }

  /** The live document, else the newest known state (the end of a replay, or the newest keyframe). */
  current(): TreeModel | null {
    if (this.live) return this.live;
    if (this.newest === null || this.newest.revision !== this.history.revision) {
      const state = this.history.stateAt(Number.MAX_SAFE_INTEGER);
      this.newest = { revision: this.history.revision, model: state?.model ?? this.latestKeyframe };
    }
    return this.newest.model;
  }
}
