/**
 * Decodes one Yjs update into an inspect `UpdateSummary` body: counts, the
 * paths it touched and (content scope) a bounded delta preview. O(update):
 * each struct is resolved with one binary search in the document's struct
 * store plus the walk up to its root.
 *
 * Paths are resolved against a document that already contains the update
 * (the live doc after apply, or a scratch doc when rebuilding history). A
 * struct whose parent cannot be resolved (garbage-collected, or a doc that
 * lacks it) is reported as `/~<client>:<clock>`.
 *
 * Y.Text updates also say which lines they touched (`lines`, see lineIndex.ts): pass one
 * `LineIndex` to every update of a batch read against the same document.
 */
import * as Y from 'yjs';
import {
  joinPath,
  MAX_UPDATE_FORMATS,
  type DeltaPreview,
  type FormatOp,
  type LineRange,
  type UpdateSummary,
} from '@collabblocks/protocol';
import { locateType, renderValue, rootNameMap } from '../tree/treeWalk.js';
import { plainMark } from '../tree/richText.js';
import { LineIndex, LineRanges } from './lineIndex.js';

export const MAX_PATHS = 32;
export const MAX_PREVIEW = 16;
const MAX_PREVIEW_CHARS = 200;
/** Delete ranges resolved to paths at most (the rest only counted). */
const MAX_DELETE_LOOKUPS = 64;
/** Items walked at most to measure one formatting operation (longer spans are counted up to here). */
const MAX_FORMAT_WALK = 100_000;

export interface DecodedUpdate {
  clientId: number;
  inserted: number;
  deleted: number;
  paths: string[];
  pathsTruncated: boolean;
  preview: DeltaPreview[];
  /** Characters whose formatting the update changed (format markers themselves are not inserts). */
  formatted: number;
  /** Formatting operations (bounded), values included: strip them for metadata scope. */
  formats: FormatOp[];
  /** Embeds inserted (ContentEmbed: Quill images…). */
  embeds: number;
  /** Y.Text lines touched (merged ranges per text path, bounded). */
  lines: LineRange[];
  linesTruncated: boolean;
}

/**
 * Measures the formatting operation that starts at format marker `start`: the characters up to
 * the next marker of the same key (its closing marker, usually in the same update, which is then
 * `consumed`), bounded by MAX_FORMAT_WALK items; `last`: the span's last live content item.
 */
function measureFormat(
  start: Y.Item,
  key: string,
  inUpdate: (it: Y.Item) => boolean,
  consumed: Set<Y.Item>
): { n: number; last: Y.Item | null } {
  let n = 0;
  let walked = 0;
  let last: Y.Item | null = null;
  for (let it = start.right; it !== null && walked < MAX_FORMAT_WALK; it = it.right, walked++) {
    if (it.content instanceof Y.ContentFormat) {
      if (it.content.key === key) {
        if (inUpdate(it)) consumed.add(it);
        break;
      }
      continue;
    }
    if (!it.deleted && it.countable) {
      n += it.length;
      last = it;
    }
  }
  return { n, last };
}

/**
 * When the update deleted a one-item struct left of marker `m` with no marker of `key` between
 * (the opening marker it replaced, `start`), the characters in between (`last`: the span's last
 * live content item); else null.
 */
function spanFromDeletedOpening(
  m: Y.Item,
  key: string,
  deletedHere: (it: Y.Item) => boolean
): { n: number; start: Y.Item; last: Y.Item | null } | null {
  let n = 0;
  let walked = 0;
  let last: Y.Item | null = null;
  for (let it = m.left; it !== null && walked < MAX_FORMAT_WALK; it = it.left, walked++) {
    if (it.content instanceof Y.ContentFormat) {
      if (it.content.key === key && !it.deleted) return null;
      continue;
    }
    if (it.deleted) {
      if (it.length === 1 && it.content instanceof Y.ContentDeleted && deletedHere(it))
        return { n, start: it, last };
      continue;
    }
    if (it.countable) {
      n += it.length;
      last ??= it;
    }
  }
  return null;
}

/** The revision-2 update fields (`formatted`, `formats`, `embeds`) of a decoded update; `withValues`: content scope. */
export function formatFields(
  d: DecodedUpdate,
  withValues: boolean
): Pick<UpdateSummary, 'formatted' | 'formats' | 'embeds'> {
  const out: Pick<UpdateSummary, 'formatted' | 'formats' | 'embeds'> = {};
  if (d.formatted > 0 || d.formats.length > 0) {
    out.formatted = d.formatted;
    out.formats = withValues
      ? d.formats
      : d.formats.map((f) => {
          const m: FormatOp = { path: f.path, key: f.key, length: f.length };
          if (f.removed) m.removed = true;
          return m;
        });
  }
  if (d.embeds > 0) out.embeds = d.embeds;
  return out;
}

type AnyType = Y.AbstractType<unknown>;

function findItem(doc: Y.Doc, client: number, clock: number): Y.Item | null {
  const structs = doc.store.clients.get(client);
  if (!structs || structs.length === 0) return null;
  const last = structs[structs.length - 1];
  if (!last || clock >= last.id.clock + last.length) return null;
  try {
    const s = Y.getItem(doc.store, Y.createID(client, clock));
    return s instanceof Y.Item ? s : null;
  } catch {
    return null;
  }
}

function previewOf(content: Y.Item['content']): unknown {
  if (content instanceof Y.ContentString) {
    return content.str.length > MAX_PREVIEW_CHARS
      ? content.str.slice(0, MAX_PREVIEW_CHARS) + '…'
      : content.str;
  }
  if (content instanceof Y.ContentType) return `<${content.type.constructor.name.replace(/^Y/, '')}>`;
  if (content instanceof Y.ContentDeleted) return undefined;
  const arr = content.getContent();
  const r = renderValue(arr.length === 1 ? arr[0] : arr);
  if (typeof r.value === 'string' && r.value.length > MAX_PREVIEW_CHARS)
    return r.value.slice(0, MAX_PREVIEW_CHARS) + '…';
  return r.value;
}

/** The revision-3 update fields (`lines`, `linesTruncated`) of a decoded update: structure, both scopes. */
export function lineFields(d: DecodedUpdate): Pick<UpdateSummary, 'lines' | 'linesTruncated'> {
  const out: Pick<UpdateSummary, 'lines' | 'linesTruncated'> = {};
  if (d.lines.length > 0) out.lines = d.lines;
  if (d.linesTruncated) out.linesTruncated = true;
  return out;
}

/**
 * @param doc a document that contains the update (for path resolution)
 * @param withPreview content scope: include values
 * @param lineIndex shared by a batch of updates read against the same, unchanged `doc`
 */
export function summarizeUpdate(
  update: Uint8Array,
  doc: Y.Doc,
  withPreview: boolean,
  lineIndex: LineIndex = new LineIndex()
): DecodedUpdate {
  const decoded = Y.decodeUpdate(update);
  const rootNames = rootNameMap(doc);
  const pathCache = new Map<AnyType, string | null>();
  const paths = new Set<string>();
  let pathsTruncated = false;
  const preview: DeltaPreview[] = [];
  let inserted = 0;
  let deleted = 0;
  let clientId = 0;
  let formatted = 0;
  let embeds = 0;
  const formats: FormatOp[] = [];
  const consumed = new Set<Y.Item>();
  const lines = new LineRanges();
  /** Lines from item `a` (offset `ao`) to item `b` (offset `bo`) of the Y.Text at `path`. */
  const touchLines = (path: string, a: Y.Item, ao: number, b: Y.Item, bo: number, inserted = true): void => {
    if (!lineIndex.isText(a.parent)) return;
    const [from, to] = lineIndex.spanLines(a, ao, b, bo, inserted);
    lines.add(path, from, to);
  };
  const ranges = new Map<number, Array<[number, number]>>();
  for (const s of decoded.structs) {
    if (!(s instanceof Y.Item)) continue;
    let r = ranges.get(s.id.client);
    if (!r) ranges.set(s.id.client, (r = []));
    r.push([s.id.clock, s.id.clock + s.length]);
  }
  const inUpdate = (it: Y.Item): boolean =>
    (ranges.get(it.id.client) ?? []).some(([a, b]) => it.id.clock >= a && it.id.clock < b);
  const deletedHere = (it: Y.Item): boolean =>
    (decoded.ds.clients.get(it.id.client) ?? []).some(
      (r) => it.id.clock >= r.clock && it.id.clock < r.clock + r.len
    );
  const addFormat = (path: string, key: string, length: number, removed: boolean, value?: unknown): void => {
    formatted += length;
    if (formats.length >= MAX_UPDATE_FORMATS) return;
    const op: FormatOp = { path, key: key.slice(0, 64), length };
    if (removed) op.removed = true;
    else if (value !== undefined && !plainMark(value)) op.value = renderValue(value).value;
    formats.push(op);
  };
  const pathOfType = (t: AnyType): string | null => {
    let p = pathCache.get(t);
    if (p === undefined) {
      p = locateType(t, rootNames)?.path ?? null;
      pathCache.set(t, p);
    }
    return p;
  };
  const addPath = (p: string): void => {
    if (paths.has(p)) return;
    if (paths.size >= MAX_PATHS) pathsTruncated = true;
    else paths.add(p);
  };
  /** Path of the container holding the live struct at (client, clock), plus the map key if any. */
  const where = (client: number, clock: number): string => {
    const item = findItem(doc, client, clock);
    if (item === null || !(item.parent instanceof Y.AbstractType)) return `/~${client}:${clock}`;
    const base = pathOfType(item.parent as AnyType);
    if (base === null) return `/~${client}:${clock}`;
    return item.parentSub !== null ? joinPath(base, item.parentSub) : base;
  };

  for (const s of decoded.structs) {
    if (!(s instanceof Y.Item)) continue;
    if (clientId === 0) clientId = s.id.client;
    const p = where(s.id.client, s.id.clock);
    addPath(p);
    if (s.content instanceof Y.ContentFormat) {
      // A format marker: "formatted N chars bold", not a one-character insert.
      const live = findItem(doc, s.id.client, s.id.clock);
      if (live === null || consumed.has(live)) continue;
      const key = s.content.key;
      const value = s.content.value as unknown;
      // Removing a mark deletes its opening marker (its content is gone once deleted) and inserts
      // a marker restoring the mark after the span: the span back to that deleted item lost the mark.
      const removedSpan = spanFromDeletedOpening(live, key, deletedHere);
      if (removedSpan !== null) {
        addFormat(p, key, removedSpan.n, value !== null);
        const end = removedSpan.last ?? live;
        touchLines(p, removedSpan.start, 0, end, end.length - 1, false);
      } else {
        const span = measureFormat(live, key, inUpdate, consumed);
        addFormat(p, key, span.n, value === null, value);
        const end = span.last ?? live;
        touchLines(p, live, 0, end, end.length - 1, false);
      }
      continue;
    }
    const first = findItem(doc, s.id.client, s.id.clock);
    if (first !== null && lineIndex.isText(first.parent)) {
      const lastClock = s.id.clock + Math.max(1, s.length) - 1;
      const last = findItem(doc, s.id.client, lastClock) ?? first;
      touchLines(p, first, s.id.clock - first.id.clock, last, lastClock - last.id.clock);
    }
    if (s.content instanceof Y.ContentEmbed) embeds += s.length;
    inserted += s.length;
    if (withPreview && preview.length < MAX_PREVIEW && !(s.content instanceof Y.ContentDeleted)) {
      const value = previewOf(s.content);
      preview.push({ path: p, op: s.parentSub !== null ? 'set' : 'insert', value, length: s.length });
    }
  }
  let lookups = 0;
  for (const [client, ranges] of decoded.ds.clients) {
    for (const r of ranges) {
      deleted += r.len;
      if (lookups >= MAX_DELETE_LOOKUPS) {
        pathsTruncated = true;
        continue;
      }
      lookups++;
      // A deleted struct keeps its parent until it is garbage-collected.
      const p = where(client, r.clock);
      addPath(p);
      const gone = findItem(doc, client, r.clock);
      if (gone !== null) touchLines(p, gone, 0, gone, 0);
      if (withPreview && preview.length < MAX_PREVIEW) preview.push({ path: p, op: 'delete', length: r.len });
    }
  }
  if (clientId === 0) {
    const first = decoded.ds.clients.keys().next();
    if (!first.done) clientId = first.value;
  }
  const touched = lines.result();
  return {
    clientId,
    inserted,
    deleted,
    paths: [...paths],
    pathsTruncated,
    preview,
    formatted,
    formats,
    embeds,
    lines: touched.lines,
    linesTruncated: touched.truncated,
  };
}
