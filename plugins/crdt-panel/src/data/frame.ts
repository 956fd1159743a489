/**
 * Frames → models. Picks the collab frames out of a response by
 * `meta.custom.collabFrame` (tree, historyTree, updates, history) and reads
 * them by the field names of the contract. Bad or missing columns give
 * defaults, never a crash.
 */
import type { DataFrame, Field } from '@grafana/data';
import {
  collabFrameKind,
  TREE_FIELDS as F,
  TREE_STEP_FIELDS,
  type CollabFrameKind,
} from '@collabblocks/protocol';

import { buildModel, emptyMeta, type TreeMeta, type TreeModel, type TreeNodeModel } from './model';

type Values = ArrayLike<unknown>;

export function col(frame: DataFrame, name: string): Values | undefined {
  const f: Field | undefined = frame.fields.find((x) => x.name === name);
  return f?.values as Values | undefined;
}

/** The frame's `meta.custom` ({} when absent). */
export function custom(frame: DataFrame): Record<string, unknown> {
  const c = (frame.meta as { custom?: unknown } | undefined)?.custom;
  return c && typeof c === 'object' ? (c as Record<string, unknown>) : {};
}

export function frameKind(frame: DataFrame): CollabFrameKind | undefined {
  const kind = collabFrameKind(frame.meta as { custom?: Record<string, unknown> } | undefined);
  if (kind !== undefined) return kind;
  // Other sources (static frames, a table): tree steps when rows carry an op and a seq, a tree when it has
  // path + parentPath, updates when it has paths.
  if (col(frame, TREE_STEP_FIELDS.op) && col(frame, TREE_STEP_FIELDS.seq) && col(frame, F.path)) {
    return 'treeSteps';
  }
  if (col(frame, F.path) && col(frame, F.parentPath)) return 'tree';
  if (col(frame, 'paths') && col(frame, 'timestamp')) return 'updates';
  return undefined;
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v));
export const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
export const numOrNull = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;

export function treeMeta(frame: DataFrame, rows: number): TreeMeta {
  const c = custom(frame);
  const meta = emptyMeta(num(c.ts));
  meta.room = str(c.room);
  meta.pod = str(c.pod);
  if (typeof c.seq === 'number') meta.seq = c.seq;
  meta.complete = c.complete !== false;
  meta.total = typeof c.total === 'number' ? c.total : rows;
  meta.truncated = c.truncated === true;
  meta.scope = c.scope === 'content' ? 'content' : 'metadata';
  if (typeof c.rootPath === 'string' && c.rootPath !== '') meta.rootPath = c.rootPath;
  if (typeof c.maxDepth === 'number' && Number.isInteger(c.maxDepth) && c.maxDepth >= 0) {
    meta.maxDepth = c.maxDepth;
  }
  if (c.rootFound === false) meta.rootFound = false;
  return meta;
}

/** Row reader over the TREE_FIELDS columns of a tree, historyTree or treeSteps frame. */
export interface TreeColumns {
  length: number;
  path: Values;
  get: (i: number) => TreeNodeModel;
  /** True when row i still describes `n` (no allocation). */
  same: (i: number, n: TreeNodeModel) => boolean;
}

/** Reads the tree rows of a frame by contract field names (null without a `path` field). */
export function treeColumns(frame: DataFrame): TreeColumns | null {
  const path = col(frame, F.path);
  if (!path) return null;
  const empty: Values = [];
  const c = (n: string): Values => col(frame, n) ?? empty;
  const parent = c(F.parentPath);
  const depth = c(F.depth);
  const key = c(F.key);
  const type = c(F.type);
  const size = c(F.size);
  const itemCount = c(F.itemCount);
  const deleted = c(F.deleted);
  const children = c(F.children);
  const lastClient = c(F.lastClient);
  const lastClock = c(F.lastClock);
  const lastTime = c(F.lastTime);
  const valueType = c(F.valueType);
  const nodeName = c(F.nodeName);
  const value = c(F.value);
  const attrs = c(F.attrs);
  const runs = c(F.runs);
  const binding = c(F.binding);
  const guid = c(F.guid);
  const eqNum = (v: unknown, x: number) => (typeof v === 'number' && Number.isFinite(v) ? v : 0) === x;
  const eqNull = (v: unknown, x: number | null) =>
    (typeof v === 'number' && Number.isFinite(v) ? v : null) === x;
  const eqStr = (v: unknown, x: string) => (typeof v === 'string' ? v === x : str(v) === x);
  return {
    length: path.length,
    path,
    same: (i, n) =>
      eqStr(value[i], n.value) &&
      eqNull(lastClock[i], n.lastClock) &&
      eqNum(size[i], n.size) &&
      eqNum(itemCount[i], n.itemCount) &&
      eqNum(deleted[i], n.deleted) &&
      eqNum(children[i], n.children) &&
      eqNull(lastClient[i], n.lastClient) &&
      eqNull(lastTime[i], n.lastTime) &&
      (str(type[i]) || 'unknown') === n.type &&
      eqStr(key[i], n.key) &&
      eqNum(depth[i], n.depth) &&
      eqStr(valueType[i], n.valueType) &&
      eqStr(nodeName[i], n.nodeName) &&
      eqStr(attrs[i], n.attrs) &&
      eqStr(runs[i], n.runs) &&
      eqStr(binding[i], n.binding) &&
      eqStr(guid[i], n.guid) &&
      (parent.length === 0 || eqStr(parent[i], n.parent)),
    get: (i) => {
      const p = str(path[i]);
      const par = parent.length ? str(parent[i]) : p.slice(0, Math.max(0, p.lastIndexOf('/')));
      return {
        path: p,
        parent: par,
        depth: num(depth[i]),
        key: str(key[i]),
        type: str(type[i]) || 'unknown',
        size: num(size[i]),
        itemCount: num(itemCount[i]),
        deleted: num(deleted[i]),
        children: num(children[i]),
        lastClient: numOrNull(lastClient[i]),
        lastClock: numOrNull(lastClock[i]),
        lastTime: numOrNull(lastTime[i]),
        valueType: str(valueType[i]),
        nodeName: str(nodeName[i]),
        value: str(value[i]),
        attrs: str(attrs[i]),
        runs: str(runs[i]),
        binding: str(binding[i]),
        guid: str(guid[i]),
      };
    },
  };
}

/** A tree model from a tree/historyTree frame (null when it has no `path` field). */
export function treeFromFrame(frame: DataFrame): TreeModel | null {
  const cols = treeColumns(frame);
  if (!cols) return null;
  const nodes: TreeNodeModel[] = new Array(cols.length);
  for (let i = 0; i < cols.length; i++) nodes[i] = cols.get(i);
  return buildModel(nodes, treeMeta(frame, cols.length));
}

/**
 * Folds a new snapshot frame into `prev` in place when the structure is the same (same paths in the same
 * order): only changed nodes are replaced. Returns the paths that changed, or null when the structure
 * differs — then `prev` is left untouched (the caller rebuilds with `treeFromFrame`; `prev` may still be
 * the history's previous live state, so it must not take any of the new rows).
 */
export function refreshFromFrame(prev: TreeModel, frame: DataFrame): string[] | null {
  const cols = treeColumns(frame);
  if (!cols || cols.length !== prev.nodes.size) return null;
  // One pass checks every path and notes the changed rows; nothing is written until the whole structure
  // is known to match.
  const rows: number[] = [];
  let r = 0;
  for (const old of prev.nodes.values()) {
    if (cols.path[r] !== old.path) return null;
    if (!cols.same(r, old)) rows.push(r);
    r++;
  }
  const changed: string[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const n = cols.get(rows[i] as number);
    prev.nodes.set(n.path, n);
    changed[i] = n.path;
  }
  prev.meta = treeMeta(frame, cols.length);
  if (changed.length > 0) prev.version++;
  return changed;
}
