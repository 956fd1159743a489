import { createDataFrame, type DataFrame, type FieldDTO, FieldType } from '@grafana/data';
import {
  FRAME_LIMITS,
  isPathWithin,
  parentPath,
  TREE_FIELDS as F,
  type InspectScope,
  type TreeNode,
  type TreePatchMessage,
  type TreeSnapshotMessage,
} from '@collabblocks/protocol';

import { collabMeta } from './common';

/** Longest accepted `rootPath` (characters). */
export const MAX_ROOT_PATH_LENGTH = 1_000;

/**
 * Which part of the tree a frame shows: the subtree under `rootPath` ('' = the whole document) down to
 * `maxDepth` levels below it (undefined = all). Without a root path the depth counts from the root types
 * (0 = the root types only); with one, from the subtree root (0 = the root node only).
 */
export interface SubtreeSelection {
  rootPath: string;
  maxDepth?: number;
}

/**
 * Validates a `rootPath` (after template interpolation): '' or '/' for the whole document, else a tree
 * path as the pod writes it — JSON-Pointer segments (`/root/items/3`), `~0` for `~` and `~1` for `/`
 * inside a segment. Throws an Error with a readable message on anything else.
 */
export function parseRootPath(text: string): string {
  const p = text.trim();
  if (p === '' || p === '/') return '';
  const shown = p.length > 60 ? `${p.slice(0, 60)}…` : p;
  if (p.length > MAX_ROOT_PATH_LENGTH)
    throw new Error(`root path is longer than ${MAX_ROOT_PATH_LENGTH} characters`);
  if (!p.startsWith('/'))
    throw new Error(`root path "${shown}" must start with "/" (a tree path such as /root/items/3)`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) throw new Error(`root path "${shown}" contains control characters`);
  if (/~(?![01])/.test(p))
    throw new Error(`root path "${shown}": "~" must be written "~0" (and "/" inside a key "~1")`);
  return p;
}

/** Parses `maxDepth`: empty/undefined = no limit; else an integer 0..1000 (a clear Error otherwise). */
export function parseMaxDepth(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < 0 || n > 1000)
    throw new Error(`max depth must be a whole number from 0 to 1000, got "${String(value).slice(0, 20)}"`);
  return n;
}

/** Slashes in a path = its depth in the document (segments never hold a raw '/'). */
function slashes(path: string): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) n++;
  return n;
}

/**
 * Levels of `path` below the selection's root (root types are level 0 without a root path), or -1 when
 * `path` is outside the subtree.
 */
export function levelInSubtree(path: string, rootPath: string): number {
  if (rootPath === '') return path === '' ? -1 : slashes(path) - 1;
  if (!isPathWithin(path, rootPath)) return -1;
  return slashes(path) - slashes(rootPath);
}

/** True when `path` is in the selection (inside the subtree, not deeper than maxDepth). */
export function inSelection(path: string, sel: SubtreeSelection): boolean {
  const level = levelInSubtree(path, sel.rootPath);
  return level >= 0 && (sel.maxDepth === undefined || level <= sel.maxDepth);
}

const NO_NODES: readonly TreeNode[] = [];

/** The parent under which a node is indexed: the node's `parent`, or the path's parent for a bare path. */
function parentOf(path: string): string {
  return parentPath(path) ?? '';
}

/**
 * A document tree folded from a chunked snapshot and the patches after it.
 * While a snapshot streams (chunk 0 .. last) the previous complete tree stays
 * visible; patches arriving before the last chunk are not possible (the pod
 * holds them), patches for an unknown parent are kept anyway (orphans are
 * dropped when the frame is built).
 *
 * Nodes are indexed by parent (`kids`), so removing a subtree costs the size of that subtree and a
 * subtree frame walks only the subtree. An orphan's missing ancestors are linked as placeholders (in
 * `kids`, not in `nodes`), so removing an ancestor also removes orphans below it.
 */
export class TreeState {
  private nodes = new Map<string, TreeNode>();
  /** Parent path → child path → node (insertion order; null = placeholder for a missing ancestor of an orphan). */
  private kids = new Map<string, Map<string, TreeNode | null>>();
  private pending: TreeNode[] | null = null;
  complete = false;
  total = 0;
  ts = 0;
  seq: number | undefined;
  /** Time of the last patch (0 when none). */
  lastPatchAt = 0;

  applySnapshot(msg: Pick<TreeSnapshotMessage, 'chunk' | 'last' | 'total' | 'nodes' | 'ts'>): void {
    if (msg.chunk === 0 || this.pending === null) this.pending = [];
    for (const n of msg.nodes) this.pending.push(n);
    if (msg.last) {
      const nodes = this.pending;
      this.pending = null;
      this.nodes = new Map();
      this.kids = new Map();
      for (const n of nodes) this.put(n);
      this.complete = true;
      this.total = msg.total;
      this.ts = msg.ts;
    }
  }

  applyPatch(msg: Pick<TreePatchMessage, 'added' | 'changed' | 'removed' | 'ts' | 'seq'>): void {
    for (const path of msg.removed) this.removeSubtree(path);
    for (const n of msg.added) this.put(n);
    for (const n of msg.changed) this.put(n);
    this.total = this.nodes.size;
    this.ts = Math.max(this.ts, msg.ts);
    this.lastPatchAt = msg.ts;
    if (msg.seq !== undefined) this.seq = msg.seq;
  }

  /** Nodes held (including orphans). */
  get size(): number {
    return this.nodes.size;
  }

  private put(n: TreeNode): void {
    const prev = this.nodes.get(n.path);
    if (prev && prev.parent !== n.parent) this.unlink(n.path, prev.parent);
    this.nodes.set(n.path, n);
    this.link(n);
  }

  private kidsOf(parent: string): Map<string, TreeNode | null> {
    let m = this.kids.get(parent);
    if (!m) {
      m = new Map();
      this.kids.set(parent, m);
    }
    return m;
  }

  /** Indexes `n` under its parent; a missing parent is linked under its own parent (placeholder chain). */
  private link(n: TreeNode): void {
    const siblings = this.kidsOf(n.parent);
    const had = siblings.has(n.path);
    siblings.set(n.path, n); // an existing entry keeps its position
    if (had) return;
    let p = n.parent;
    while (p !== '' && !this.nodes.has(p)) {
      const par = parentOf(p);
      const m = this.kidsOf(par);
      if (m.has(p)) return;
      m.set(p, null);
      p = par;
    }
  }

  /** Drops `path` from its parent's children; empty placeholder parents go too. */
  private unlink(path: string, parent: string): void {
    let p = path;
    let par = parent;
    for (;;) {
      const m = this.kids.get(par);
      if (!m) return;
      m.delete(p);
      if (m.size > 0) return;
      this.kids.delete(par);
      if (par === '' || this.nodes.has(par)) return;
      p = par;
      par = parentOf(par);
    }
  }

  /** Removes `path` and everything below it: proportional to the subtree, not to the tree. */
  private removeSubtree(path: string): void {
    const parent = this.nodes.get(path)?.parent ?? parentOf(path);
    const stack = [path];
    while (stack.length > 0) {
      const p = stack.pop() as string;
      this.nodes.delete(p);
      const k = this.kids.get(p);
      if (k) {
        for (const c of k.keys()) stack.push(c);
        this.kids.delete(p);
      }
    }
    this.unlink(path, parent);
  }

  private childrenOf(path: string): readonly TreeNode[] {
    const m = this.kids.get(path);
    if (!m) return NO_NODES;
    const list: TreeNode[] = [];
    let sorted = true;
    let last = -1;
    for (const n of m.values()) {
      if (!n) continue;
      const key = n.index ?? Number.MAX_SAFE_INTEGER;
      if (key < last) sorted = false;
      last = key;
      list.push(n);
    }
    // Stable: indexed children by index, the rest in insertion order.
    if (!sorted)
      list.sort((a, b) => (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER));
    return list;
  }

  /**
   * Nodes in pre-order (parents first; indexed children by index, else insertion order), limited to a
   * subtree and a depth when given. `rootFound` is false when the selection's root path has no node.
   */
  select(sel: SubtreeSelection = { rootPath: '' }): { nodes: TreeNode[]; rootFound: boolean } {
    const max = sel.maxDepth ?? Number.POSITIVE_INFINITY;
    const out: TreeNode[] = [];
    let starts: readonly TreeNode[];
    if (sel.rootPath === '') {
      starts = this.childrenOf('');
    } else {
      const root = this.nodes.get(sel.rootPath);
      if (!root) return { nodes: [], rootFound: false };
      starts = [root];
    }
    // Parallel stacks (node, level below the selection root).
    const stack: TreeNode[] = [];
    const levels: number[] = [];
    for (let i = starts.length - 1; i >= 0; i--) {
      stack.push(starts[i] as TreeNode);
      levels.push(0);
    }
    while (stack.length > 0) {
      const n = stack.pop() as TreeNode;
      const level = levels.pop() as number;
      out.push(n);
      if (level >= max) continue;
      const kids = this.childrenOf(n.path);
      for (let i = kids.length - 1; i >= 0; i--) {
        stack.push(kids[i] as TreeNode);
        levels.push(level + 1);
      }
    }
    return { nodes: out, rootFound: true };
  }

  /** Every node in pre-order (the whole document). */
  ordered(): TreeNode[] {
    return this.select().nodes;
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
/**
 * XML attributes as JSON ('' when none). Metadata scope keeps numbers, booleans and null only (heading
 * `level: 2`), whatever the pod sent: a string attribute (a link's href, an image's src) is content.
 */
export function attrsText(attrs: TreeNode['attrs'], scope: InspectScope): string {
  if (!attrs) return '';
  const kept = Object.entries(attrs).filter(([, v]) => scope === 'content' || typeof v !== 'string');
  return kept.length === 0 ? '' : JSON.stringify(Object.fromEntries(kept));
}

/**
 * Formatting runs as JSON ('' when none). Metadata scope keeps structure only — length, marks, embed —
 * and drops `text` and mark `values` whatever the pod sent.
 */
export function runsText(runs: TreeNode['runs'], scope: InspectScope): string {
  if (!runs || runs.length === 0) return '';
  if (scope === 'content') return JSON.stringify(runs);
  return JSON.stringify(runs.map(({ length, marks, embed }) => ({ length, marks, embed })));
}

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
    { name: F.attrs, type: FieldType.string, values: str((n) => attrsText(n.attrs, scope)) },
    { name: F.runs, type: FieldType.string, values: str((n) => runsText(n.runs, scope)) },
    { name: F.embeds, type: FieldType.number, values: num((n) => n.embeds) },
    { name: F.binding, type: FieldType.string, values: str((n) => n.binding) },
    { name: F.guid, type: FieldType.string, values: str((n) => n.guid) },
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
    /** The selection the nodes were taken with (rootPath, maxDepth) and whether its root exists. */
    subtree?: SubtreeSelection & { rootFound: boolean };
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
        rootPath: opts.subtree?.rootPath ?? '',
        maxDepth: opts.subtree?.maxDepth ?? null,
        rootFound: opts.subtree?.rootFound ?? true,
      },
      { preferredVisualisationType: 'table' }
    ),
    fields: treeFields(kept, opts.scope),
  });
  return { frame, truncated: nodes.length - kept.length };
}
