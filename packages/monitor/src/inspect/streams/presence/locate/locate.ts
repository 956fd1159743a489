/**
 * Turns a binding's relative positions into a document location (protocol `DocLocation`): root,
 * top-level block, enclosing node names, offset, line/column in a Y.Text, selection length.
 *
 * Never changes the document: Yjs' own `createAbsolutePositionFromRelativePosition` calls
 * `doc.get(tname)`, which creates a root for an unknown name (a lying client could add roots to the
 * live document); this resolver only reads (`Y.getItem`). Cost: O(depth × siblings inside the
 * enclosing block) — root-level offsets, lines and block indexes come from the per-root
 * `RootIndexCache` instead of a walk of the document per caret move.
 */
import * as Y from 'yjs';
import { joinPath, MAX_LOCATION_DEPTH, MAX_SNIPPET_CHARS, type DocLocation } from '@collabblocks/protocol';
import type { RelPos } from '../recognise/index.js';
import { kindOf } from '../../tree/treeWalk.js';
import { nodeNameOf } from '../../tree/richText.js';
import type { RootIndexCache } from './rootIndex.js';
import type { LocationDeps } from './changes.js';

type AnyType = Y.AbstractType<unknown>;
type Reason = NonNullable<DocLocation['reason']>;

/** Deepest nesting followed (a deeper chain is reported `invalid`: no real editor nests this far). */
const MAX_DEPTH = 64;

interface Absolute {
  type: AnyType;
  /** Countable offset inside `type`. */
  index: number;
  /** The struct the position points at (absent for type-anchored positions) and the offset in it. */
  item?: Y.Item;
  /** Caret offset inside `item` (0 when the item is deleted or not countable). */
  within: number;
}

type AbsResult = { ok: true; abs: Absolute } | { ok: false; state: 'unresolved' | 'unknown'; reason: Reason };

function isText(t: AnyType): boolean {
  return t instanceof Y.Text || kindOf(t) === 'Text';
}

/** Countable length (or, in a text, embedded types) before `item` in its parent, by walking left. */
function leftCount(item: Y.Item, typesOnly: boolean): number {
  let n = 0;
  for (let it = item.left; it !== null; it = it.left) {
    if (it.deleted || !it.countable) continue;
    if (!typesOnly) n += it.length;
    else if (it.content instanceof Y.ContentType) n++;
  }
  return n;
}

function lookup(doc: Y.Doc, client: number, clock: number): Y.Item | 'missing' | 'collected' {
  if (Y.getState(doc.store, client) <= clock) return 'missing';
  try {
    const s = Y.getItem(doc.store, Y.createID(client, clock));
    return s instanceof Y.Item ? s : 'collected';
  } catch {
    return 'collected';
  }
}

/**
 * Where a relative position is now. `hint`: the struct an earlier position in the same, unchanged
 * type pointed at and the length before it — when it covers this position, no struct lookup and no
 * walk to the left.
 */
function absolute(doc: Y.Doc, cache: RootIndexCache, rp: RelPos, hint?: HeadHint | null): AbsResult {
  if (rp.item) {
    const hs = hint?.item;
    if (hint && hs && hs.id.client === rp.item.client) {
      const diff = rp.item.clock - hs.id.clock;
      if (diff >= 0 && diff < hs.length) {
        const within = hs.deleted || !hs.countable ? 0 : Math.min(hs.length, diff + (rp.assoc >= 0 ? 0 : 1));
        return {
          ok: true,
          abs: { type: hs.parent as AnyType, index: hint.before + within, item: hs, within },
        };
      }
    }
    const s = lookup(doc, rp.item.client, rp.item.clock);
    if (s === 'missing') return { ok: false, state: 'unresolved', reason: 'missing-item' };
    if (s === 'collected') return { ok: false, state: 'unresolved', reason: 'collected' };
    const parent = s.parent;
    if (!(parent instanceof Y.AbstractType) || s.parentSub !== null)
      return { ok: false, state: 'unresolved', reason: 'collected' };
    const type = parent as AnyType;
    const diff = rp.item.clock - s.id.clock;
    const within = s.deleted || !s.countable ? 0 : Math.min(s.length, diff + (rp.assoc >= 0 ? 0 : 1));
    const before = type._item === null ? (cache.of(type, s).at?.start ?? 0) : leftCount(s, false);
    return { ok: true, abs: { type, index: before + within, item: s, within } };
  }
  let type: AnyType | undefined;
  if (rp.type) {
    const s = lookup(doc, rp.type.client, rp.type.clock);
    if (s === 'missing') return { ok: false, state: 'unresolved', reason: 'missing-item' };
    if (s === 'collected' || !(s.content instanceof Y.ContentType))
      return { ok: false, state: 'unresolved', reason: 'collected' };
    type = s.content.type as AnyType;
  } else if (rp.tname !== undefined) {
    // Never doc.get(): it would create the root.
    type = doc.share.get(rp.tname) as AnyType | undefined;
    if (!type) return { ok: false, state: 'unresolved', reason: 'unknown-root' };
  }
  if (!type) return { ok: false, state: 'unknown', reason: 'invalid' };
  return { ok: true, abs: { type, index: rp.assoc >= 0 ? type._length : 0, within: 0 } };
}

function rootName(doc: Y.Doc, root: AnyType): string | undefined {
  for (const [name, t] of doc.share) if (t === root) return name;
  return undefined;
}

interface Chain {
  root: AnyType;
  /** Types from the top-level child down to the innermost (empty when the caret is in the root itself). */
  types: AnyType[];
}

function chainOf(t: AnyType): Chain | Reason {
  const types: AnyType[] = [];
  let cur = t;
  while (cur._item !== null) {
    if (types.length >= MAX_DEPTH) return 'invalid';
    if (cur._item.deleted) return 'collected';
    types.push(cur);
    const p = cur._item.parent;
    if (!(p instanceof Y.AbstractType)) return 'collected';
    cur = p as AnyType;
  }
  types.reverse();
  return { root: cur, types };
}

function itemText(it: Y.Item): string {
  return it.content instanceof Y.ContentString ? it.content.str : '\uFFFC'.repeat(it.length);
}

/**
 * A few characters either side of the caret (content scope), read from the items next to it:
 * O(snippet), not O(text). `item`/`diff`: the struct the position points at; without one the caret
 * is at the start or the end (`last`) of the type.
 */
function snippetAt(abs: Absolute, last: Y.Item | null): { before: string; after: string } {
  let before = '';
  let after = '';
  let left: Y.Item | null;
  let right: Y.Item | null;
  if (abs.item) {
    const s = !abs.item.deleted && abs.item.countable ? itemText(abs.item) : '';
    before = s.slice(0, abs.within);
    after = s.slice(abs.within);
    left = abs.item.left;
    right = abs.item.right;
  } else if (abs.index === 0) {
    left = null;
    right = abs.type._start;
  } else {
    left = last;
    right = null;
  }
  for (; left !== null && before.length < MAX_SNIPPET_CHARS; left = left.left)
    if (!left.deleted && left.countable) before = itemText(left) + before;
  for (; right !== null && after.length < MAX_SNIPPET_CHARS; right = right.right)
    if (!right.deleted && right.countable) after += itemText(right);
  return { before: before.slice(-MAX_SNIPPET_CHARS), after: after.slice(0, MAX_SNIPPET_CHARS) };
}

function lastItem(t: AnyType, cache: RootIndexCache): Y.Item | null {
  if (t._item === null) return cache.of(t).index.last;
  let it = t._start;
  while (it !== null && it.right !== null) it = it.right;
  return it;
}

/**
 * The part of a caret's location inside a block that does not depend on where in its text the caret
 * is: root, block index, block count, tree path and node names. It depends only on the root's own
 * item list (block index and count) and on the top-level block holding the caret (the path inside
 * it, node names) — while neither changed (`DocChanges.staleSince` with `deps`), a caret that moved
 * inside the same innermost type reuses it and only its offsets are recomputed.
 */
/**
 * The struct a caret's head pointed at and the countable length before it in its type. Valid while
 * the type's block is unchanged: splitting or merging the type's items is a change of the type.
 */
interface HeadHint {
  item: Y.Item;
  before: number;
}

export interface Structure {
  /** The innermost type holding the caret (head). */
  readonly type: AnyType;
  /** The last head's struct (updated by every resolution that reuses the structure). */
  head: HeadHint | null;
  /** What the structure depends on: its root and the top-level block holding `type`. */
  readonly deps: LocationDeps;
  readonly loc: Readonly<
    Pick<DocLocation, 'root' | 'rootKind' | 'block' | 'blocks' | 'nodePath' | 'path' | 'nodeName'>
  >;
}

export interface LocateOptions {
  /** Content scope: add a snippet around the caret. */
  snippet: boolean;
  /** Filled with what the location depends on (the reader's per-block memo). */
  deps?: LocationDeps;
  /**
   * A structure from an earlier resolution that the caller checked is still valid (neither its root's
   * block list nor its block changed since): used when the head lies in the same innermost type.
   */
  reuse?: Structure;
  /** Set to this location's structure when a later caret move may reuse it (a caret inside a block of an XML root). */
  keep?: { structure?: Structure };
}

/** The same position (a caret publishes two equal relative positions, decoded as two objects). */
function samePos(a: RelPos, b: RelPos): boolean {
  if (a === b) return true;
  if (a.assoc !== b.assoc || a.tname !== b.tname) return false;
  const ai = a.item;
  const bi = b.item;
  if (ai || bi) return !!ai && !!bi && ai.client === bi.client && ai.clock === bi.clock && !a.type && !b.type;
  const at = a.type;
  const bt = b.type;
  if (at || bt) return !!at && !!bt && at.client === bt.client && at.clock === bt.clock;
  return true;
}

/** Location of the selection `anchor` → `head` (a caret when equal). Never throws. */
export function locate(
  doc: Y.Doc,
  cache: RootIndexCache,
  anchor: RelPos,
  head: RelPos,
  opts: LocateOptions
): DocLocation {
  const deps = opts.deps;
  const h = absolute(doc, cache, head, opts.reuse?.head);
  if (!h.ok) {
    if (deps) deps.volatile = true;
    return { state: h.state, reason: h.reason };
  }
  const reuse = opts.reuse;
  if (reuse && reuse.type === h.abs.type && reuse.deps.root) {
    // Same innermost type, structure still valid: only the offsets are new.
    const root = reuse.deps.root;
    const block = reuse.deps.blocks[0];
    if (deps) {
      deps.root = root;
      if (block) deps.blocks.push(block);
    }
    reuse.head = h.abs.item ? { item: h.abs.item, before: h.abs.index - h.abs.within } : null;
    if (opts.keep) opts.keep.structure = reuse;
    const l = reuse.loc;
    const loc: DocLocation = { state: 'resolved' };
    if (l.root !== undefined) loc.root = l.root;
    if (l.rootKind !== undefined) loc.rootKind = l.rootKind;
    if (l.block !== undefined) loc.block = l.block;
    if (l.blocks !== undefined) loc.blocks = l.blocks;
    if (l.nodePath !== undefined) loc.nodePath = l.nodePath;
    if (l.path !== undefined) loc.path = l.path;
    if (l.nodeName !== undefined) loc.nodeName = l.nodeName;
    loc.offset = h.abs.index;
    return finish(doc, cache, loc, root, h.abs, anchor, head, opts);
  }
  const chain = chainOf(h.abs.type);
  if (typeof chain === 'string') {
    if (deps) deps.volatile = true;
    return { state: chain === 'invalid' ? 'unknown' : 'unresolved', reason: chain };
  }
  const { root, types } = chain;
  if (deps) {
    deps.root = root;
    if (types[0]) deps.blocks.push(types[0]);
  }
  const name = rootName(doc, root);
  if (name === undefined) return { state: 'unresolved', reason: 'collected' };
  const rootKind = kindOf(root);
  const loc: DocLocation = { state: 'resolved', root: name, rootKind };
  const textRoot = isText(root) && types.length === 0;

  // Tree path of the innermost node, block index of the top-level child.
  let nodePath = joinPath('', name);
  for (let i = 0; i < types.length; i++) {
    const item = (types[i] as AnyType)._item as Y.Item;
    const parent = item.parent as AnyType;
    let idx: number;
    if (item.parentSub !== null) {
      nodePath = joinPath(nodePath, item.parentSub);
      continue;
    }
    const typesOnly = isText(parent) || parent instanceof Y.XmlText;
    if (i === 0) {
      const at = cache.of(root, item).at;
      idx = at ? (typesOnly ? at.blocks : at.start) : 0;
      loc.block = at?.blocks ?? 0;
    } else idx = leftCount(item, typesOnly);
    nodePath = joinPath(nodePath, idx);
  }
  loc.nodePath = nodePath;
  const { index: rootIndex } = cache.of(root);
  if (textRoot) {
    // Y.Text: lines are the blocks.
    const at = h.abs.item ? cache.of(root, h.abs.item).at : undefined;
    let newlines = rootIndex.newlines;
    let lineStart = 0;
    if (h.abs.item && at) {
      newlines = at.newlines;
      lineStart = at.lineStart;
      const c = h.abs.item.content;
      if (!h.abs.item.deleted && c instanceof Y.ContentString) {
        const upto = h.abs.index - at.start;
        for (let i = c.str.indexOf('\n'); i !== -1 && i < upto; i = c.str.indexOf('\n', i + 1)) {
          newlines++;
          lineStart = at.start + i + 1;
        }
      }
    } else if (!h.abs.item && h.abs.index === 0) newlines = 0;
    else if (!h.abs.item) {
      // Anchored at the end of the text.
      newlines = rootIndex.newlines;
      lineStart = Math.min(h.abs.index, rootIndex.lastLineStart);
    }
    loc.line = newlines + 1;
    loc.column = Math.max(0, h.abs.index - lineStart);
    loc.block = newlines;
    loc.blocks = rootIndex.newlines + 1;
    loc.offset = h.abs.index;
  } else {
    loc.blocks = rootIndex.blocks;
    if (types.length === 0) {
      // Between top-level blocks (a node selection / gap cursor in the root itself).
      const before = h.abs.item
        ? (cache.of(root, h.abs.item).at?.blocks ?? 0)
        : h.abs.index >= root._length
          ? rootIndex.blocks
          : 0;
      loc.block = Math.min(before, Math.max(0, rootIndex.blocks - 1));
    }
    const names: string[] = [];
    for (const t of types) {
      const n = nodeNameOf(t);
      if (n !== undefined) names.push(n);
    }
    if (names.length > 0) {
      loc.path = names.slice(-MAX_LOCATION_DEPTH);
      loc.nodeName = names[names.length - 1];
    }
    loc.offset = h.abs.index;
    if (opts.keep && types.length > 0) {
      // Here the location holds the structure and the offset only.
      const { state: _state, offset: _offset, ...structure } = loc;
      opts.keep.structure = {
        type: h.abs.type,
        head: h.abs.item ? { item: h.abs.item, before: h.abs.index - h.abs.within } : null,
        deps: { root, blocks: [types[0] as AnyType], volatile: false },
        loc: structure,
      };
    }
  }
  return finish(doc, cache, loc, root, h.abs, anchor, head, opts);
}

/** Selection and snippet: the part of a location that depends on both positions and on the offsets. */
function finish(
  doc: Y.Doc,
  cache: RootIndexCache,
  loc: DocLocation,
  root: AnyType,
  habs: Absolute,
  anchor: RelPos,
  head: RelPos,
  opts: LocateOptions
): DocLocation {
  const deps = opts.deps;
  // Selection: length when anchor and head share the innermost type, else the anchor's block.
  if (!samePos(anchor, head)) {
    const a = absolute(doc, cache, anchor);
    if (a.ok && a.abs.type === habs.type) loc.selection = Math.abs(habs.index - a.abs.index);
    else if (a.ok) {
      const ac = chainOf(a.abs.type);
      if (typeof ac !== 'string' && ac.root === root && ac.types[0]) {
        if (deps) deps.blocks.push(ac.types[0]);
        const at = cache.of(root, (ac.types[0] as AnyType)._item as Y.Item).at;
        if (at && at.blocks !== loc.block) loc.anchorBlock = at.blocks;
      } else if (deps && typeof ac === 'string') deps.volatile = true;
    } else if (deps) deps.volatile = true;
  } else loc.selection = 0;
  if (opts.snippet) loc.snippet = snippetAt(habs, habs.item ? null : lastItem(habs.type, cache));
  return loc;
}
