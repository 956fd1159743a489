/** Values between PostgreSQL rows and the storage types (`postgres.ts`), checked on the way in. */
import type { Snapshot, StoredUpdate } from './types.js';

/** A BIGINT / INT column (pg returns BIGINT as a string) as a number; throws on anything else. */
export function num(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new Error(`unexpected numeric value from PostgreSQL: ${String(v)}`);
  return n;
}

/** A BYTEA column as a Uint8Array over the same memory. */
export function bytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new Error('unexpected binary value from PostgreSQL');
}

/** A BYTEA parameter (no copy). */
export function toBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** The org of a room id (`org/room`). */
export function orgOf(room: string): string {
  const i = room.indexOf('/');
  return i === -1 ? room : room.slice(0, i);
}

/** An `ops` row (seq, site_id, ts, op_bin). */
export function toUpdate(row: Record<string, unknown>): StoredUpdate {
  return {
    seq: num(row.seq),
    clientId: num(row.site_id),
    ts: num(row.ts),
    update: bytes(row.op_bin),
  };
}

/** A `snapshots` row (seq, ts, state). */
export function toSnapshot(row: Record<string, unknown>): Snapshot {
  return { seq: num(row.seq), ts: num(row.ts), state: bytes(row.state) };
}
