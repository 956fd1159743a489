/**
 * Tree patches (the inspect protocol's treePatch semantics): `added` nodes
 * (parents before children), `changed` node summaries, `removed` paths (a
 * removed path takes its whole subtree). `computePatch` gives the patch from
 * one state to another; `applyPatch` folds one into a model in place. An added
 * node whose parent is absent is a root (a subtree's root, see model.ts); one
 * whose parent arrives later moves under it.
 */
import { isPathWithin } from '@collabblocks/protocol';

import {
  attachDetached,
  isDetached,
  listKeyOf,
  sameNode,
  sortSiblings,
  type TreeModel,
  type TreeNodeModel,
} from './model';

export interface TreePatch {
  ts: number;
  seq?: number;
  /** Yjs client id of the update (replayed steps), when known. */
  clientId?: number;
  added: TreeNodeModel[];
  changed: TreeNodeModel[];
  removed: string[];
}

export function isEmptyPatch(p: TreePatch): boolean {
  return p.added.length === 0 && p.changed.length === 0 && p.removed.length === 0;
}

/** Paths a patch touches (added, changed, and removed roots). */
export function patchPaths(p: TreePatch): string[] {
  return [...p.added.map((n) => n.path), ...p.changed.map((n) => n.path), ...p.removed];
}

function removeSubtree(model: TreeModel, path: string): void {
  const node = model.nodes.get(path);
  if (!node) return;
  const key = listKeyOf(model, node);
  const stack = [path];
  while (stack.length > 0) {
    const p = stack.pop() as string;
    model.nodes.delete(p);
    const kids = model.childrenOf.get(p);
    if (kids) {
      for (const k of kids) stack.push(k);
      model.childrenOf.delete(p);
    }
  }
  const siblings = model.childrenOf.get(key);
  if (siblings) {
    const i = siblings.indexOf(path);
    if (i >= 0) siblings.splice(i, 1);
    if (siblings.length === 0) model.childrenOf.delete(key);
  }
}

/**
 * Applies a patch to `model` in place. An added node whose parent is absent becomes a root (a subtree's
 * root); roots whose parent the patch adds move under it.
 */
export function applyPatch(model: TreeModel, patch: TreePatch): TreeModel {
  for (const path of patch.removed) removeSubtree(model, path);
  const touchedParents = new Set<string>();
  for (const n of patch.added) {
    if (n.path === n.parent) continue;
    if (!model.nodes.has(n.path)) {
      const key = listKeyOf(model, n);
      const list = model.childrenOf.get(key);
      if (list) list.push(n.path);
      else model.childrenOf.set(key, [n.path]);
      touchedParents.add(key);
    }
    model.nodes.set(n.path, n);
  }
  if (patch.added.length > 0) attachDetached(model);
  for (const n of patch.changed) {
    const old = model.nodes.get(n.path);
    if (!old) continue;
    if (old.parent !== n.parent) continue;
    model.nodes.set(n.path, n);
  }
  for (const p of touchedParents) {
    const list = model.childrenOf.get(p);
    if (list) sortSiblings(model, list);
  }
  model.meta = { ...model.meta, ts: Math.max(model.meta.ts, patch.ts), total: model.nodes.size };
  if (patch.seq !== undefined) model.meta.seq = patch.seq;
  model.version++;
  if (patch.added.length > 0 || patch.removed.length > 0) model.structure++;
  return model;
}

/** What a patch overwrote in a model: enough to put the model back (see `applyPatchUndoable`). */
export interface PatchUndo {
  /** Path → node before the patch (undefined: absent). */
  nodes: Map<string, TreeNodeModel | undefined>;
  /** Parent path → child list before the patch (undefined: absent). */
  lists: Map<string, string[] | undefined>;
  meta: TreeModel['meta'];
  structural: boolean;
  /** Nodes and lists recorded (a size for bounding undo logs). */
  size: number;
}

/**
 * `applyPatch`, also returning what it overwrote so `undoPatch` can restore the model (nodes and child
 * order; the Map's insertion order of re-added paths may differ, which nothing reads).
 */
export function applyPatchUndoable(model: TreeModel, patch: TreePatch): PatchUndo {
  const nodes = new Map<string, TreeNodeModel | undefined>();
  const lists = new Map<string, string[] | undefined>();
  const keepNode = (p: string) => {
    if (!nodes.has(p)) nodes.set(p, model.nodes.get(p));
  };
  const keepList = (p: string) => {
    if (!lists.has(p)) lists.set(p, model.childrenOf.get(p)?.slice());
  };
  for (const path of patch.removed) {
    const node = model.nodes.get(path);
    if (!node) continue;
    keepList(listKeyOf(model, node));
    const stack = [path];
    while (stack.length > 0) {
      const p = stack.pop() as string;
      keepNode(p);
      keepList(p);
      for (const k of model.childrenOf.get(p) ?? []) stack.push(k);
    }
  }
  for (const n of patch.added) {
    keepNode(n.path);
    keepList(n.parent);
    if (isDetached(model, n)) keepList('');
  }
  // Roots that may move under a node the patch adds (see attachDetached).
  if (patch.added.length > 0) {
    for (const p of model.childrenOf.get('') ?? []) {
      const n = model.nodes.get(p);
      if (n && isDetached(model, n)) {
        keepList('');
        keepList(n.parent);
      }
    }
  }
  for (const n of patch.changed) keepNode(n.path);
  const undo: PatchUndo = {
    nodes,
    lists,
    meta: { ...model.meta },
    structural: patch.added.length > 0 || patch.removed.length > 0,
    size: nodes.size + lists.size,
  };
  applyPatch(model, patch);
  return undo;
}

/** Puts back what `applyPatchUndoable` recorded (undo the newest patch first). */
export function undoPatch(model: TreeModel, undo: PatchUndo): void {
  for (const [p, n] of undo.nodes) {
    if (n) model.nodes.set(p, n);
    else model.nodes.delete(p);
  }
  for (const [p, l] of undo.lists) {
    if (l) model.childrenOf.set(p, l.slice());
    else model.childrenOf.delete(p);
  }
  model.meta = { ...undo.meta };
  model.version++;
  if (undo.structural) model.structure++;
}

/** The patch turning `from` into `to` (removed = top-most removed paths only). */
export function computePatch(from: TreeModel, to: TreeModel): TreePatch {
  const added: TreeNodeModel[] = [];
  const changed: TreeNodeModel[] = [];
  const removed: string[] = [];
  for (const [p, n] of to.nodes) {
    const old = from.nodes.get(p);
    if (old === n) continue;
    if (!old) added.push(n);
    else if (!sameNode(old, n)) changed.push(n);
  }
  let lastRemoved: string | null = null;
  for (const [p, n] of from.nodes) {
    if (to.nodes.has(p)) continue;
    if (lastRemoved !== null && isPathWithin(p, lastRemoved)) continue;
    if (n.parent !== '' && !to.nodes.has(n.parent) && from.nodes.has(n.parent)) continue;
    removed.push(p);
    lastRemoved = p;
  }
  // Keep parents before children for additions (frames are pre-order; Map keeps insertion order).
  const patch: TreePatch = { ts: to.meta.ts, added, changed, removed };
  if (to.meta.seq !== undefined) patch.seq = to.meta.seq;
  return patch;
}
