/**
 * Budget of Yjs client ids new to the room, per connection (`COLLAB_MAX_NEW_CLIENT_IDS`).
 *
 * Concurrent inserts at one position from many client ids make Yjs's conflict resolution
 * quadratic; producing them needs a fresh client id per insert, while a stock client uses one per
 * session (a client returning with offline edits carries a few more in its first sync step 2).
 * So each connection may introduce a bounded number of ids the room's doc does not know yet,
 * counted over the connection's lifetime; the update that goes over is refused (4429). This also
 * bounds the cost of a single update, which no scheduler can interrupt once its apply started.
 */
import type * as Y from 'yjs';
import type { RoomClient } from '../types.js';

export class NewClientIds {
  private readonly seen = new WeakMap<RoomClient, Set<number>>();

  /** @param max ids per connection; undefined = unbounded. */
  constructor(
    private readonly doc: Y.Doc,
    private readonly max: number | undefined
  ) {}

  /** Counts the ids of `authors` unknown to the doc against `client`; false when that goes over. */
  admit(client: RoomClient, authors: readonly number[]): boolean {
    if (this.max === undefined) return true;
    const known = this.doc.store.clients;
    let mine: Set<number> | undefined;
    for (const id of authors) {
      if (known.has(id)) continue;
      mine ??= this.seen.get(client);
      if (!mine) {
        mine = new Set();
        this.seen.set(client, mine);
      }
      mine.add(id);
      if (mine.size > this.max) return false;
    }
    return true;
  }
}
