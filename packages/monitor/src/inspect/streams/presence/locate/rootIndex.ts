/**
 * Per-root item index for document locations: for every item of a root type (a top-level
 * XmlFragment, a Y.Text, Lexical's root XmlText) its countable offset, the newlines and the
 * embedded types (blocks) before it. Built lazily, in one pass over the root's items, the first
 * time a caret in that root is resolved after the root's own item list changed, so resolving a
 * caret costs O(depth × siblings inside the enclosing block) instead of a walk of the document.
 *
 * Invalidation: the cache drops a root's index in the document's `afterTransaction` when the
 * transaction changed that root's own items (O(types changed) per transaction, no other work on
 * the update path). An item missing from the index (split since) forces a rebuild too.
 */
import * as Y from 'yjs';

type AnyType = Y.AbstractType<unknown>;

export interface ItemPos {
  /** Countable, non-deleted length before the item. */
  start: number;
  /** `\n` characters before the item. */
  newlines: number;
  /** Offset right after the last `\n` before the item (0 when none). */
  lineStart: number;
  /** Embedded types (blocks: XML children, Lexical element nodes) before the item. */
  blocks: number;
}

export interface RootIndex {
  pos: Map<Y.Item, ItemPos>;
  length: number;
  newlines: number;
  /** Offset right after the last `\n` of the root (start of its last line). */
  lastLineStart: number;
  blocks: number;
  /** The root's last item (live or deleted), null when empty. */
  last: Y.Item | null;
}

function build(root: AnyType): RootIndex {
  const pos = new Map<Y.Item, ItemPos>();
  let start = 0;
  let newlines = 0;
  let lineStart = 0;
  let blocks = 0;
  let last: Y.Item | null = null;
  for (let item = root._start; item !== null; item = item.right) {
    last = item;
    pos.set(item, { start, newlines, lineStart, blocks });
    if (item.deleted || !item.countable) continue;
    const c = item.content;
    if (c instanceof Y.ContentString) {
      const s = c.str;
      for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) {
        newlines++;
        lineStart = start + i + 1;
      }
    } else if (c instanceof Y.ContentType) blocks++;
    start += item.length;
  }
  return { pos, length: start, newlines, lastLineStart: lineStart, blocks, last };
}

export class RootIndexCache {
  private readonly indexes = new Map<AnyType, RootIndex>();
  /** Index builds so far (tests and the benchmark read it). */
  builds = 0;
  private readonly onTransaction = (tr: Y.Transaction): void => {
    if (this.indexes.size === 0) return;
    for (const t of tr.changed.keys()) this.indexes.delete(t as AnyType);
  };

  constructor(private readonly doc: Y.Doc) {
    doc.on('afterTransaction', this.onTransaction);
  }

  /** The index of a root type, and the position of `item` in it (rebuilt when stale or `item` is unknown). */
  of(root: AnyType, item?: Y.Item): { index: RootIndex; at?: ItemPos } {
    let index = this.indexes.get(root);
    let at = item && index?.pos.get(item);
    if (!index || (item && !at)) {
      index = build(root);
      this.builds++;
      this.indexes.set(root, index);
      at = item && index.pos.get(item);
    }
    return at ? { index, at } : { index };
  }

  dispose(): void {
    this.doc.off('afterTransaction', this.onTransaction);
    this.indexes.clear();
  }
}
