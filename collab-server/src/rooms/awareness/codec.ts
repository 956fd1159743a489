/** Strict decoding and re-encoding of y-protocols awareness updates. */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One entry of an awareness update: client id, clock, and its state as encoded JSON bytes. */
export interface AwarenessEntry {
  id: number;
  clock: number;
  json: Uint8Array;
  state: unknown;
}

/** Strict decoding of an awareness update (throws on truncated input or invalid JSON: the caller closes 4400). */
export function decodeAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  const d = decoding.createDecoder(update);
  const n = decoding.readVarUint(d);
  const out: AwarenessEntry[] = [];
  for (let i = 0; i < n; i++) {
    const id = decoding.readVarUint(d);
    const clock = decoding.readVarUint(d);
    const len = decoding.readVarUint(d);
    if (len > d.arr.length - d.pos) throw new Error('truncated awareness state');
    const json = decoding.readUint8Array(d, len);
    out.push({ id, clock, json, state: JSON.parse(utf8.decode(json)) as unknown });
  }
  return out;
}

export function encodeAwarenessEntries(entries: readonly AwarenessEntry[]): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, entries.length);
  for (const e of entries) {
    encoding.writeVarUint(enc, e.id);
    encoding.writeVarUint(enc, e.clock);
    // Same bytes as y-protocols' writeVarString of the JSON text.
    encoding.writeVarUint8Array(enc, e.json);
  }
  return encoding.toUint8Array(enc);
}
