/**
 * The one validation of storage calls, shared by every backend (SQLite and
 * PostgreSQL refused different inputs before: PostgreSQL stored client ids of
 * 2^32 and more, a client id or timestamp beyond BIGINT failed its whole group
 * commit — retried forever, blocking every room — and SQLite answered reads of
 * an invalid room and rounded fractional time bounds outwards). Everything is
 * checked before an append is queued, so one bad call can never fail a batch.
 * Bad input throws a `TypeError` (an `append` rejects with it).
 */
import type { HistoryQuery, NewUpdate, Snapshot } from './types.js';

/** Longest room id (`<org>/<room>`). */
export const MAX_ROOM_LENGTH = 255;
/** Most entries one read returns. */
export const MAX_READ_LIMIT = 1_000_000;
/** Yjs client ids are uint32. */
const MAX_CLIENT_ID = 0xffffffff;

function fail(message: string): never {
  throw new TypeError(message);
}

/** A room id: a non-empty string of at most 255 characters. */
export function checkRoom(room: unknown): string {
  if (typeof room !== 'string' || room.length === 0 || room.length > MAX_ROOM_LENGTH) {
    fail(`room must be a non-empty string of at most ${MAX_ROOM_LENGTH} characters`);
  }
  return room;
}

/** An epoch-ms time stored as an integer: finite and within the safe integer range, floored. */
export function storedTime(ts: unknown, what = 'ts'): number {
  if (typeof ts !== 'number' || !Number.isFinite(ts) || Math.abs(ts) > Number.MAX_SAFE_INTEGER) {
    fail(`${what} must be a finite number of milliseconds`);
  }
  return Math.floor(ts);
}

/** Checks an append (room and every update); returns the total bytes of the updates. */
export function checkAppend(room: unknown, updates: unknown): number {
  checkRoom(room);
  if (!Array.isArray(updates)) fail('updates must be an array');
  let bytes = 0;
  for (const u of updates as Array<Partial<NewUpdate> | null>) {
    if (typeof u !== 'object' || u === null) fail('each update must be an object');
    if (!(u.update instanceof Uint8Array)) fail('update bytes must be a Uint8Array');
    const id = u.clientId;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_CLIENT_ID) {
      fail('clientId must be an integer in [0, 2^32)');
    }
    storedTime(u.ts);
    bytes += u.update.byteLength;
  }
  return bytes;
}

/** Checks a snapshot; returns its time as stored. */
export function checkSnapshot(room: unknown, snapshot: Partial<Snapshot> | null | undefined): number {
  checkRoom(room);
  if (typeof snapshot !== 'object' || snapshot === null) fail('snapshot must be an object');
  if (!Number.isSafeInteger(snapshot.seq) || (snapshot.seq as number) < 0) {
    fail('snapshot seq must be an integer >= 0');
  }
  if (!(snapshot.state instanceof Uint8Array)) fail('snapshot state must be a Uint8Array');
  return storedTime(snapshot.ts, 'snapshot ts');
}

/** A read limit: floored, clamped to [0, MAX_READ_LIMIT]. */
export function readLimit(limit: unknown): number {
  if (typeof limit !== 'number' || Number.isNaN(limit)) fail('limit must be a number');
  return Math.max(0, Math.min(Math.floor(limit), MAX_READ_LIMIT));
}

/** A seq bound of `readAfter`: floored. */
export function afterSeqOf(afterSeq: unknown): number {
  if (typeof afterSeq !== 'number' || !Number.isFinite(afterSeq)) fail('afterSeq must be a finite number');
  return Math.floor(afterSeq);
}

/** A `readRange` query: bounds rounded inwards (an entry at ts is in [fromTs, toTs] exactly when it is in the result). */
export function checkRange(q: HistoryQuery): { room: string; fromTs: number; toTs: number; limit: number } {
  if (typeof q !== 'object' || q === null) fail('query must be an object');
  const room = checkRoom(q.room);
  const from = boundOf(q.fromTs, 'fromTs');
  const to = boundOf(q.toTs, 'toTs');
  return { room, fromTs: Math.ceil(from), toTs: Math.floor(to), limit: readLimit(q.limit) };
}

/** A time bound of a read: a number, not NaN (±Infinity clamped to the safe range). */
function boundOf(v: unknown, what: string): number {
  if (typeof v !== 'number' || Number.isNaN(v)) fail(`${what} must be a number`);
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(v, Number.MAX_SAFE_INTEGER));
}

/** A time given to `snapshotAtOrBefore` / `prune` (finite, floored). */
export function timeOf(ts: unknown, what: string): number {
  if (typeof ts !== 'number' || !Number.isFinite(ts)) fail(`${what} must be a finite number`);
  return Math.floor(Math.max(-Number.MAX_SAFE_INTEGER, Math.min(ts, Number.MAX_SAFE_INTEGER)));
}
