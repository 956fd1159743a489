import { CircularDataFrame, createDataFrame, type DataFrame, DataFrameType, FieldType } from '@grafana/data';
import {
  describeFormats,
  TRAFFIC_FIELDS as T,
  UPDATES_FIELDS as U,
  type InspectScope,
  type TrafficFrame,
  type UpdateSummary,
} from '@collabblocks/protocol';

import { collabMeta } from './common';

/** One updates/history row (keys are UPDATES_FIELDS values). */
export type UpdateRow = Record<(typeof U)[keyof typeof U], unknown>;
export type TrafficRow = Record<(typeof T)[keyof typeof T], unknown>;

const UPDATE_FIELD_TYPES: Array<[string, FieldType]> = [
  [U.time, FieldType.time],
  [U.body, FieldType.string],
  [U.severity, FieldType.string],
  [U.labels, FieldType.other],
  [U.id, FieldType.string],
  [U.room, FieldType.string],
  [U.seq, FieldType.number],
  [U.clientId, FieldType.number],
  [U.conn, FieldType.string],
  [U.user, FieldType.string],
  [U.origin, FieldType.string],
  [U.bytes, FieldType.number],
  [U.inserted, FieldType.number],
  [U.deleted, FieldType.number],
  [U.paths, FieldType.string],
  [U.preview, FieldType.string],
  [U.formatted, FieldType.number],
  [U.formats, FieldType.string],
  [U.embeds, FieldType.number],
  [U.lines, FieldType.string],
];

const TRAFFIC_FIELD_TYPES: Array<[string, FieldType]> = [
  [T.time, FieldType.time],
  [T.body, FieldType.string],
  [T.severity, FieldType.string],
  [T.labels, FieldType.other],
  [T.id, FieldType.string],
  [T.room, FieldType.string],
  [T.direction, FieldType.string],
  [T.conn, FieldType.string],
  [T.kind, FieldType.string],
  [T.bytes, FieldType.number],
  [T.count, FieldType.number],
];

let rowCounter = 0;
function nextRowId(): number {
  rowCounter = (rowCounter + 1) % Number.MAX_SAFE_INTEGER;
  return rowCounter;
}

/**
 * One update summary as a log row. The body holds only metadata (client id,
 * sizes, paths); the delta preview (typed text) goes to `preview` and only
 * with `content` scope.
 */
export function updateRow(pod: string, room: string, u: UpdateSummary, scope: InspectScope): UpdateRow {
  return {
    [U.time]: u.ts,
    [U.body]: updateBody(u),
    [U.severity]: u.origin === 'client' ? 'info' : 'debug',
    [U.labels]: { room, pod, origin: u.origin },
    [U.id]: `${pod}:${room}:${u.seq ?? `${u.ts}-${u.clientId}-${nextRowId()}`}`,
    [U.room]: room,
    [U.seq]: u.seq ?? null,
    [U.clientId]: u.clientId,
    [U.conn]: u.conn ?? '',
    [U.user]: u.user ?? '',
    [U.origin]: u.origin,
    [U.bytes]: u.bytes,
    [U.inserted]: u.inserted,
    [U.deleted]: u.deleted,
    [U.paths]: JSON.stringify(u.paths),
    [U.preview]: scope === 'content' && u.preview ? JSON.stringify(u.preview) : '',
    [U.formatted]: u.formatted ?? 0,
    [U.formats]: formatsText(u.formats, scope),
    [U.embeds]: u.embeds ?? 0,
    [U.lines]: linesText(u.lines),
  } as UpdateRow;
}

/** Y.Text lines an update touched as JSON `[{path, from, to}]` ('' when none): line numbers only, every scope. */
export function linesText(lines: UpdateSummary['lines']): string {
  if (!lines || lines.length === 0) return '';
  return JSON.stringify(lines.map(({ path, from, to }) => ({ path, from, to })));
}

/** The log line of an update summary (metadata only: origin, writer pseudonym or client id, sizes, paths). */
export function updateBody(u: UpdateSummary): string {
  const paths = u.paths.slice(0, 20);
  const where = paths.length ? ` ${paths.slice(0, 3).join(' ')}${paths.length > 3 ? ' …' : ''}` : '';
  const who = u.user ?? `client ${u.clientId}`;
  const formats = u.formats?.length ? `, ${describeFormats(u.formats)}` : '';
  return `${u.origin} update by ${who}: +${u.inserted} -${u.deleted} ${u.bytes} B${formats}${where}`;
}

/** Formatting operations as JSON ('' when none); a mark's value (a link's href) only with content scope. */
export function formatsText(formats: UpdateSummary['formats'], scope: InspectScope): string {
  if (!formats || formats.length === 0) return '';
  if (scope === 'content') return JSON.stringify(formats);
  return JSON.stringify(formats.map(({ path, key, length, removed }) => ({ path, key, length, removed })));
}

/** The updates/history text filter: a case-insensitive substring of the body, the paths (JSON) or the user. */
export function updateMatches(filter: string, u: UpdateSummary): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return [updateBody(u), JSON.stringify(u.paths), u.user ?? ''].some((t) => t.toLowerCase().includes(f));
}

/** A warning row for a gap (resync / dropped frames) in an updates or traffic window. */
export function gapUpdateRow(pod: string, room: string, ts: number, message: string): UpdateRow {
  return {
    [U.time]: ts,
    [U.body]: message,
    [U.severity]: 'warning',
    [U.labels]: { room, pod, origin: 'gap' },
    [U.id]: `${pod}:${room}:gap-${ts}-${nextRowId()}`,
    [U.room]: room,
    [U.seq]: null,
    [U.clientId]: null,
    [U.conn]: '',
    [U.user]: '',
    [U.origin]: 'gap',
    [U.bytes]: 0,
    [U.inserted]: 0,
    [U.deleted]: 0,
    [U.paths]: '[]',
    [U.preview]: '',
    [U.formatted]: 0,
    [U.formats]: '',
    [U.embeds]: 0,
    [U.lines]: '',
  } as UpdateRow;
}

export function trafficRow(pod: string, room: string, f: TrafficFrame): TrafficRow {
  const count = f.count ?? 1;
  return {
    [T.time]: f.ts,
    [T.body]: `${f.direction === 'in' ? '←' : '→'} ${f.kind} ${f.bytes} B ${f.summary}${count > 1 ? ` (×${count})` : ''}`,
    [T.severity]: 'debug',
    [T.labels]: { room, pod, direction: f.direction, kind: f.kind },
    [T.id]: `${pod}:${room}:t-${f.ts}-${nextRowId()}`,
    [T.room]: room,
    [T.direction]: f.direction,
    [T.conn]: f.conn,
    [T.kind]: f.kind,
    [T.bytes]: f.bytes,
    [T.count]: count,
  } as TrafficRow;
}

export function trafficGapRow(pod: string, room: string, ts: number, dropped: number): TrafficRow {
  return {
    [T.time]: ts,
    [T.body]: `${dropped} frames not shown (sampled, coalesced or dropped)`,
    [T.severity]: 'warning',
    [T.labels]: { room, pod, direction: '', kind: 'gap' },
    [T.id]: `${pod}:${room}:tg-${ts}-${nextRowId()}`,
    [T.room]: room,
    [T.direction]: '',
    [T.conn]: '',
    [T.kind]: 'gap',
    [T.bytes]: 0,
    [T.count]: dropped,
  } as TrafficRow;
}

/**
 * A streaming log-lines window (CircularDataFrame: the newest `capacity` rows).
 * Rows should be appended in time order per pod; rows from several pods
 * interleave as they arrive.
 */
export class LogWindow {
  readonly frame: CircularDataFrame;

  constructor(
    readonly kind: 'updates' | 'traffic',
    opts: { refId: string; room: string; capacity: number }
  ) {
    this.frame = new CircularDataFrame({ append: 'tail', capacity: opts.capacity });
    this.frame.refId = opts.refId;
    this.frame.name = kind;
    this.frame.meta = collabMeta(kind, { room: opts.room }, { type: DataFrameType.LogLines });
    for (const [name, type] of kind === 'updates' ? UPDATE_FIELD_TYPES : TRAFFIC_FIELD_TYPES) {
      this.frame.addField({ name, type });
    }
  }

  add(row: UpdateRow | TrafficRow): void {
    this.frame.add(row);
  }

  get length(): number {
    return this.frame.length;
  }
}

/** A one-shot updates frame (history): same fields as the updates window. */
export function buildUpdatesFrame(
  rows: UpdateRow[],
  opts: { refId: string; kind: 'updates' | 'history'; room: string; extra?: Record<string, unknown> }
): DataFrame {
  return createDataFrame({
    refId: opts.refId,
    name: opts.kind,
    meta: collabMeta(opts.kind, { room: opts.room, ...(opts.extra ?? {}) }, { type: DataFrameType.LogLines }),
    fields: UPDATE_FIELD_TYPES.map(([name, type]) => ({
      name,
      type,
      values: rows.map((r) => r[name as keyof UpdateRow]),
    })),
  });
}
