/** Diff of two tree states (e.g. the document at two instants). */
import { computePatch } from './patch';
import type { TreeModel, TreeNodeModel } from './model';

export type DiffKind = 'added' | 'removed' | 'changed';

export interface TreeDiff {
  /** Path → kind for every node that differs (removed includes whole removed subtrees). */
  kinds: Map<string, DiffKind>;
  added: number;
  removed: number;
  changed: number;
  /** Removed nodes as they were in `before` (pre-order). */
  removedNodes: TreeNodeModel[];
}

export function diffTrees(before: TreeModel, after: TreeModel): TreeDiff {
  const patch = computePatch(before, after);
  const kinds = new Map<string, DiffKind>();
  for (const n of patch.added) kinds.set(n.path, 'added');
  for (const n of patch.changed) kinds.set(n.path, 'changed');
  const removedNodes: TreeNodeModel[] = [];
  for (const [p, n] of before.nodes) {
    if (!after.nodes.has(p)) {
      kinds.set(p, 'removed');
      removedNodes.push(n);
    }
  }
  return {
    kinds,
    added: patch.added.length,
    removed: removedNodes.length,
    changed: patch.changed.length,
    removedNodes,
  };
}

/** Fields that differ between two versions of a node, for a tooltip ("size 3→5, value a→b"). */
export function describeChange(
  before: TreeNodeModel | undefined,
  after: TreeNodeModel | undefined
): string[] {
  if (!before || !after) return [];
  const out: string[] = [];
  for (const f of ['type', 'size', 'itemCount', 'deleted', 'children', 'value'] as const) {
    if (before[f] !== after[f]) out.push(`${f} ${String(before[f])} → ${String(after[f])}`);
  }
  return out;
}
