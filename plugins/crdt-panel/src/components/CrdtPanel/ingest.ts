/**
 * Frame ingestion for the panel (kept out of React): the live tree (folded in place), historyTree
 * keyframes, update summaries, and what changed with the latest emission (for the flash).
 */
import type { DataFrame } from '@grafana/data';

import { frameKind, refreshFromFrame, treeFromFrame } from '../../data/frame';
import { TreeHistory } from '../../data/history';
import type { TreeModel } from '../../data/model';
import { patchPaths } from '../../data/patch';
import { mergeUpdates, updatesFromFrame, type UpdateEntry } from '../../data/updates';

export class PanelStore {
  live: TreeModel | null = null;
  readonly history = new TreeHistory();
  updates: UpdateEntry[] = [];
  /** Latest historyTree state (shown when there is no live tree). */
  latestKeyframe: TreeModel | null = null;
  private keyframeFrames = new WeakSet<DataFrame>();
  private lastSeries: DataFrame[] | null = null;
  private lastUpdateId: string | null = null;

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

  private ingestSeries(series: DataFrame[]): string[] {
    this.lastSeries = series;
    const changed: string[] = [];
    const updateLists: UpdateEntry[][] = [];
    let sawUpdates = false;
    for (const frame of series) {
      const kind = frameKind(frame);
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
        this.keyframeFrames.add(frame);
        const m = treeFromFrame(frame);
        if (m) {
          this.history.addKeyframe(m);
          if (!this.latestKeyframe || m.meta.ts >= this.latestKeyframe.meta.ts) this.latestKeyframe = m;
        }
      } else if (kind === 'updates' || kind === 'history') {
        sawUpdates = true;
        updateLists.push(updatesFromFrame(frame));
      }
    }
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

  current(): TreeModel | null {
    return this.live ?? this.latestKeyframe;
  }
}
