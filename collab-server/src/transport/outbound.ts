/**
 * Pod-wide accounting of the bytes queued to clients (handed to `ws`, not yet written to the
 * kernel), against one memory budget (`COLLAB_MAX_QUEUED_BYTES`).
 *
 * Bytes are counted by buffer, not by recipient: `ws` does not copy a buffer it sends without
 * compression or masking, so a broadcast frame queued to 500 connections, or one full-state sync
 * reply shared by 150 clients joining the same document version, occupies memory once. A buffer is
 * counted from the first send that queues it until the last of its writes completes (or fails).
 *
 * Over the budget, the transport refuses new expensive work (a sync reply it would have to queue)
 * with POD_OVERLOADED (4508), and tightens the slow-consumer bound of every connection.
 */
export class OutboundBudget {
  private queued = 0;
  /** Buffers queued somewhere → how many writes of them are pending. */
  private readonly refs = new Map<Uint8Array, number>();

  /** @param maxBytes the budget; 0 = unbounded (accounting only). */
  constructor(readonly maxBytes: number) {}

  /** Bytes queued pod-wide right now (each distinct buffer once). */
  get bytes(): number {
    return this.queued;
  }

  /** True while the pod is over its budget. */
  get over(): boolean {
    return this.maxBytes > 0 && this.queued > this.maxBytes;
  }

  /** True when queuing `frame` once more stays within the budget (a buffer already queued is free). */
  admits(frame: Uint8Array): boolean {
    if (this.maxBytes === 0 || this.refs.has(frame)) return true;
    return this.queued + frame.byteLength <= this.maxBytes;
  }

  /** Counts one pending write of `frame`; the returned function must be called once it completes. */
  hold(frame: Uint8Array): () => void {
    const n = this.refs.get(frame);
    if (n === undefined) {
      this.refs.set(frame, 1);
      this.queued += frame.byteLength;
    } else {
      this.refs.set(frame, n + 1);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.refs.get(frame) ?? 1) - 1;
      if (left > 0) {
        this.refs.set(frame, left);
        return;
      }
      this.refs.delete(frame);
      this.queued -= frame.byteLength;
    };
  }
}
