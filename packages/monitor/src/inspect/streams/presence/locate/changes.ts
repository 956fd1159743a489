/**
 * Which parts of a document changed since a memoised location was resolved, per top-level block.
 *
 * A location depends on its root's own item list (block index, blocks, lines of a Y.Text) and on
 * the top-level block it lies in (offsets inside it, enclosing nodes, node names). An edit inside
 * one block therefore makes stale only the carets in that block; inserting or deleting blocks makes
 * stale the carets of that root (their block index may have moved).
 *
 * Update path: the document's `afterTransaction` only appends the transaction's changed types to a
 * bounded list (O(types changed)); classifying them into roots and blocks (O(depth) each) happens
 * when a location is next read (`drain`). Past `MAX_PENDING` pending types every location is stale.
 */
import * as Y from 'yjs';

type AnyType = Y.AbstractType<unknown>;

/** Changed types kept between two reads; past this, every memoised location is stale. */
const MAX_PENDING = 4_096;
/** Deepest nesting followed up to the root (as `locate`). */
const MAX_DEPTH = 64;

/** What a resolved location depends on (filled by `locate`). */
export interface LocationDeps {
  /** The root type the location is in. */
  root?: AnyType;
  /** Top-level children (blocks) of `root` the head and the anchor lie in. */
  blocks: AnyType[];
  /** The location depends on something not yet in the document (an item not arrived): stale after any transaction. */
  volatile: boolean;
}

export class DocChanges {
  /** Transactions seen: a location resolved at `tx` is compared with the changes marked after it. */
  private txs = 0;
  private pending: AnyType[] = [];
  /** Every location resolved before this transaction count is stale (pending overflowed). */
  private allStaleAt = 0;
  /** Root or top-level block → transaction count when it last changed (as far as drained). */
  private readonly changedAt = new WeakMap<AnyType, number>();
  private readonly onTransaction = (tr: Y.Transaction): void => {
    if (tr.changed.size === 0) return;
    this.txs++;
    if (this.pending.length + tr.changed.size > MAX_PENDING) {
      this.pending = [];
      this.allStaleAt = this.txs;
    } else for (const t of tr.changed.keys()) this.pending.push(t as AnyType);
    this.onChange?.();
  };

  constructor(
    private readonly doc: Y.Doc,
    private readonly onChange?: () => void
  ) {
    doc.on('afterTransaction', this.onTransaction);
  }

  /** The transaction count now (after draining): the stamp of a location resolved now. */
  now(): number {
    this.drain();
    return this.txs;
  }

  /** Was a location resolved at `tx` with these dependencies made stale since? */
  staleSince(tx: number, deps: LocationDeps): boolean {
    this.drain();
    if (tx < this.allStaleAt) return true;
    if (deps.volatile || !deps.root) return tx !== this.txs;
    if ((this.changedAt.get(deps.root) ?? 0) > tx) return true;
    for (const b of deps.blocks) if ((this.changedAt.get(b) ?? 0) > tx) return true;
    return false;
  }

  /** Any transaction since `tx`? */
  anySince(tx: number): boolean {
    return this.txs !== tx;
  }

  dispose(): void {
    this.doc.off('afterTransaction', this.onTransaction);
    this.pending = [];
  }

  /** Marks the root or the top-level block of every pending changed type. */
  private drain(): void {
    if (this.pending.length === 0) return;
    const stamp = this.txs;
    for (const t of this.pending) {
      // Walk up to the root: the last type below it is the block.
      let block: AnyType | null = null;
      let cur: AnyType = t;
      let depth = 0;
      while (cur._item !== null && depth++ < MAX_DEPTH) {
        const parent = cur._item.parent;
        if (!(parent instanceof Y.AbstractType)) break;
        block = cur;
        cur = parent as AnyType;
      }
      // Not attached to a root as far as we can tell: stale everything rather than guess.
      if (cur._item !== null) this.allStaleAt = stamp;
      // A root changed itself: its block list moved. A deeper type: only its block.
      else this.changedAt.set(block ?? cur, stamp);
    }
    this.pending = [];
  }
}
