/**
 * Step 1 of the write path: is this a Yjs v1 update we may store? Decoding
 * only — no document is touched (the shadow apply in `shadow.ts` is the second
 * half of validation) — plus the cost bound on delete sets:
 *
 * A delete range for content the room does not have (an unknown client, or a
 * clock beyond what the room holds) cannot be applied, so Yjs keeps it in the
 * doc's pending delete set, re-reads it on every later update and merges it
 * into every sync reply. 200,000 such ranges made every later sync of a room
 * ~30x slower, forever (issue 16 item 5). A room may hold at most
 * `maxPendingDeleteRanges` of them: a client update that would go beyond is
 * refused before it is stored (DELETE_SET_TOO_LARGE); what arrives by a trusted
 * path (another pod, catch-up, load) is applied and the excess pending delete
 * set is dropped (`trimPendingDeletes`). Deletes of content the room has (a user
 * deleting a big paragraph) are not pending and are not limited here.
 */
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';

/** Default `COLLAB_MAX_PENDING_DELETE_RANGES`. */
export const DEFAULT_MAX_PENDING_DELETE_RANGES = 10_000;

export type UpdateCheck =
  | {
      ok: true;
      clientId: number;
      empty: boolean;
      /** Distinct client ids of the update's structs (its authors), in order of appearance. */
      authors: number[];
      /** Delete ranges of the update for content the reference doc does not have. */
      unknownDeleteRanges: number;
    }
  | { ok: false };

/**
 * Validates a Yjs v1 update without touching any document: `Y.decodeUpdate`
 * reads every struct and the delete set and throws on truncated or garbage
 * input. Returns the author client id (first struct), whether it is empty, and
 * (when `reference` is given) how many of its delete ranges `reference` cannot apply.
 */
export function inspectUpdate(update: Uint8Array, reference?: Y.Doc): UpdateCheck {
  try {
    const decoded = Y.decodeUpdate(update);
    // Yjs client ids are uint32; larger ones decode but no real client produces them.
    const authors: number[] = [];
    for (const st of decoded.structs) {
      const c = st.id.client;
      if (c > 0xffffffff) return { ok: false };
      // Structs come grouped by client: a new author starts where the client changes.
      if (authors[authors.length - 1] !== c && !authors.includes(c)) authors.push(c);
    }
    for (const client of decoded.ds.clients.keys()) if (client > 0xffffffff) return { ok: false };
    const first = decoded.structs[0];
    const empty = decoded.structs.length === 0 && decoded.ds.clients.size === 0;
    const unknown = reference && decoded.ds.clients.size > 0 ? unknownDeleteRanges(reference, decoded) : 0;
    return { ok: true, clientId: first ? first.id.client : 0, empty, authors, unknownDeleteRanges: unknown };
  } catch {
    return { ok: false };
  }
}

/** Delete ranges of `decoded` that reach past what `doc` (plus the update's own structs) holds. */
function unknownDeleteRanges(doc: Y.Doc, decoded: ReturnType<typeof Y.decodeUpdate>): number {
  // What the update brings itself: per client, the end of its structs (a Skip brings nothing).
  const own = new Map<number, number>();
  for (const st of decoded.structs) {
    if (st instanceof Y.Skip) continue;
    const end = st.id.clock + st.length;
    if (end > (own.get(st.id.client) ?? 0)) own.set(st.id.client, end);
  }
  let n = 0;
  for (const [client, ranges] of decoded.ds.clients) {
    const known = Math.max(Y.getState(doc.store, client), own.get(client) ?? 0);
    for (const r of ranges) if (r.clock + r.len > known) n += 1;
  }
  return n;
}

/**
 * Delete ranges `doc` holds for content it does not have (Yjs's pending delete set).
 * O(1) when there are none (the usual case); otherwise one pass over the encoded set.
 */
export function pendingDeleteRanges(doc: Y.Doc): number {
  const pending = doc.store.pendingDs;
  if (!pending) return 0;
  // Yjs encodes it as a v2 update without structs (see readAndApplyDeleteSet).
  const d = new Y.UpdateDecoderV2(decoding.createDecoder(pending));
  decoding.readVarUint(d.restDecoder); // no structs
  const clients = decoding.readVarUint(d.restDecoder);
  let n = 0;
  for (let i = 0; i < clients; i++) {
    d.resetDsCurVal();
    decoding.readVarUint(d.restDecoder); // client
    const ranges = decoding.readVarUint(d.restDecoder);
    n += ranges;
    for (let j = 0; j < ranges; j++) {
      d.readDsClock();
      d.readDsLen();
    }
  }
  return n;
}

/**
 * After an update arrived by a trusted path (another pod, catch-up, room load): when the doc
 * holds more pending delete ranges than `max`, they are dropped so they cannot slow every later
 * sync. Returns how many were dropped (0 when within the bound).
 */
export function trimPendingDeletes(doc: Y.Doc, max: number): number {
  if (!doc.store.pendingDs) return 0;
  const n = pendingDeleteRanges(doc);
  if (n <= max) return 0;
  doc.store.pendingDs = null;
  return n;
}
