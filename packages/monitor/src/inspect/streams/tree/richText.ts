/**
 * Reads Yjs types as the documents editor bindings make of them: node names (XmlElement tags,
 * Lexical's `__type`), attributes, text as formatting runs (ProseMirror marks, Quill attributes,
 * embeds), and which editor a root's name and kind suggest. Pure functions over a type's items;
 * `forMetadata` strips what only content scope may carry (text, string values).
 */
import * as Y from 'yjs';
import {
  MAX_TEXT_RUNS,
  type DocBinding,
  type TextRun,
  type TreeNode,
  type TreeNodeType,
} from '@collabblocks/protocol';

type AnyType = Y.AbstractType<unknown>;
type AttrValue = NonNullable<TreeNode['attrs']>[string];

/** Longest run text / string attribute carried (content scope). */
const MAX_RUN_TEXT = 1_024;
const MAX_ATTR_STRING = 256;
const MAX_ATTRS = 64;
/** JSON of a mark value (a link's `{href}`…) longer than this is cut to a string. */
const MAX_MARK_JSON = 256;

/** Element name: XmlElement tag, else Lexical's `__type` attribute (XmlText element nodes, text-node Maps). */
export function nodeNameOf(t: AnyType): string | undefined {
  if (t instanceof Y.XmlElement) return t.nodeName.slice(0, 64);
  const typeAttr = t._map.get('__type');
  if (typeAttr && !typeAttr.deleted) {
    const c = typeAttr.content.getContent();
    const v = c[c.length - 1];
    if (typeof v === 'string') return v.slice(0, 64);
  }
  return undefined;
}

function attrValue(v: unknown): AttrValue {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string') return v.length > MAX_ATTR_STRING ? v.slice(0, MAX_ATTR_STRING) + '…' : v;
  let json: string;
  try {
    json = JSON.stringify(v) ?? 'null';
  } catch {
    json = '<unserialisable>';
  }
  return json.length > MAX_ATTR_STRING ? json.slice(0, MAX_ATTR_STRING) + '…' : json;
}

/** Attributes of an Xml type (content scope values; `forMetadata` keeps numbers/booleans/null). */
export function attributesOf(t: AnyType): { attrs: Record<string, AttrValue>; keys: string[] } | undefined {
  if (!(t instanceof Y.XmlElement || t instanceof Y.XmlText || t instanceof Y.XmlHook)) return undefined;
  const attrs: Record<string, AttrValue> = {};
  const keys: string[] = [];
  for (const [k, item] of t._map) {
    if (item.deleted || keys.length >= MAX_ATTRS) continue;
    const c = item.content.getContent();
    keys.push(k.slice(0, 64));
    attrs[k.slice(0, 64)] = attrValue(c[c.length - 1]);
  }
  if (keys.length === 0) return undefined;
  keys.sort();
  return { attrs, keys };
}

function markValue(v: unknown): unknown {
  if (typeof v === 'string') return v.length > MAX_MARK_JSON ? v.slice(0, MAX_MARK_JSON) + '…' : v;
  if (typeof v !== 'object' || v === null) return v;
  let json: string;
  try {
    json = JSON.stringify(v) ?? 'null';
  } catch {
    return '<unserialisable>';
  }
  return json.length > MAX_MARK_JSON ? json.slice(0, MAX_MARK_JSON) + '…' : (JSON.parse(json) as unknown);
}

/** True for a mark value that carries nothing but the mark: `true`, or an empty object. */
export function plainMark(v: unknown): boolean {
  return (
    v === true || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)
  );
}

/** Kind of an embed: the embed object's first key (`image`, `video`), a Yjs type's node name or kind. */
function embedKind(c: Y.Item['content']): string {
  if (c instanceof Y.ContentEmbed) {
    const e = c.embed as unknown;
    if (typeof e === 'object' && e !== null) {
      const k = Object.keys(e)[0];
      if (k !== undefined) return k.slice(0, 64);
    }
    return 'embed';
  }
  if (c instanceof Y.ContentType) {
    const t = c.type as AnyType;
    return nodeNameOf(t) ?? t.constructor.name.replace(/^Y/, '');
  }
  return 'embed';
}

export interface Runs {
  runs: TextRun[];
  truncated: boolean;
  embeds: number;
}

function sameMarks(a: TextRun, marks: string[], values: Record<string, unknown> | undefined): boolean {
  if (a.embed !== undefined) return false;
  const am = a.marks ?? [];
  if (am.length !== marks.length || am.some((m, i) => m !== marks[i])) return false;
  return JSON.stringify(a.values ?? null) === JSON.stringify(values ?? null);
}

/**
 * Formatting runs of a Y.Text / XmlText: format markers (`ContentFormat`, which are items, not
 * characters) open and close marks; strings become runs with the marks active over them; embeds
 * (Quill images, Lexical node maps and element XmlTexts) are runs of length 1 with `embed`.
 */
export function runsOf(t: AnyType): Runs {
  const active = new Map<string, unknown>();
  const runs: TextRun[] = [];
  let truncated = false;
  let embeds = 0;
  for (let item = t._start; item !== null; item = item.right) {
    if (item.deleted) continue;
    const c = item.content;
    if (c instanceof Y.ContentFormat) {
      if (c.value === null) active.delete(c.key);
      else active.set(c.key, c.value);
      continue;
    }
    if (!item.countable) continue;
    const marks = [...active.keys()].sort();
    let values: Record<string, unknown> | undefined;
    for (const k of marks) {
      const v = active.get(k);
      // A mark without attributes is `true` (Quill) or `{}` (y-prosemirror): no value to carry.
      if (!plainMark(v)) (values ??= {})[k] = markValue(v);
    }
    if (c instanceof Y.ContentString) {
      const last = runs[runs.length - 1];
      if (last && sameMarks(last, marks, values)) {
        last.length += item.length;
        if (last.text !== undefined && last.text.length < MAX_RUN_TEXT)
          last.text = (last.text + c.str).slice(0, MAX_RUN_TEXT);
        continue;
      }
      if (runs.length >= MAX_TEXT_RUNS) {
        truncated = true;
        continue;
      }
      const run: TextRun = { length: item.length, text: c.str.slice(0, MAX_RUN_TEXT) };
      if (marks.length > 0) run.marks = marks.slice(0, 16);
      if (values) run.values = values;
      runs.push(run);
      continue;
    }
    embeds += item.length;
    if (runs.length >= MAX_TEXT_RUNS) {
      truncated = true;
      continue;
    }
    const run: TextRun = { length: item.length, embed: embedKind(c) };
    if (marks.length > 0) run.marks = marks.slice(0, 16);
    runs.push(run);
  }
  return { runs, truncated, embeds };
}

/** The editor a root's name and kind suggest (root types only). */
export function rootBindingOf(name: string, kind: TreeNodeType, t: AnyType): DocBinding | undefined {
  if (kind === 'XmlFragment') {
    const first = t._start?.content instanceof Y.ContentType ? (t._start.content.type as AnyType) : undefined;
    const firstName = first ? nodeNameOf(first) : undefined;
    if (name === 'document-store' || firstName === 'blockGroup' || firstName === 'blockContainer')
      return 'blocknote';
    if (name === 'prosemirror') return 'prosemirror';
    if (name === 'default') return 'tiptap';
    return undefined;
  }
  if (kind === 'Text') {
    if (name === 'codemirror') return 'codemirror';
    if (name === 'monaco') return 'monaco';
    if (name === 'quill') return 'quill';
    return undefined;
  }
  if (kind === 'XmlText' && name === 'root') return 'lexical';
  if (kind === 'Array' && name.startsWith('tl_')) return 'tldraw';
  if (kind === 'Array' && name === 'elements') return 'excalidraw';
  return undefined;
}

/** Adds the rich-text fields of a container type to its node (content-scope view). */
export function addRichFields(node: TreeNode, t: AnyType, kind: TreeNodeType): void {
  const name = nodeNameOf(t);
  if (name !== undefined) node.nodeName = name;
  const a = attributesOf(t);
  if (a) {
    node.attrs = a.attrs;
    node.attrKeys = a.keys;
  }
  if (kind === 'Text' || kind === 'XmlText') {
    const r = runsOf(t);
    node.runs = r.runs;
    if (r.truncated) node.runsTruncated = true;
    node.embeds = r.embeds;
  }
  if (node.depth === 1) {
    const b = rootBindingOf(node.key, kind, t);
    if (b) node.binding = b;
  }
}

/** The metadata-scope view of the rich fields: no run text or mark values, attributes without strings. */
export function stripRichFields(node: TreeNode): TreeNode {
  if (!node.runs && !node.attrs) return node;
  const copy: TreeNode = { ...node };
  if (node.runs) {
    copy.runs = node.runs.map((r) => {
      const m: TextRun = { length: r.length };
      if (r.marks) m.marks = r.marks;
      if (r.embed !== undefined) m.embed = r.embed;
      return m;
    });
  }
  if (node.attrs) {
    const attrs: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(node.attrs)) if (typeof v !== 'string') attrs[k] = v;
    copy.attrs = attrs;
  }
  return copy;
}
