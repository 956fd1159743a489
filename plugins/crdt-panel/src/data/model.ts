/**
 * The tree model the panel renders: nodes keyed by JSON-Pointer path plus, per
 * parent, its ordered child paths. Built from a `tree` / `historyTree` frame
 * (contract `TREE_FIELDS` of @collabblocks/protocol) and mutated in place by
 * patches (`version` bumps on every change so React can memoise on it).
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
}

/** What the panel keeps of a tree frame's `meta.custom` (the shared contract, minus the frame kind). */
export type TreeMeta = Omit<TreeFrameCustom, 'collabFrame'>;

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

/** Builds a model from nodes in pre-order (parents first); orphans (unknown parent) are dropped. */
export function buildModel(nodes: Iterable<TreeNodeModel>, meta: TreeMeta): TreeModel {
  const model: TreeModel = {
    nodes: new Map(),
    childrenOf: new Map(),
    meta: { ...meta },
    version: 1,
    structure: 1,
  };
  for (const n of nodes) {
    if (n.parent !== '' && !model.nodes.has(n.parent)) continue;
    if (model.nodes.has(n.path)) continue;
    model.nodes.set(n.path, n);
    const list = model.childrenOf.get(n.parent);
    if (list) list.push(n.path);
    else model.childrenOf.set(n.parent, [n.path]);
  }
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
