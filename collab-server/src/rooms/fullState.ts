/**
 * One encoded full-state sync reply per document version, shared by every client that asks for
 * everything at once (a state vector with nothing the document has: the first sync of a new
 * client, or a flood of 1-byte state vectors). `ws` queues a buffer it sends uncompressed without
 * copying it, so N simultaneous requesters of a 9 MB document hold 9 MB, not N × 9 MB, and the
 * document is encoded once instead of N times. Any change of the document drops the cached reply.
 */
import type * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import { encodeSyncStep2 } from './frames.js';

export class FullStateReplies {
  private cached: Uint8Array | null = null;

  constructor(private readonly doc: Y.Doc) {
    doc.on('update', this.invalidate);
  }

  private readonly invalidate = (): void => {
    this.cached = null;
  };

  /**
   * The sync step 2 frame answering `stateVector`: the shared full-state frame when the state
   * vector covers nothing of the document, else a diff encoded for this requester. Throws on a
   * malformed state vector.
   */
  replyTo(stateVector: Uint8Array): Uint8Array {
    if (this.coversNothing(stateVector)) {
      this.cached ??= encodeSyncStep2(this.doc, stateVector);
      return this.cached;
    }
    return encodeSyncStep2(this.doc, stateVector);
  }

  /** True when no entry of `stateVector` is a client of the document with a clock above 0. */
  private coversNothing(stateVector: Uint8Array): boolean {
    const d = decoding.createDecoder(stateVector);
    const n = decoding.readVarUint(d);
    const clients = this.doc.store.clients;
    for (let i = 0; i < n; i++) {
      const client = decoding.readVarUint(d);
      const clock = decoding.readVarUint(d);
      if (clock > 0 && clients.has(client)) return false;
    }
    return true;
  }

  destroy(): void {
    this.doc.off('update', this.invalidate);
    this.cached = null;
  }
}
