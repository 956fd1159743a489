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
 */
import * as Y from 'yjs';
import { joinPath, type DeltaPreview } from '@collabblocks/protocol';
import { locateType, renderValue, rootNameMap } from '../tree/treeWalk.js';

export const MAX_PATHS = 32;
export const MAX_PREVIEW = 16;
const MAX_PREVIEW_CHARS = 200;
/** Delete ranges resolved to paths at most (the rest only counted). */
const MAX_DELETE_LOOKUPS = 64;

export interface DecodedUpdate {
  clientId: number;
  inserted: number;
  deleted: number;
  paths: string[];
  pathsTruncated: boolean;
  preview: DeltaPreview[];
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

/**
 * @param doc a document that contains the update (for path resolution)
 * @param withPreview content scope: include values
 */
export function summarizeUpdate(update: Uint8Array, doc: Y.Doc, withPreview: boolean): DecodedUpdate {
  const decoded = Y.decodeUpdate(update);
  const rootNames = rootNameMap(doc);
  const pathCache = new Map<AnyType, string | null>();
  const paths = new Set<string>();
  let pathsTruncated = false;
  const preview: DeltaPreview[] = [];
  let inserted = 0;
  let deleted = 0;
  let clientId = 0;

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
    inserted += s.length;
    const p = where(s.id.client, s.id.clock);
    addPath(p);
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
      if (withPreview && preview.length < MAX_PREVIEW) preview.push({ path: p, op: 'delete', length: r.len });
    }
  }
  if (clientId === 0) {
    const first = decoded.ds.clients.keys().next();
    if (!first.done) clientId = first.value;
  }
  return { clientId, inserted, deleted, paths: [...paths], pathsTruncated, preview };
}
