/** Live query handlers: fold inspect messages into the data/ builders' state. */
import type { DataFrame } from '@grafana/data';
import { FRAME_LIMITS } from '@collabblocks/protocol';

import { infoNotice, type Notice, rowCap, truncatedNotice } from '../data/common';
import { buildDocHeatmapFrame, DocHeatmap } from '../data/docHeatmap';
import { buildHeatmapFrame, HeatmapGrid } from '../data/heatmap';
import { gapUpdateRow, LogWindow, trafficGapRow, trafficRow, updateMatches, updateRow } from '../data/logs';
import { MetricsWindow } from '../data/metrics';
import { buildPresenceFrame, PresenceState } from '../data/presence';
import { buildTreeFrame, TreeState } from '../data/tree';
import { matchesFilter, type RunContext, selectionOf } from './context';
import type { LiveHandler } from './live';

export function presenceHandler(ctx: RunContext): LiveHandler {
  const state = new PresenceState(ctx.room);
  return {
    onEvent(ev) {
      const m = ev.msg;
      if (m.type !== 'presenceSnapshot' && m.type !== 'presencePatch') return false;
      state.apply(ev.pod, m);
      return true;
    },
    onPodLost: (pod) => state.dropPod(pod),
    frames: () => [
      buildPresenceFrame(state.rows(), {
        refId: ctx.refId,
        room: ctx.room,
        ts: state.ts,
        scope: ctx.scope(),
      }),
    ],
  };
}

export function heatmapHandler(ctx: RunContext): LiveHandler {
  const grid = new HeatmapGrid(ctx.gridSize);
  const state = new PresenceState(ctx.room);
  return {
    onEvent(ev) {
      const m = ev.msg;
      if (m.type !== 'presenceSnapshot' && m.type !== 'presencePatch') return false;
      const { moved } = state.apply(ev.pod, m);
      for (const u of moved) if (u.cursor) grid.add(u.cursor.x, u.cursor.y);
      return true;
    },
    frames: () => [buildHeatmapFrame(grid, { refId: ctx.refId, room: ctx.room })],
  };
}

/**
 * Document heatmap (block × time): presence gives the root, its block count and (measure `presence`) a
 * caret sample per located user in every presence message; measure `edits` joins each update's changed
 * paths with the root's top-level blocks. Subscribes presence and, for edits, updates.
 */
export function docHeatmapHandler(
  ctx: RunContext,
  measure: 'presence' | 'edits',
  bucketMs: number
): LiveHandler {
  const map = new DocHeatmap(measure, { bucketMs });
  const state = new PresenceState(ctx.room);
  return {
    onEvent(ev) {
      const m = ev.msg;
      if (m.type === 'presenceSnapshot' || m.type === 'presencePatch') {
        const { moved } = state.apply(ev.pod, m);
        if (measure === 'presence') map.addPresence(moved, m.ts);
        else for (const u of moved) map.observeLocation(u);
        return measure === 'presence';
      }
      if (m.type === 'updates' && measure === 'edits') {
        for (const u of m.items) map.addUpdate(u);
        return true;
      }
      return false;
    },
    onPodLost: (pod) => state.dropPod(pod),
    frames: () => [buildDocHeatmapFrame(map, { refId: ctx.refId, room: ctx.room })],
  };
}

/**
 * Tree: every pod is subscribed (a pod without the room loaded answers with
 * the stored state); the pod that last sent a live patch — else the first
 * complete snapshot — is shown.
 */
export function treeHandler(ctx: RunContext): LiveHandler {
  const trees = new Map<string, TreeState>();
  let active: string | null = null;
  let truncated = 0;
  let selected = 0;
  let rootMissing = false;
  const sel = selectionOf(ctx);
  // Prefer the pod with the latest live patch (the room is loaded there), then the biggest tree
  // (pods without the room answer with their stored state, possibly empty), then the current choice.
  const pick = (): [string, TreeState] | null => {
    let best: [string, TreeState] | null = null;
    for (const [pod, t] of trees) {
      if (!t.complete) continue;
      if (!best) {
        best = [pod, t];
        continue;
      }
      const b = best[1];
      const better =
        t.lastPatchAt !== b.lastPatchAt
          ? t.lastPatchAt > b.lastPatchAt
          : t.total !== b.total
            ? t.total > b.total
            : pod === active;
      if (better) best = [pod, t];
    }
    return best;
  };
  return {
    onEvent(ev) {
      const m = ev.msg;
      if (m.type !== 'treeSnapshot' && m.type !== 'treePatch') return false;
      let t = trees.get(ev.pod);
      if (!t) {
        t = new TreeState();
        trees.set(ev.pod, t);
      }
      if (m.type === 'treeSnapshot') t.applySnapshot(m);
      else t.applyPatch(m);
      const p = pick();
      active = p?.[0] ?? null;
      return t.complete;
    },
    onPodLost: (pod) => trees.delete(pod),
    frames(): DataFrame[] {
      const p = pick();
      if (!p) return [];
      const [pod, t] = p;
      // The selection is taken before the row cap: a subtree of a huge document fits.
      const { nodes, rootFound } = t.select(sel);
      const r = buildTreeFrame(nodes, {
        refId: ctx.refId,
        kind: 'tree',
        room: ctx.room,
        pod,
        ts: t.ts,
        ...(t.seq !== undefined ? { seq: t.seq } : {}),
        complete: t.complete,
        scope: ctx.scope(),
        subtree: { ...sel, rootFound },
      });
      truncated = r.truncated;
      selected = nodes.length;
      rootMissing = !rootFound;
      return [r.frame];
    },
    notices: () => {
      const out: Notice[] = [];
      if (truncated > 0) out.push(truncatedNotice('tree', selected, FRAME_LIMITS.maxRows));
      if (rootMissing)
        out.push(
          infoNotice(
            `tree: no node at "${ctx.rootPath}" (yet) — the frame fills in when it is created; check the root path`
          )
        );
      return out;
    },
  };
}

export function updatesHandler(ctx: RunContext): LiveHandler {
  const win = new LogWindow('updates', {
    refId: ctx.refId,
    room: ctx.room,
    capacity: rowCap(ctx.maxDataPoints),
  });
  return {
    onEvent(ev) {
      const m = ev.msg;
      if (m.type === 'resync') {
        win.add(
          gapUpdateRow(
            ev.pod,
            ctx.room,
            Date.now(),
            `resync (${m.reason}): ${m.dropped} update messages dropped`
          )
        );
        return true;
      }
      if (m.type !== 'updates') return false;
      const scope = ctx.scope();
      let added = false;
      for (const u of m.items) {
        if (!updateMatches(ctx.filter, u)) continue;
        win.add(updateRow(ev.pod, ctx.room, u, scope));
        added = true;
      }
      return added;
    },
    frames: () => [win.frame],
  };
}

export function trafficHandler(ctx: RunContext): LiveHandler {
  const win = new LogWindow('traffic', {
    refId: ctx.refId,
    room: ctx.room,
    capacity: rowCap(ctx.maxDataPoints),
  });
  return {
    onEvent(ev) {
      const m = ev.msg;
      if (m.type !== 'traffic') return false;
      let added = false;
      for (const f of m.frames) {
        const row = trafficRow(ev.pod, ctx.room, f);
        if (!matchesFilter(ctx.filter, String(row.body), f.kind, f.conn)) continue;
        win.add(row);
        added = true;
      }
      if (m.dropped > 0) {
        const last = m.frames[m.frames.length - 1];
        win.add(trafficGapRow(ev.pod, ctx.room, last?.ts ?? Date.now(), m.dropped));
        added = true;
      }
      return added;
    },
    frames: () => [win.frame],
  };
}

export function metricsHandler(ctx: RunContext): LiveHandler {
  const windows = new Map<string, MetricsWindow>();
  return {
    onEvent(ev) {
      const m = ev.msg;
      if (m.type !== 'metrics') return false;
      let w = windows.get(ev.pod);
      if (!w) {
        w = new MetricsWindow({
          refId: ctx.refId,
          room: ctx.room,
          pod: ev.pod,
          capacity: rowCap(ctx.maxDataPoints),
        });
        windows.set(ev.pod, w);
      }
      w.add(m);
      return true;
    },
    frames: () => [...windows.values()].map((w) => w.frame),
  };
}
