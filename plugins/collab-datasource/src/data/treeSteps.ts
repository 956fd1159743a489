/**
 * The treeSteps frame (contract: TREE_STEP_FIELDS / TreeStepsFrameCustom in @collabblocks/protocol
 * frames.ts): the tree patch of every update replayed after a historyTree instant, one row per
 * touched node, steps in log order. Pure: no I/O, no clock.
 */
import { createDataFrame, type DataFrame, FieldType } from '@grafana/data';
import {
  FRAME_LIMITS,
  isPathWithin,
  TREE_STEP_FIELDS as F,
  type HistoryTreeStep,
  type InspectScope,
  type TreeStepOp,
  type TreeStepsFrameCustom,
} from '@collabblocks/protocol';

import { collabMeta } from './common';
import { inSelection, type SubtreeSelection, treeFields, type TreeRowNode } from './tree';

/** Rows a step takes in the frame: one per added/changed/removed node, or one `none` row. */
export function stepRowCount(step: Pick<HistoryTreeStep, 'added' | 'changed' | 'removed'>): number {
  return Math.max(1, step.added.length + step.changed.length + step.removed.length);
}

/**
 * The steps as seen through a subtree/depth selection (query `rootPath` / `maxDepth`): nodes outside it are
 * dropped from `added`/`changed`/`removed`; removing an ancestor of the subtree root removes the root (the
 * whole subtree goes); steps left touching nothing in the selection are dropped (so is a step that changed
 * nothing visible at all). Paths stay absolute. Without a selection the steps are returned as they are.
 */
export function selectSteps(steps: readonly HistoryTreeStep[], sel: SubtreeSelection): HistoryTreeStep[] {
  if (sel.rootPath === '' && sel.maxDepth === undefined) return [...steps];
  const out: HistoryTreeStep[] = [];
  for (const s of steps) {
    const removed = new Set<string>();
    for (const p of s.removed) {
      if (sel.rootPath !== '' && p !== sel.rootPath && isPathWithin(sel.rootPath, p))
        removed.add(sel.rootPath);
      else if (inSelection(p, sel)) removed.add(p);
    }
    const added = s.added.filter((n) => inSelection(n.path, sel));
    const changed = s.changed.filter((n) => inSelection(n.path, sel));
    if (removed.size + added.length + changed.length === 0) continue;
    out.push({ ...s, added, changed, removed: [...removed] });
  }
  return out;
}

export interface TreeStepsFrameOptions {
  refId: string;
  room: string;
  pod: string;
  /** Instant of the base state (the historyTree frame's `ts`). */
  from: number;
  /** Instant replayed through (the request's `toTs`). */
  to: number;
  /** The pod replayed fewer updates than the range holds (its `maxSteps` bound). */
  truncated: boolean;
  scope: InspectScope;
  /** Row cap (default and ceiling FRAME_LIMITS.maxRows). */
  maxRows?: number;
  /** The selection the steps were filtered with (see selectSteps); recorded in `meta.custom`. */
  subtree?: SubtreeSelection;
}

export interface TreeStepsFrameResult {
  frame: DataFrame;
  /** Steps in the frame. */
  steps: number;
  /** Steps left out because the frame reached its row cap (whole steps only). */
  droppedSteps: number;
  /** Rows all steps would have needed. */
  totalRows: number;
}

/**
 * Builds the treeSteps frame. Rows are cut at a step boundary when the row cap is reached (a step is
 * never split: a half-applied step would show a document that never existed); then `truncated` is set.
 * When truncated (by the cap or by the pod), `to` is the time of the last step kept (`from` when none):
 * the last instant the frame replays exactly.
 * Values are kept only with `content` scope.
 */
export function buildTreeStepsFrame(
  steps: readonly HistoryTreeStep[],
  opts: TreeStepsFrameOptions
): TreeStepsFrameResult {
  const cap = Math.max(1, Math.min(FRAME_LIMITS.maxRows, Math.floor(opts.maxRows ?? FRAME_LIMITS.maxRows)));
  let kept = 0;
  let rowsKept = 0;
  let totalRows = 0;
  let full = false;
  for (const s of steps) {
    const n = stepRowCount(s);
    totalRows += n;
    // Whole steps only, and none after the first that does not fit (the steps stay contiguous).
    if (!full && rowsKept + n <= cap) {
      kept += 1;
      rowsKept += n;
    } else {
      full = true;
    }
  }
  const timestamp: number[] = [];
  const seq: number[] = [];
  const clientId: number[] = [];
  const op: TreeStepOp[] = [];
  const nodes: TreeRowNode[] = [];
  const push = (s: HistoryTreeStep, o: TreeStepOp, node: TreeRowNode): void => {
    timestamp.push(s.ts);
    seq.push(s.seq);
    clientId.push(s.clientId);
    op.push(o);
    nodes.push(node);
  };
  for (const s of steps.slice(0, kept)) {
    if (s.added.length + s.changed.length + s.removed.length === 0) {
      push(s, 'none', { path: '' });
      continue;
    }
    // Patch order: removals first, then additions (parents before children), then changes.
    for (const path of s.removed) push(s, 'removed', { path });
    for (const n of s.added) push(s, 'added', n);
    for (const n of s.changed) push(s, 'changed', n);
  }
  const truncated = opts.truncated || kept < steps.length;
  const last = steps[kept - 1];
  const custom: Omit<TreeStepsFrameCustom, 'collabFrame'> = {
    room: opts.room,
    pod: opts.pod,
    from: opts.from,
    to: truncated ? (last?.ts ?? opts.from) : opts.to,
    steps: kept,
    truncated,
    scope: opts.scope,
    rootPath: opts.subtree?.rootPath ?? '',
    maxDepth: opts.subtree?.maxDepth ?? null,
  };
  const frame = createDataFrame({
    refId: opts.refId,
    name: 'tree steps',
    meta: collabMeta('treeSteps', { ...custom }, { preferredVisualisationType: 'table' }),
    fields: [
      { name: F.time, type: FieldType.time, values: timestamp },
      { name: F.seq, type: FieldType.number, values: seq },
      { name: F.clientId, type: FieldType.number, values: clientId },
      { name: F.op, type: FieldType.string, values: op },
      ...treeFields(nodes, opts.scope),
    ],
  });
  return { frame, steps: kept, droppedSteps: steps.length - kept, totalRows };
}
