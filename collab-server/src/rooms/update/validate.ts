/**
 * Step 1 of the write path: is this a Yjs v1 update we may store? Decoding
 * only — no document is touched (the shadow apply in `shadow.ts` is the second
 * half of validation).
 */
import * as Y from 'yjs';

export type UpdateCheck =
  | {
      ok: true;
      clientId: number;
      empty: boolean;
      /** Distinct client ids of the update's structs (its authors), in order of appearance. */
      authors: number[];
    }
  | { ok: false };

/**
 * Validates a Yjs v1 update without touching any document: `Y.decodeUpdate`
 * reads every struct and the delete set and throws on truncated or garbage
 * input. Returns the author client id (first struct) and whether it is empty.
 */
export function inspectUpdate(update: Uint8Array): UpdateCheck {
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
    return { ok: true, clientId: first ? first.id.client : 0, empty, authors };
  } catch {
    return { ok: false };
  }
}
