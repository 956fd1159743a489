/**
 * Presence frames as the datasource builds them for real editor bindings (revision-2 PRESENCE_FIELDS
 * columns: binding, pointer space, document location, activity), for the store, view and renderer tests.
 */
import { createDataFrame, FieldType, type DataFrame } from '@grafana/data';
import {
  COLLAB_FRAME_KIND_KEY,
  PRESENCE_FIELDS as F,
  TREE_FIELDS as T,
  UPDATES_FIELDS as U,
} from '@collabblocks/protocol';

export interface BindingRow {
  user: string;
  clientId: number;
  color?: string;
  status?: string;
  binding?: string;
  x?: number | null;
  y?: number | null;
  space?: string;
  locState?: string;
  root?: string;
  block?: number | null;
  blocks?: number | null;
  line?: number | null;
  column?: number | null;
  selection?: number | null;
  anchorBlock?: number | null;
  nodeName?: string;
  lastActive?: number | null;
}

export function bindingFrame(room: string, rows: BindingRow[], ts: number): DataFrame {
  const n = <K extends keyof BindingRow>(k: K) => rows.map((r) => (r[k] === undefined ? null : r[k]));
  const s = <K extends keyof BindingRow>(k: K) => rows.map((r) => (r[k] === undefined ? '' : r[k]));
  return createDataFrame({
    name: 'presence',
    meta: { custom: { [COLLAB_FRAME_KIND_KEY]: 'presence', room, pod: 'p1', scope: 'metadata', ts } },
    fields: [
      { name: F.room, type: FieldType.string, values: rows.map(() => room) },
      { name: F.clientId, type: FieldType.number, values: rows.map((r) => r.clientId) },
      { name: F.user, type: FieldType.string, values: rows.map((r) => r.user) },
      { name: F.label, type: FieldType.string, values: rows.map((r) => r.user) },
      { name: F.color, type: FieldType.string, values: s('color') },
      { name: F.x, type: FieldType.number, values: n('x') },
      { name: F.y, type: FieldType.number, values: n('y') },
      { name: F.status, type: FieldType.string, values: rows.map((r) => r.status ?? '') },
      { name: F.lastSeen, type: FieldType.time, values: rows.map(() => ts) },
      { name: F.updateCount, type: FieldType.number, values: rows.map(() => 1) },
      { name: F.binding, type: FieldType.string, values: s('binding') },
      { name: F.space, type: FieldType.string, values: s('space') },
      { name: F.locState, type: FieldType.string, values: s('locState') },
      { name: F.root, type: FieldType.string, values: s('root') },
      { name: F.block, type: FieldType.number, values: n('block') },
      { name: F.blocks, type: FieldType.number, values: n('blocks') },
      { name: F.nodeName, type: FieldType.string, values: s('nodeName') },
      { name: F.line, type: FieldType.number, values: n('line') },
      { name: F.column, type: FieldType.number, values: n('column') },
      { name: F.selection, type: FieldType.number, values: n('selection') },
      { name: F.anchorBlock, type: FieldType.number, values: n('anchorBlock') },
      { name: F.lastActive, type: FieldType.time, values: n('lastActive') },
    ],
  });
}

/** A user with a resolved caret in block `block` of a `blocks`-block ProseMirror document. */
export const caret = (
  clientId: number,
  block: number,
  extra: Partial<BindingRow> = {},
  blocks = 12
): BindingRow => ({
  user: `u-${clientId}`,
  clientId,
  binding: 'yjs-cursor',
  locState: 'resolved',
  root: 'prosemirror',
  block,
  blocks,
  nodeName: 'paragraph',
  selection: 0,
  ...extra,
});

/** A tree frame of the room with the root's top-level blocks (node names and sizes). */
export function treeFrame(
  room: string,
  root: string,
  blocks: Array<{ name: string; size: number }>
): DataFrame {
  const paths = [`/${root}`, ...blocks.map((_, i) => `/${root}/${i}`)];
  return createDataFrame({
    name: 'tree',
    meta: { custom: { [COLLAB_FRAME_KIND_KEY]: 'tree', room, pod: 'p1', scope: 'metadata', ts: 1 } },
    fields: [
      { name: T.path, type: FieldType.string, values: paths },
      { name: T.parentPath, type: FieldType.string, values: ['', ...blocks.map(() => `/${root}`)] },
      { name: T.type, type: FieldType.string, values: ['XmlFragment', ...blocks.map(() => 'XmlElement')] },
      { name: T.size, type: FieldType.number, values: [blocks.length, ...blocks.map((b) => b.size)] },
      { name: T.nodeName, type: FieldType.string, values: ['', ...blocks.map((b) => b.name)] },
    ],
  });
}

/**
 * An updates frame of the room (contract UPDATES_FIELDS): one row per update with its id, touched paths,
 * Y.Text `lines` (ranges, or a raw cell) and time (default 1000 + row).
 */
export function updatesFrame(
  room: string,
  rows: Array<{ id: string; paths: unknown; origin?: string; lines?: unknown; ts?: number }>,
  kind: 'updates' | 'history' = 'updates'
): DataFrame {
  return createDataFrame({
    name: kind,
    meta: { custom: { [COLLAB_FRAME_KIND_KEY]: kind, room, pod: 'p1', scope: 'metadata' } },
    fields: [
      { name: U.time, type: FieldType.time, values: rows.map((r, i) => r.ts ?? 1000 + i) },
      {
        name: U.lines,
        type: FieldType.string,
        values: rows.map((r) =>
          r.lines === undefined ? '' : typeof r.lines === 'string' ? r.lines : JSON.stringify(r.lines)
        ),
      },
      { name: U.id, type: FieldType.string, values: rows.map((r) => r.id) },
      { name: U.room, type: FieldType.string, values: rows.map(() => room) },
      { name: U.origin, type: FieldType.string, values: rows.map((r) => r.origin ?? 'client') },
      {
        name: U.paths,
        type: FieldType.string,
        values: rows.map((r) => (typeof r.paths === 'string' ? r.paths : JSON.stringify(r.paths))),
      },
    ],
  });
}
