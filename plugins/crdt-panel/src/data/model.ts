/**
 * The tree model the panel renders: nodes keyed by JSON-Pointer path plus, per
 * parent, its ordered child paths. Built from a `tree` / `historyTree` frame
 * (contract `TREE_FIELDS` of @collabblocks/protocol) and mutated in place by
 * patches (`version` bumps on every change so React can memoise on it).
 *
 * Roots are listed under `''`: the root types, and any node whose parent is not
 * in the model — a subtree frame (query `rootPath`/`maxDepth`) starts at a node
 * whose `parentPath` is absent; paths stay absolute, so such a node keeps its
 * `parent` and is a root only because that parent is missing ("detached").
 */
import type { TreeFrameCustom } from '@collabblocks/protocol';

export interface TreeNodeModel {
  path: string;
  parent: string;
  depth: number;
  key: string;
  /** Yjs type: Map, Array, Text, XmlFragment, XmlElement, XmlText, XmlHook, Doc, value, unknown. */
  type: string;
  size: number;
  itemCount: number;
  deleted: number;
  children: number;
  lastClient: number | null;
  lastClock: number | null;
  /** Epoch ms, null when unknown. */
  lastTime: number | null;
  valueType: string;
  nodeName: string;
  /** '' unless the frame was built with content scope. */
  value: string;
  /** XML attributes as the frame's JSON ('' none; metadata scope: numbers, booleans, null only). */
  attrs: string;
  /** Text / XmlText formatting runs as the frame's JSON ('' none; text only with content scope). */
  runs: string;
  /** Root types: the editor the root's name and kind suggest (`prosemirror`, `quill`…), '' none. */
  binding: string;
  /** `Doc` nodes (subdocuments): their guid. */
  guid: string;
}

/** What the panel keeps of a tree frame's `meta.custom` (the shared contract, minus the frame kind). */
export type TreeMeta = Omit<TreeFrameCustom, 'collabFrame'> & {
  /** A subtree frame's root path (query `rootPath`), when the frame says. */
  rootPath?: string;
  /** Query `maxDepth`: levels kept below the subtree root, when the frame says. */
  maxDepth?: number | null;
  /** False when the subtree root does not exist (yet): the frame is empty. */
  rootFound?: boolean;
};

export interface TreeModel {
  nodes: Map<string, TreeNodeModel>;
  /** Parent path → ordered child paths ('' → root types). */
  childrenOf: Map<string, string[]>;
  meta: TreeMeta;
  /** Bumped on every change. */
  version: number;
  /** Bumped when nodes are added or removed (the flattened rows may change). */
  structure: number;
}

export const NODE_FIELDS: ReadonlyArray<keyof TreeNodeModel> = [
  'path',
  'parent',
  'depth',
  'key',
  'type',
  'size',
  'itemCount',
  'deleted',
  'children',
  'lastClient',
  'lastClock',
  'lastTime',
  'valueType',
  'nodeName',
  'value',
  'attrs',
  'runs',
  'binding',
  'guid',
];

export function emptyMeta(ts = 0): TreeMeta {
  return { room: '', pod: '', ts, complete: true, total: 0, truncated: false, scope: 'metadata' };
}

export function emptyTree(ts = 0): TreeModel {
  return { nodes: new Map(), childrenOf: new Map(), meta: emptyMeta(ts), version: 0, structure: 0 };
}

export function sameNode(a: TreeNodeModel, b: TreeNodeModel): boolean {
  for (const f of NODE_FIELDS) if (a[f] !== b[f]) return false;
  return true;
}

const INDEX_RE = /^\d+$/;

/** Sorts siblings by numeric index when every key is an index (arrays, XML children). */
export function sortSiblings(model: TreeModel, list: string[]): void {
  const keys = list.map((p) => model.nodes.get(p)?.key ?? '');
  if (keys.length > 1 && keys.every((k) => INDEX_RE.test(k))) {
    list.sort((a, b) => Number(model.nodes.get(a)?.key) - Number(model.nodes.get(b)?.key));
  }
}

/** The child list `n` belongs in: its parent's, or the roots' (`''`) when the parent is absent. */
export function listKeyOf(model: TreeModel, n: TreeNodeModel): string {
  return n.parent !== '' && model.nodes.has(n.parent) ? n.parent : '';
}

/** Is `n` a root only because its parent is not in the model (a subtree root)? */
export function isDetached(model: TreeModel, n: TreeNodeModel): boolean {
  return n.parent !== '' && !model.nodes.has(n.parent);
}

/** Is `a` an ancestor of (or) `p` through parent links (bad input may make parent links loop)? */
function isAncestor(model: TreeModel, a: string, p: string): boolean {
  let q: string | undefined = p;
  for (let guard = 0; q !== undefined && q !== '' && guard <= model.nodes.size; guard++) {
    if (q === a) return true;
    q = model.nodes.get(q)?.parent;
  }
  return false;
}

/**
 * Moves detached roots whose parent is now in the model under that parent (after additions; a model
 * without detached roots is left as is). O(roots).
 */
export function attachDetached(model: TreeModel): void {
  const roots = model.childrenOf.get('');
  if (!roots) return;
  const touched: string[] = [];
  let kept: string[] | null = null;
  for (let i = 0; i < roots.length; i++) {
    const p = roots[i] as string;
    const n = model.nodes.get(p);
    if (n && listKeyOf(model, n) !== '' && !isAncestor(model, p, n.parent)) {
      kept ??= roots.slice(0, i);
      const list = model.childrenOf.get(n.parent);
      if (list) list.push(p);
      else model.childrenOf.set(n.parent, [p]);
      if (!touched.includes(n.parent)) touched.push(n.parent);
    } else if (kept) kept.push(p);
  }
  if (kept) {
    if (kept.length > 0) model.childrenOf.set('', kept);
    else model.childrenOf.delete('');
    for (const t of touched) sortSiblings(model, model.childrenOf.get(t) as string[]);
  }
}

/**
 * The subtree a model shows, when it is one: the frame's `rootPath`, else the path of its only root when
 * that root's parent is absent. '' for a whole document.
 */
export function subtreeRootOf(model: TreeModel): string {
  if (model.meta.rootPath) return model.meta.rootPath;
  const roots = model.childrenOf.get('') ?? [];
  const only = roots.length === 1 ? model.nodes.get(roots[0] as string) : undefined;
  return only && only.parent !== '' ? only.path : '';
}

/**
 * Builds a model from nodes in pre-order (parents first). A node whose parent is not among the nodes is a
 * root (a subtree frame's first row; paths stay absolute).
 */
export function buildModel(nodes: Iterable<TreeNodeModel>, meta: TreeMeta): TreeModel {
  const model: TreeModel = {
    nodes: new Map(),
    childrenOf: new Map(),
    meta: { ...meta },
    version: 1,
    structure: 1,
  };
  for (const n of nodes) {
    if (model.nodes.has(n.path) || n.path === n.parent) continue;
    const key = listKeyOf(model, n);
    model.nodes.set(n.path, n);
    const list = model.childrenOf.get(key);
    if (list) list.push(n.path);
    else model.childrenOf.set(key, [n.path]);
  }
  // Out of pre-order (a child before its parent): under its parent after all.
  attachDetached(model);
  return model;
}

/** Deep enough copy to mutate independently (nodes are immutable records and are shared). */
export function cloneModel(model: TreeModel): TreeModel {
  const childrenOf = new Map<string, string[]>();
  for (const [k, v] of model.childrenOf) childrenOf.set(k, v.slice());
  return {
    nodes: new Map(model.nodes),
    childrenOf,
    meta: { ...model.meta },
    version: model.version,
    structure: model.structure,
  };
}

/** Pre-order walk of the subtree at `path` ('' = whole document). */
export function* walk(model: TreeModel, path = ''): Generator<TreeNodeModel> {
  const stack: string[] = path === '' ? [...(model.childrenOf.get('') ?? [])].reverse() : [path];
  while (stack.length > 0) {
    const p = stack.pop() as string;
    const n = model.nodes.get(p);
    if (!n) continue;
    yield n;
    const kids = model.childrenOf.get(p);
    if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as string);
  }
}
