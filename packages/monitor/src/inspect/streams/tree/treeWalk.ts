/**
 * Read-only view of a Yjs document as an inspect tree (`TreeNode`s).
 *
 * Never changes the document: it reads `doc.share` and the types' item lists
 * (`_start`, `_map`) directly instead of `doc.get(name, Type)`, which would
 * retype a root. Roots that nobody typed on the pod (the usual case: the pod
 * only applies updates) are plain `AbstractType`s; their kind is inferred from
 * their content.
 */
import * as Y from 'yjs';
import { joinPath, type TreeNode, type TreeNodeType } from '@collabblocks/protocol';
import { addRichFields, stripRichFields } from './richText.js';

/** Longest text / JSON value carried in a node (content scope); longer ones are cut with `…`. */
export const MAX_VALUE_CHARS = 4_096;

export interface LastChange {
  client: number;
  clock: number;
  time: number;
}

export interface WalkContext {
  /** Last time an update of this Yjs client was seen (epoch ms), if known. */
  clientTime(client: number): number | undefined;
  /**
   * Optional, exact: time the struct `client:clock` was written (epoch ms), if
   * known. When set it replaces `clientTime` (history rebuilt from the log knows
   * which logged update carried each clock range).
   */
  itemTime?(client: number, clock: number): number | undefined;
  /** Last change recorded for a type while it was observed. */
  lastChange: WeakMap<Y.AbstractType<unknown>, LastChange>;
}

/** Time of an item's last clock (`off`: offset of one element in a merged item). */
function timeOf(ctx: WalkContext, item: Y.Item, off?: number): number | undefined {
  if (!ctx.itemTime) return ctx.clientTime(item.id.client);
  return ctx.itemTime(item.id.client, item.id.clock + (off ?? item.length - 1));
}

/** A node plus what the tracker needs to diff it. */
export interface WalkedNode {
  node: TreeNode;
  /** Identity of the struct behind the node (`client:clock[+offset]`, or `root:<name>`). */
  ident: string;
  /** The struct id behind `ident` (element id for list elements); absent for roots. */
  client?: number;
  clock?: number;
  /** Set for container nodes (their children are walked). */
  type?: Y.AbstractType<unknown>;
}

type AnyType = Y.AbstractType<unknown>;

export function kindOf(type: AnyType): TreeNodeType {
  if (type instanceof Y.XmlText) return 'XmlText';
  if (type instanceof Y.Text) return 'Text';
  if (type instanceof Y.XmlElement) return 'XmlElement';
  if (type instanceof Y.XmlFragment) return 'XmlFragment';
  if (type instanceof Y.XmlHook) return 'XmlHook';
  if (type instanceof Y.Map) return 'Map';
  if (type instanceof Y.Array) return 'Array';
  // Untyped root: infer from content.
  for (let item = type._start; item !== null; item = item.right) {
    const c = item.content;
    if (c instanceof Y.ContentString || c instanceof Y.ContentFormat || c instanceof Y.ContentEmbed)
      return 'Text';
    if (c instanceof Y.ContentType) {
      return c.type instanceof Y.XmlElement || c.type instanceof Y.XmlText ? 'XmlFragment' : 'Array';
    }
    if (c instanceof Y.ContentAny || c instanceof Y.ContentJSON || c instanceof Y.ContentBinary)
      return 'Array';
  }
  if (type._map.size > 0) return 'Map';
  return 'unknown';
}

function isMapLike(kind: TreeNodeType): boolean {
  return kind === 'Map' || kind === 'XmlHook';
}

function isListLike(kind: TreeNodeType): boolean {
  return kind === 'Array' || kind === 'XmlFragment' || kind === 'XmlElement';
}

function isTextLike(kind: TreeNodeType): boolean {
  return kind === 'Text' || kind === 'XmlText';
}

function cut(s: string): string {
  return s.length > MAX_VALUE_CHARS ? s.slice(0, MAX_VALUE_CHARS) + '…' : s;
}

/** JSON-safe, bounded rendering of a leaf value. */
export function renderValue(value: unknown): {
  value: unknown;
  valueType: NonNullable<TreeNode['valueType']>;
  size: number;
} {
  if (value === undefined) return { value: null, valueType: 'undefined', size: 0 };
  if (value === null) return { value: null, valueType: 'null', size: 4 };
  if (typeof value === 'string') return { value: cut(value), valueType: 'string', size: value.length };
  if (typeof value === 'number')
    return { value: Number.isFinite(value) ? value : String(value), valueType: 'number', size: 8 };
  if (typeof value === 'boolean') return { value, valueType: 'boolean', size: value ? 4 : 5 };
  if (typeof value === 'bigint') return { value: value.toString(), valueType: 'number', size: 8 };
  if (value instanceof Uint8Array)
    return { value: `<${value.length} bytes>`, valueType: 'binary', size: value.length };
  if (value instanceof Y.Doc) return { value: `<subdoc ${value.guid}>`, valueType: 'embed', size: 0 };
  let json: string;
  try {
    json = JSON.stringify(value) ?? 'null';
  } catch {
    json = '"<unserialisable>"';
  }
  const valueType = Array.isArray(value) ? 'array' : 'object';
  if (json.length > MAX_VALUE_CHARS) return { value: cut(json), valueType, size: json.length };
  return { value: JSON.parse(json) as unknown, valueType, size: json.length };
}

/** Live text of a Text/XmlText-like type, read from its items. */
function textOf(type: AnyType): string {
  let out = '';
  for (let item = type._start; item !== null; item = item.right) {
    if (!item.deleted && item.content instanceof Y.ContentString) {
      out += item.content.str;
      if (out.length > MAX_VALUE_CHARS) break;
    }
  }
  return out;
}

function newer(ctx: WalkContext, a: Y.Item | null, b: Y.Item): Y.Item {
  if (a === null) return b;
  if (a.id.client === b.id.client) return b.id.clock > a.id.clock ? b : a;
  const ta = timeOf(ctx, a) ?? 0;
  const tb = timeOf(ctx, b) ?? 0;
  if (tb !== ta) return tb > ta ? b : a;
  return b.id.clock > a.id.clock ? b : a;
}

/** Summary of a container type (O(items it holds)). */
export function summarizeType(
  type: AnyType,
  at: { path: string; parent: string; depth: number; key: string; index?: number },
  ctx: WalkContext
): TreeNode {
  const kind = kindOf(type);
  let itemCount = 0;
  let deleted = 0;
  let latest: Y.Item | null = null;
  let children = 0;
  const recorded = ctx.lastChange.get(type);
  const listLike = isListLike(kind);
  const mapLike = isMapLike(kind);
  const textLike = isTextLike(kind);
  for (let item = type._start; item !== null; item = item.right) {
    itemCount++;
    if (item.deleted) deleted++;
    else if (listLike && item.countable) children += item.length;
    // Text with embedded types (Lexical element and text nodes): those types are its children.
    else if (textLike && item.content instanceof Y.ContentType) children++;
    if (!recorded) latest = newer(ctx, latest, item);
  }
  for (const head of type._map.values()) {
    if (!head.deleted && mapLike) children++;
    for (let item: Y.Item | null = head; item !== null; item = item.left) {
      itemCount++;
      if (item.deleted) deleted++;
      if (!recorded) latest = newer(ctx, latest, item);
    }
  }
  const size = mapLike ? children : type._length;
  const node: TreeNode = {
    path: at.path,
    parent: at.parent,
    depth: at.depth,
    key: at.key,
    type: kind,
    size,
    itemCount,
    deleted,
    children,
  };
  if (at.index !== undefined) node.index = at.index;
  if (recorded) {
    node.lastClient = recorded.client;
    node.lastClock = recorded.clock;
    node.lastTime = recorded.time;
  } else if (latest !== null) {
    node.lastClient = latest.id.client;
    node.lastClock = latest.id.clock;
    const t = timeOf(ctx, latest);
    if (t !== undefined) node.lastTime = t;
  }
  addRichFields(node, type, kind);
  if (isTextLike(kind)) node.value = cut(textOf(type));
  else if (kind === 'XmlElement' || kind === 'XmlHook') {
    const attrs: Record<string, unknown> = {};
    for (const [k, item] of type._map) {
      if (item.deleted) continue;
      const content = item.content.getContent();
      attrs[k] = renderValue(content[content.length - 1]).value;
    }
    node.value = attrs;
  }
  return node;
}

function leafNode(
  item: Y.Item,
  value: unknown,
  at: { path: string; parent: string; depth: number; key: string; index?: number },
  ctx: WalkContext,
  off?: number
): TreeNode {
  const r = renderValue(value);
  const node: TreeNode = {
    path: at.path,
    parent: at.parent,
    depth: at.depth,
    key: at.key,
    type: value instanceof Y.Doc ? 'Doc' : 'value',
    size: r.size,
    itemCount: 1,
    deleted: 0,
    children: 0,
    lastClient: item.id.client,
    lastClock: item.id.clock,
    valueType: r.valueType,
    value: r.value,
  };
  if (at.index !== undefined) node.index = at.index;
  if (value instanceof Y.Doc) {
    // A subdocument: listed with its guid; the pod never loads its content.
    node.guid = value.guid.slice(0, 128);
    node.shouldLoad = value.shouldLoad;
  }
  const t = timeOf(ctx, item, off);
  if (t !== undefined) node.lastTime = t;
  return node;
}

/** The child of a map-like node at `key` (`item`: the live head of that key). */
export function mapChild(parent: TreeNode, key: string, item: Y.Item, ctx: WalkContext): WalkedNode {
  const at = { path: joinPath(parent.path, key), parent: parent.path, depth: parent.depth + 1, key };
  const { client, clock } = item.id;
  const ident = `${client}:${clock}`;
  if (item.content instanceof Y.ContentType) {
    const t = item.content.type as AnyType;
    return { node: summarizeType(t, at, ctx), ident, client, clock, type: t };
  }
  const content = item.content.getContent();
  return { node: leafNode(item, content[content.length - 1], at, ctx), ident, client, clock };
}

/** True for node kinds whose children are keyed (`Map`, `XmlHook`). */
export function hasKeyedChildren(kind: TreeNodeType): boolean {
  return isMapLike(kind);
}

/** Identity of a type's struct (`client:clock`), `root:<name>` for a root type. */
export function typeIdent(type: AnyType, rootName: string): string {
  const item = type._item;
  return item === null ? `root:${rootName}` : `${item.id.client}:${item.id.clock}`;
}

/** True for node kinds whose children are indexed (`Array`, `XmlFragment`, `XmlElement`). */
export function hasIndexedChildren(kind: TreeNodeType): boolean {
  return isListLike(kind);
}

/** Identity of element `off` of a list item (stable across item merges and splits). */
export function listIdent(item: Y.Item, off: number): string {
  return `${item.id.client}:${item.id.clock + off}`;
}

/**
 * The child of a list-like node at `index`: element `off` of `item` (a
 * container item has one element, offset 0).
 */
export function listChild(
  parent: TreeNode,
  index: number,
  item: Y.Item,
  off: number,
  ctx: WalkContext,
  /** `item.content.getContent()`, when the caller already has it. */
  content: unknown[] = item.content instanceof Y.ContentType ? [] : item.content.getContent()
): WalkedNode {
  const at = {
    path: joinPath(parent.path, index),
    parent: parent.path,
    depth: parent.depth + 1,
    key: String(index),
    index,
  };
  const client = item.id.client;
  const clock = item.id.clock + off;
  if (item.content instanceof Y.ContentType) {
    const t = item.content.type as AnyType;
    return { node: summarizeType(t, at, ctx), ident: listIdent(item, 0), client, clock, type: t };
  }
  return { node: leafNode(item, content[off], at, ctx, off), ident: listIdent(item, off), client, clock };
}

/** Direct children of a container node (Map keys, list elements), in order. */
export function childrenOf(type: AnyType, parent: TreeNode, ctx: WalkContext): WalkedNode[] {
  return [...childrenIter(type, parent, ctx)];
}

/** Lazy version of `childrenOf` (a wide container is summarised child by child). */
export function* childrenIter(type: AnyType, parent: TreeNode, ctx: WalkContext): Generator<WalkedNode> {
  const kind = parent.type;
  if (isMapLike(kind)) {
    for (const [key, item] of type._map) {
      if (item.deleted) continue;
      yield mapChild(parent, key, item, ctx);
    }
  } else if (isTextLike(kind)) {
    // Embedded types of a text (Lexical nodes), numbered among themselves.
    let index = 0;
    for (let item = type._start; item !== null; item = item.right) {
      if (item.deleted || !(item.content instanceof Y.ContentType)) continue;
      yield listChild(parent, index++, item, 0, ctx);
    }
  } else if (isListLike(kind)) {
    let index = 0;
    for (let item = type._start; item !== null; item = item.right) {
      if (item.deleted || !item.countable) continue;
      if (item.content instanceof Y.ContentType) {
        yield listChild(parent, index++, item, 0, ctx);
        continue;
      }
      const content = item.content.getContent();
      for (let off = 0; off < content.length; off++)
        yield listChild(parent, index++, item, off, ctx, content);
    }
  }
}

/** Root types of a document, sorted by name. */
export function rootsOf(doc: Y.Doc, ctx: WalkContext): WalkedNode[] {
  const names = [...doc.share.keys()].sort();
  return names.map((name) => {
    const type = doc.share.get(name) as AnyType;
    const node = summarizeType(type, { path: joinPath('', name), parent: '', depth: 1, key: name }, ctx);
    return { node, ident: `root:${name}`, type };
  });
}

/** Pre-order walk of a subtree (the given node first). */
export function* walkFrom(start: WalkedNode, ctx: WalkContext): Generator<WalkedNode> {
  yield start;
  if (!start.type) return;
  // Depth-first with one lazy child iterator per level: O(depth) memory and no
  // long synchronous step on wide containers.
  const stack: Array<Iterator<WalkedNode>> = [childrenIter(start.type, start.node, ctx)];
  while (stack.length > 0) {
    const r = (stack[stack.length - 1] as Iterator<WalkedNode>).next();
    if (r.done) {
      stack.pop();
      continue;
    }
    yield r.value;
    if (r.value.type) stack.push(childrenIter(r.value.type, r.value.node, ctx));
  }
}

/** Pre-order walk of the whole document. */
export function* walkDoc(doc: Y.Doc, ctx: WalkContext): Generator<WalkedNode> {
  for (const root of rootsOf(doc, ctx)) yield* walkFrom(root, ctx);
}

/**
 * Path of a (live, not deleted) type in its document, or null when it or an
 * ancestor is deleted. O(depth × position in parent lists).
 */
export function locateType(
  type: AnyType,
  rootNames: Map<AnyType, string>
): { path: string; parent: string; depth: number; key: string; index?: number } | null {
  const item = type._item;
  if (item === null) {
    const name = rootNames.get(type);
    if (name === undefined) return null;
    return { path: joinPath('', name), parent: '', depth: 1, key: name };
  }
  if (item.deleted) return null;
  const parentType = item.parent;
  if (!(parentType instanceof Y.AbstractType)) return null;
  const p = locateType(parentType as AnyType, rootNames);
  if (p === null) return null;
  if (item.parentSub !== null) {
    return {
      path: joinPath(p.path, item.parentSub),
      parent: p.path,
      depth: p.depth + 1,
      key: item.parentSub,
    };
  }
  let index = 0;
  for (let it = parentType._start; it !== null && it !== item; it = it.right) {
    if (!it.deleted && it.countable) index += it.length;
  }
  return { path: joinPath(p.path, index), parent: p.path, depth: p.depth + 1, key: String(index), index };
}

export function rootNameMap(doc: Y.Doc): Map<AnyType, string> {
  const m = new Map<AnyType, string>();
  for (const [name, t] of doc.share) m.set(t as AnyType, name);
  return m;
}

/** The node without its value (metadata scope). */
export function stripValue(node: TreeNode): TreeNode {
  const rich = stripRichFields(node);
  if (rich.value === undefined) return rich;
  const copy: TreeNode = rich === node ? { ...node } : rich;
  delete copy.value;
  return copy;
}
