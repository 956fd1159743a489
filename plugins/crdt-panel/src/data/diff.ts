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
  /** Added nodes as they are in `after` (parents first). */
  addedNodes: TreeNodeModel[];
  /** Changed nodes as they are in `after`. */
  changedNodes: TreeNodeModel[];
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
    addedNodes: patch.added,
    changedNodes: patch.changed,
    removedNodes,
  };
}

const LABELS: ReadonlyArray<[keyof TreeNodeModel, string]> = [
  ['type', 'type'],
  ['key', 'key'],
  ['nodeName', 'element'],
  ['attrs', 'attributes'],
  ['runs', 'formatting'],
  ['valueType', 'value type'],
  ['value', 'value'],
  ['size', 'size'],
  ['itemCount', 'items'],
  ['deleted', 'tombstones'],
  ['children', 'children'],
  ['lastClient', 'last client'],
  ['lastClock', 'last clock'],
  ['lastTime', 'last change'],
];

const MAX_SHOWN = 40;

function show(v: unknown, field: keyof TreeNodeModel, fmtTime?: (t: number) => string): string {
  if (v === null || v === '') return '—';
  if (field === 'lastTime' && typeof v === 'number' && fmtTime) return fmtTime(v);
  if (typeof v === 'string') return JSON.stringify(v.length > MAX_SHOWN ? `${v.slice(0, MAX_SHOWN)}…` : v);
  return String(v);
}

/**
 * Fields that differ between two versions of a node, for a tooltip or a list ("size 3 → 5",
 * `value "a" → "b"`; strings shortened). `fmtTime` formats the last change instant (dashboard time zone).
 */
export function describeChange(
  before: TreeNodeModel | undefined,
  after: TreeNodeModel | undefined,
  fmtTime?: (t: number) => string
): string[] {
  if (!before || !after) return [];
  const out: string[] = [];
  for (const [f, label] of LABELS) {
    if (before[f] !== after[f])
      out.push(`${label} ${show(before[f], f, fmtTime)} → ${show(after[f], f, fmtTime)}`);
  }
  return out;
}
