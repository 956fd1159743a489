/**
 * Which lines of a Y.Text (CodeMirror, Monaco, Quill) an update touched, for update summaries.
 *
 * A `LineIndex` lives for one batch of summaries (an updates-stream flush, a history page) read
 * against one unchanging document: the first time an update of the batch touches a text, one pass
 * over that text's items records the newlines before each item; every later lookup in the batch is
 * a map read plus a scan inside one item. A batch therefore costs O(items of the texts it touched +
 * its updates), never O(text) per update, and nothing runs on the update path.
 *
 * Bounded: a text of more than MAX_LINE_INDEX_ITEMS items (live and deleted) is not indexed and its
 * updates carry no lines. Only line numbers leave this module, never text. XmlText (ProseMirror
 * paragraphs, Lexical's root) is not a text with lines here: its blocks are elements, not lines.
 */
import * as Y from 'yjs';
import { MAX_UPDATE_LINES, type LineRange } from '@collabblocks/protocol';
import { kindOf } from '../tree/treeWalk.js';

/** Items of one text indexed at most (a larger text's updates carry no lines). */
export const MAX_LINE_INDEX_ITEMS = 200_000;
/**
 * Lookups in one text answered by walking left from the item (no allocation) before the batch indexes
 * the text: a small batch (the usual flush: a few keystrokes) never pays for a whole index.
 */
export const WALK_LOOKUPS = 4;

type AnyType = Y.AbstractType<unknown>;
/** Newlines before each item of one text (deleted items: where they stood). */
type TextLines = Map<Y.Item, number>;

function newlinesIn(s: string, end: number): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1 && i < end; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

export class LineIndex {
  private readonly texts = new Map<AnyType, TextLines | null>();
  private readonly kinds = new Map<AnyType, boolean>();
  private readonly walks = new Map<AnyType, number>();
  /** Texts indexed so far (tests read it: one build per text per batch). */
  builds = 0;

  constructor(private readonly maxItems = MAX_LINE_INDEX_ITEMS) {}

  /**
   * Whether `t` is a text whose lines the summaries report: a Y.Text, not an XmlText — or a root
   * nobody typed on this pod (the pod only applies updates, so its roots are plain AbstractTypes)
   * whose content is text. Never `doc.get()`, which would retype the root.
   */
  isText(t: unknown): t is AnyType {
    if (!(t instanceof Y.AbstractType)) return false;
    if (t instanceof Y.Text) return !(t instanceof Y.XmlText);
    if (t.constructor !== Y.AbstractType) return false;
    let text = this.kinds.get(t);
    if (text === undefined) this.kinds.set(t, (text = kindOf(t) === 'Text'));
    return text;
  }

  /** Newlines before `item`, walking left to the text's start (bounded like an index); undefined beyond. */
  private walkLeft(item: Y.Item): number | undefined {
    let newlines = 0;
    let items = 0;
    for (let it = item.left; it !== null; it = it.left) {
      if (++items >= this.maxItems) return undefined;
      if (!it.deleted && it.content instanceof Y.ContentString)
        newlines += newlinesIn(it.content.str, Infinity);
    }
    return newlines;
  }

  private of(text: AnyType): TextLines | null {
    let lines = this.texts.get(text);
    if (lines !== undefined) return lines;
    lines = new Map();
    let newlines = 0;
    let items = 0;
    for (let item = text._start; item !== null; item = item.right) {
      if (++items > this.maxItems) {
        lines = null;
        break;
      }
      lines.set(item, newlines);
      if (!item.deleted && item.content instanceof Y.ContentString) {
        newlines += newlinesIn(item.content.str, Infinity);
      }
    }
    this.builds++;
    this.texts.set(text, lines);
    return lines;
  }

  /**
   * 0-based line of the character at `offset` inside live `item` of a Y.Text (a deleted or
   * non-text item: the line where it stands); -1 when the item is not in an indexed text.
   */
  lineOf(item: Y.Item, offset = 0): number {
    const parent = item.parent;
    if (!this.isText(parent)) return -1;
    const walked = this.walks.get(parent) ?? 0;
    const before =
      walked < WALK_LOOKUPS && !this.texts.has(parent)
        ? (this.walks.set(parent, walked + 1), this.walkLeft(item))
        : this.of(parent)?.get(item);
    if (before === undefined) return -1;
    if (item.deleted || !(item.content instanceof Y.ContentString) || offset <= 0) return before;
    return before + newlinesIn(item.content.str, offset);
  }

  /**
   * Lines a span from the character at `offset` in `item` to the one at `lastOffset` in `last`
   * touched. `inserted` (the span is new text): a line break as its last character splits that
   * line, so the line after it is touched too. -1s when not indexed.
   */
  spanLines(
    item: Y.Item,
    offset: number,
    last: Y.Item,
    lastOffset: number,
    inserted: boolean
  ): [number, number] {
    const from = this.lineOf(item, offset);
    // One item (a keystroke, a paste): the newlines inside it, without a second lookup.
    const c0 = item.content;
    const to =
      last === item && from >= 0
        ? item.deleted || !(c0 instanceof Y.ContentString) || lastOffset <= offset
          ? from
          : from + newlinesIn(c0.str.slice(offset), lastOffset - offset)
        : this.lineOf(last, lastOffset);
    if (from < 0 || to < 0) return [-1, -1];
    const c = last.content;
    const breaks = inserted && !last.deleted && c instanceof Y.ContentString && c.str[lastOffset] === '\n';
    return from <= to ? [from, to + (breaks ? 1 : 0)] : [to, from];
  }
}

/** Line ranges collected for one update: per text path, merged, bounded by MAX_UPDATE_LINES. */
export class LineRanges {
  private readonly byPath = new Map<string, Array<[number, number]>>();

  add(path: string, from: number, to: number): void {
    if (from < 0 || to < from) return;
    let r = this.byPath.get(path);
    if (!r) this.byPath.set(path, (r = []));
    r.push([from, to]);
    // Many structs (an offline session's sync): keep the raw list short.
    if (r.length > 4 * MAX_UPDATE_LINES) this.byPath.set(path, merge(r));
  }

  /** Merged ranges (overlapping or adjacent lines join), paths in first-touched order, bounded. */
  result(): { lines: LineRange[]; truncated: boolean } {
    const lines: LineRange[] = [];
    let truncated = false;
    for (const [path, raw] of this.byPath) {
      for (const [from, to] of merge(raw)) {
        if (lines.length >= MAX_UPDATE_LINES) truncated = true;
        else lines.push({ path, from, to });
      }
    }
    return { lines, truncated };
  }
}

function merge(raw: Array<[number, number]>): Array<[number, number]> {
  const sorted = [...raw].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Array<[number, number]> = [];
  for (const [a, b] of sorted) {
    const cur = out[out.length - 1];
    if (cur && a <= cur[1] + 1) cur[1] = Math.max(cur[1], b);
    else out.push([a, b]);
  }
  return out;
}
