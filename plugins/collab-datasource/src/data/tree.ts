import { createDataFrame, type DataFrame, type FieldDTO, FieldType } from '@grafana/data';
import {
  FRAME_LIMITS,
  isPathWithin,
  TREE_FIELDS as F,
  type InspectScope,
  type TreeNode,
  type TreePatchMessage,
  type TreeSnapshotMessage,
} from '@collabblocks/protocol';

import { collabMeta } from './common';

/**
 * A document tree folded from a chunked snapshot and the patches after it.
 * While a snapshot streams (chunk 0 .. last) the previous complete tree stays
 * visible; patches arriving before the last chunk are not possible (the pod
 * holds them), patches for an unknown parent are kept anyway (orphans are
 * dropped when the frame is built).
 */
export class TreeState {
  private nodes = new Map<string, TreeNode>();
  private pending: Map<string, TreeNode> | null = null;
  complete = false;
  total = 0;
  ts = 0;
  seq: number | undefined;
  /** Time of the last patch (0 when none). */
  lastPatchAt = 0;

  applySnapshot(msg: Pick<TreeSnapshotMessage, 'chunk' | 'last' | 'total' | 'nodes' | 'ts'>): void {
    if (msg.chunk === 0 || this.pending === null) this.pending = new Map();
    for (const n of msg.nodes) this.pending.set(n.path, n);
    if (msg.last) {
      this.nodes = this.pending;
      this.pending = null;
      this.complete = true;
      this.total = msg.total;
      this.ts = msg.ts;
    }
  }

  applyPatch(msg: Pick<TreePatchMessage, 'added' | 'changed' | 'removed' | 'ts' | 'seq'>): void {
    for (const path of msg.removed) {
      for (const p of [...this.nodes.keys()]) if (isPathWithin(p, path)) this.nodes.delete(p);
    }
    for (const n of msg.added) this.nodes.set(n.path, n);
    for (const n of msg.changed) this.nodes.set(n.path, n);
    this.total = this.nodes.size;
    this.ts = Math.max(this.ts, msg.ts);
    this.lastPatchAt = msg.ts;
    if (msg.seq !== undefined) this.seq = msg.seq;
  }

  /** Nodes in pre-order (parents first; indexed children by index, else insertion order). */
  ordered(): TreeNode[] {
    const children = new Map<string, TreeNode[]>();
    for (const n of this.nodes.values()) {
      const list = children.get(n.parent);
      if (list) list.push(n);
      else children.set(n.parent, [n]);
    }
    for (const list of children.values()) {
      list.sort((a, b) => (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER));
    }
    const out: TreeNode[] = [];
    const stack: TreeNode[] = [...(children.get('') ?? [])].reverse();
    while (stack.length > 0) {
      const n = stack.pop() as TreeNode;
      out.push(n);
      const kids = children.get(n.path);
      if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as TreeNode);
    }
    return out;
  }
}

/** A tree node's value as a frame string: strings as is, anything else as JSON ('' when absent). */
export function valueText(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/**
 * A row of TREE_FIELDS columns: a whole node, or only a path (a removed node of a tree step, '' for a step
 * without visible change). Missing members become '' (strings) or null (numbers, times).
 */
export type TreeRowNode = TreeNode | { path: string; parent?: undefined };

/**
 * The TREE_FIELDS columns of `rows`, in contract order; `value` only with `content` scope (metadata
 * frames never hold document content, whatever the pod sent).
 */
export function treeFields(rows: readonly TreeRowNode[], scope: InspectScope): FieldDTO[] {
  const content = scope === 'content';
  const full = (r: TreeRowNode): TreeNode | undefined => (r.parent !== undefined ? r : undefined);
  const str = (get: (n: TreeNode) => string | undefined): string[] =>
    rows.map((r) => {
      const n = full(r);
      return n ? (get(n) ?? '') : '';
    });
  const num = (get: (n: TreeNode) => number | undefined): Array<number | null> =>
    rows.map((r) => {
      const n = full(r);
      return n ? (get(n) ?? null) : null;
    });
  return [
    { name: F.path, type: FieldType.string, values: rows.map((r) => r.path) },
    { name: F.parentPath, type: FieldType.string, values: str((n) => n.parent) },
    { name: F.depth, type: FieldType.number, values: num((n) => n.depth) },
    { name: F.key, type: FieldType.string, values: str((n) => n.key) },
    { name: F.type, type: FieldType.string, values: str((n) => n.type) },
    { name: F.size, type: FieldType.number, values: num((n) => n.size) },
    { name: F.itemCount, type: FieldType.number, values: num((n) => n.itemCount) },
    { name: F.deleted, type: FieldType.number, values: num((n) => n.deleted) },
    { name: F.children, type: FieldType.number, values: num((n) => n.children) },
    { name: F.lastClient, type: FieldType.number, values: num((n) => n.lastClient) },
    { name: F.lastClock, type: FieldType.number, values: num((n) => n.lastClock) },
    { name: F.lastTime, type: FieldType.time, values: num((n) => n.lastTime) },
    { name: F.valueType, type: FieldType.string, values: str((n) => n.valueType) },
    { name: F.nodeName, type: FieldType.string, values: str((n) => n.nodeName) },
    { name: F.value, type: FieldType.string, values: str((n) => (content ? valueText(n.value) : '')) },
  ];
}

export interface TreeFrameResult {
  frame: DataFrame;
  truncated: number;
}

/** The flattened tree frame (contract: TREE_FIELDS); values only with `content` scope. */
export function buildTreeFrame(
  nodes: TreeNode[],
  opts: {
    refId: string;
    kind: 'tree' | 'historyTree';
    room: string;
    pod: string;
    ts: number;
    seq?: number;
    complete: boolean;
    scope: InspectScope;
  }
): TreeFrameResult {
  const kept = nodes.slice(0, FRAME_LIMITS.maxRows);
  const frame = createDataFrame({
    refId: opts.refId,
    name: opts.kind === 'tree' ? 'tree' : 'history tree',
    meta: collabMeta(
      opts.kind,
      {
        room: opts.room,
        pod: opts.pod,
        ts: opts.ts,
        ...(opts.seq !== undefined ? { seq: opts.seq } : {}),
        complete: opts.complete,
        total: nodes.length,
        truncated: kept.length < nodes.length,
        scope: opts.scope,
      },
      { preferredVisualisationType: 'table' }
    ),
    fields: treeFields(kept, opts.scope),
  });
  return { frame, truncated: nodes.length - kept.length };
}
